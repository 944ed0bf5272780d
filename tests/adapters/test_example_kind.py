"""A kind from its own distribution joins the whole hub, with no file of ``hub/`` or ``schema/``
touched: ``examples/securities`` is built and installed by pip (into a folder of its own, so
this process's graph stays that of the built-in kinds), then ``hub`` runs with it on its path.

It must show in ``hub adapters list`` and the exported graph, and under ``hub demo`` (which
serves its mock too, found by the ``hub.mocks`` entry point): in the dossier, in
``Dossier.assets``, in the console's dossier page, and in a FREEZE that completes.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.hub.test_demo import wait_for_banner
from tests.support import free_port

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "securities"
HUB = Path(sys.executable).with_name("hub")
CASE = "（2023）闽0602执1234号"
DEBTOR = "350602198003150015"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example built and installed as a distribution, into a folder of its own."""
    work = tmp_path_factory.mktemp("example")
    source = work / "src"
    shutil.copytree(EXAMPLE, source)  # the build writes beside the sources: not in the repo
    target = work / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(source)],
        check=True,
        timeout=300,
    )  # fmt: skip
    assert list(target.glob("hub_kind_securities-*.dist-info"))
    return target


def free_block(size: int) -> int:
    """The first of ``size`` consecutive free ports (the mocks take one each)."""
    for _ in range(50):
        base = random.randrange(30000, 60000, size)
        taken = []
        try:
            for port in range(base, base + size):
                sock = socket.socket()
                taken.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in taken:
                sock.close()
        return base
    raise AssertionError("no block of free ports")


def env_with(site: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(site), **extra}


def hub(site: Path, *args: str) -> str:
    done = subprocess.run(
        [str(HUB), *args], env=env_with(site), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_listed_and_in_the_exported_graph(site: Path) -> None:
    listed = hub(site, "adapters", "list")
    block = listed.split("\nsecurities  (hub-kind-securities 1.0.0)", 1)[1]
    assert "securities: Dossier.securities: [SecuritiesHolding!]!, an Asset (证券)" in block
    assert "FREEZE (冻结): details account, security_code, shares; effect ENCUMBER" in block
    sdl = hub(site, "schema", "export")
    assert "type SecuritiesHolding implements Asset {" in sdl
    dossier = sdl.split("type Dossier {", 1)[1].split("}", 1)[0]
    assert "securities: [SecuritiesHolding!]!" in dossier
    assert "securitiesCount: Int!" in dossier
    assert "SECURITIES" in sdl.split("enum ClueKind {", 1)[1].split("}", 1)[0]


@pytest.fixture
def demo(site: Path, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    port = free_port()
    mock_base = free_block(10)
    process = subprocess.Popen(
        [str(HUB), "demo", "--port", str(port), "--mock-port-base", str(mock_base)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "demo.err").open("w"),
        text=True,
        env=env_with(site, HUB_DATABASE_URL=f"sqlite:///{tmp_path / 'demo.db'}"),
    )
    try:
        try:
            banner = wait_for_banner(process)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{(tmp_path / 'demo.err').read_text()}") from exc
        tokens: dict[str, str] = {}
        for role, token in re.findall(r"^\s+([a-z_]+)\s.*\n\s+(hub_\S+)", banner, re.M):
            tokens.setdefault(role, token)
        yield f"http://127.0.0.1:{port}", tokens
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


def gql(url: str, token: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    return response.json()


DOSSIER = """query($c: String!, $id: String!) { dossier(caseNumber: $c, idNumber: $id) {
  securities { account securityName shares marketValue matchedBy frozen { rank shares }
               agency { id } }
  assets { kind label estimatedValue matchedBy ... on SecuritiesHolding { account } }
  sources { agency { id } state } } }"""

FREEZE = """mutation($d: JSON) { createAssistanceRequest(input: {
  caseNumber: "（2023）闽0602执1234号", subjectIdNumber: "350602198003150015",
  agencyId: "securities-csdc", action: FREEZE, documentNumber: "（2023）闽0602执1234号之三",
  details: $d }) { id status } }"""


def test_serves_the_dossier_the_console_and_a_freeze(
    demo: tuple[str, dict[str, str]],
) -> None:
    url, tokens = demo
    officer = tokens["court_officer"]
    body = gql(url, officer, DOSSIER, {"c": CASE, "id": DEBTOR})
    assert "errors" not in body, body
    dossier = body["data"]["dossier"]
    # the namesake's shares (another ID number) never reach the debtor's dossier
    assert dossier["securities"] == [
        {
            "account": "A350602001",
            "securityName": "贵州茅台",
            "shares": 100,
            "marketValue": "165000.00",
            "matchedBy": "ID_NUMBER",
            "frozen": [],
            "agency": {"id": "securities-csdc"},
        }
    ]
    held = [a for a in dossier["assets"] if a["kind"] == "securities"]
    assert held == [
        {
            "kind": "securities",
            "label": "贵州茅台（600519）100 股",
            "estimatedValue": "165000.00",
            "matchedBy": "ID_NUMBER",
            "account": "A350602001",
        }
    ]
    assert {"agency": {"id": "securities-csdc"}, "state": "OK"} in dossier["sources"]

    # details are checked by the kind's own model when the request is made
    refused = gql(url, officer, FREEZE, {"d": {"account": "A350602001", "security_code": "600519"}})
    assert refused["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "details.shares",
    }
    made = gql(
        url,
        officer,
        FREEZE,
        {"d": {"account": "A350602001", "security_code": "600519", "shares": 60}},
    )
    assert "errors" not in made, made
    request_id = made["data"]["createAssistanceRequest"]["id"]
    status = None
    for _ in range(120):
        answer = gql(
            url,
            officer,
            "query($id: ID!) { assistanceRequest(id: $id) { status answer { outcome result } } }",
            {"id": request_id},
        )["data"]["assistanceRequest"]
        status = answer["status"]
        if status in ("COMPLETED", "REJECTED", "FAILED"):
            break
        time.sleep(0.5)
    assert status == "COMPLETED", answer
    assert answer["answer"]["outcome"] == "frozen"
    again = gql(url, officer, DOSSIER, {"c": CASE, "id": DEBTOR})["data"]["dossier"]
    assert again["securities"][0]["frozen"] == [{"rank": "FIRST", "shares": 60}]

    parties = gql(
        url,
        officer,
        "query($c: String!) { case(number: $c) { parties { id idNumber } } }",
        {"c": CASE},
    )
    party = next(p["id"] for p in parties["data"]["case"]["parties"] if p["idNumber"] == DEBTOR)
    with httpx.Client(base_url=url, timeout=60) as console:
        form = console.get("/console/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        console.post("/console/login", data={"token": officer, "csrf": csrf.group(1)})
        page = console.get(f"/console/cases/{CASE}/dossier", params={"party": party})
    assert page.status_code == 200
    section = page.text.split('id="section-securities"', 1)[1].split("</section>", 1)[0]
    assert "<h2>证券</h2>" in section and "贵州茅台" in section and "A350602001" in section
    assert "冻结此证券" in section
