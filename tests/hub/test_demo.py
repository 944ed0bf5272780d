"""``hub demo`` as a person runs it: mocks, a seeded database, the hub; Ctrl-C stops it all."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support import free_port

pytestmark = pytest.mark.slow


def wait_for_banner(process: subprocess.Popen[str], deadline_s: float = 90.0) -> str:
    assert process.stdout is not None
    lines: list[str] = []
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        lines.append(line)
        if "try in GraphiQL" in line:
            return "".join(lines)
    raise AssertionError("the demo did not come up:\n" + "".join(lines))


def test_demo_serves_the_graph_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    mock_base = 20000 + (os.getpid() % 2000) * 5
    hub = Path(sys.executable).with_name("hub")
    process = subprocess.Popen(
        [str(hub), "demo", "--port", str(port), "--mock-port-base", str(mock_base)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"},
    )
    try:
        banner = wait_for_banner(process)
        assert f"http://127.0.0.1:{port}/graphql" in banner
        assert f"http://127.0.0.1:{port}/console/login" in banner
        tokens: dict[str, str] = {}
        for role, token in re.findall(
            r"^\s+(court_officer|agency_officer|observer|admin)\s.*\n\s+(hub_\S+)", banner, re.M
        ):
            tokens.setdefault(role, token)  # the first court officer is 闽0602's
        assert set(tokens) == {"court_officer", "agency_officer", "observer", "admin"}
        headers = {"Authorization": f"Bearer {tokens['court_officer']}"}
        url = f"http://127.0.0.1:{port}/graphql"
        filed = httpx.post(
            url,
            headers=headers,
            timeout=30,
            json={
                "query": """mutation { fileCase(input: {number: "(2026)闽0602执4242号", filedOn: "2026-11-20",
                  cause: "典当纠纷", amountClaimed: "5000.00", parties: [
                  {role: APPLICANT, kind: PERSON, name: "张某", idNumber: "350602197501010010"},
                  {role: RESPONDENT, kind: PERSON, name: "陈某某", idNumber: "350602198003150015"}]})
                  { number } }"""
            },
        ).json()
        assert filed == {"data": {"fileCase": {"number": "（2026）闽0602执4242号"}}}
        seeded = httpx.post(
            url,
            headers=headers,
            timeout=30,
            json={"query": '{ case(number: "（2023）闽0602执1234号") { cause parties { name } } }'},
        ).json()
        assert seeded["data"]["case"]["cause"] == "典当纠纷"
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).json()["database"] == "ok"
        # the applicant's token reads their own case's requests (诉求), seeded with it
        applicant = re.search(r"^\s+applicant\s.*\n\s+(hub_\S+)", banner, re.M)
        assert applicant is not None
        mine = httpx.post(
            url,
            headers={"Authorization": f"Bearer {applicant.group(1)}"},
            timeout=30,
            json={"query": "{ tickets { nodes { caseNumber channel status } } }"},
        ).json()
        assert sorted((n["channel"], n["status"]) for n in mine["data"]["tickets"]["nodes"]) == [
            ("HOTLINE", "REPLIED"),
            ("WINDOW", "ASSIGNED"),
        ]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0
