"""Request ids: echoed on every response, and on every JSON log line the request causes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from hub.auth import Role, create_principal
from hub.logs import bind_request_id, current_request_id
from hub.storage import Database
from mocks.runner import MockCluster, render_config
from tests.observability.conftest import CASE, CASE_INPUT, DEBTOR, FILE_CASE
from tests.support import LiveHub, free_port

ROOT = Path(__file__).resolve().parents[2]


async def test_incoming_request_id_is_echoed(hub: LiveHub) -> None:
    response = await hub.client.get("/healthz", headers={"X-Request-Id": "court-fe.42:abc"})
    assert response.headers["X-Request-Id"] == "court-fe.42:abc"
    body = await hub.client.post("/graphql", json={"query": "{ me { role } }"}, headers={})
    assert body.status_code == 401  # even a refused request carries its id
    assert len(body.headers["X-Request-Id"]) == 16


async def test_missing_or_unsafe_ids_are_replaced(hub: LiveHub) -> None:
    fresh = (await hub.client.get("/healthz")).headers["X-Request-Id"]
    again = (await hub.client.get("/healthz")).headers["X-Request-Id"]
    assert fresh != again
    assert all(c in "0123456789abcdef" for c in fresh + again)
    unsafe = await hub.client.get("/healthz", headers={"X-Request-Id": 'a"b c'})
    echoed = unsafe.headers["X-Request-Id"]
    assert echoed != 'a"b c' and len(echoed) == 16
    too_long = await hub.client.get("/healthz", headers={"X-Request-Id": "x" * 200})
    assert len(too_long.headers["X-Request-Id"]) == 16


def test_bind_request_id_nests_and_restores() -> None:
    assert current_request_id() is None
    with bind_request_id("outer-1") as outer:
        assert outer == "outer-1" == current_request_id()
        with bind_request_id(None) as inner:
            assert inner != "outer-1" and current_request_id() == inner
        assert current_request_id() == "outer-1"
    assert current_request_id() is None


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "hub.cli", *args], cwd=ROOT, env=env, stdout=sink, stderr=sink
        )


def read(log: Path) -> str:
    return log.read_text(encoding="utf-8")


async def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient(timeout=1) as client:
        for _ in range(600):
            assert process.poll() is None, read(log)
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("hub serve did not start: " + read(log))


async def _until_dispatched(client: httpx.AsyncClient, request_id: str) -> None:
    query = "query R($id: ID!) { assistanceRequest(id: $id) { status } }"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        body = (
            await client.post("/graphql", json={"query": query, "variables": {"id": request_id}})
        ).json()
        if body["data"]["assistanceRequest"]["status"] != "PENDING":
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the request was never dispatched")


async def test_json_logs_carry_the_request_id_through_connectors_and_dispatcher(
    database_url: str, cluster: MockCluster, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = tmp_path / "hub.toml"
    config.write_text(render_config(cluster.port_base, cluster.world, public_url=url))
    db = Database(database_url)
    try:
        _, token = await create_principal(db, role=Role.COURT_OFFICER, scope="闽0602")
    finally:
        await db.dispose()
    log = tmp_path / "hub.log"
    env = {
        **os.environ,
        "HUB_LOG_JSON": "true",
        "HUB_LOG_LEVEL": "INFO",
        "HUB_DISPATCHER_POLL_S": "0.1",
        "PYTHONPATH": str(ROOT),
    }
    args = ["serve", "--port", str(port), "--config", str(config), "--database-url", database_url]
    process = spawn(args, env, log)
    try:
        await _wait_ready(url, process, log)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
            filed = await client.post(
                "/graphql", json={"query": FILE_CASE, "variables": {"input": CASE_INPUT}}
            )
            assert "errors" not in filed.json(), filed.text

            async with httpx.AsyncClient(timeout=10) as admin:
                credit = cluster.base_urls["credit"]
                await admin.put(f"{credit}/_admin/faults", json={"down": True})
            dossier = await client.post(
                "/graphql",
                json={
                    "query": "query D($c: String!, $i: String!) { dossier(caseNumber: $c, idNumber: $i) { credit { listed } } }",
                    "variables": {"c": CASE, "i": DEBTOR},
                },
                headers={"X-Request-Id": "trace-dossier-1"},
            )
            assert dossier.headers["X-Request-Id"] == "trace-dossier-1"
            assert dossier.json()["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"

            create = await client.post(
                "/graphql",
                json={
                    "query": "mutation C($input: CreateAssistanceRequestInput!) { createAssistanceRequest(input: $input) { id } }",
                    "variables": {
                        "input": {
                            "caseNumber": CASE,
                            "subjectIdNumber": DEBTOR,
                            "agencyId": "tax-fujian",
                            "action": "QUERY",
                        }
                    },
                },
                headers={"X-Request-Id": "trace-dispatch-1"},
            )
            body = create.json()
            assert "errors" not in body, body
            await _until_dispatched(client, body["data"]["createAssistanceRequest"]["id"])
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(process.wait, 20)

    text = read(log)
    lines = [line for line in text.splitlines() if line.strip()]
    entries: list[dict[str, Any]] = []
    for line in lines:
        entries.append(json.loads(line))  # every line is one JSON object

    def having(request_id: str, **fields: Any) -> list[dict[str, Any]]:
        return [
            e
            for e in entries
            if e.get("request_id") == request_id and all(e.get(k) == v for k, v in fields.items())
        ]

    assert having("trace-dossier-1", event="request", path="/graphql", status=200)
    # the connector's failed attempts at the credit agency, logged inside the request
    assert having("trace-dossier-1", event="agency attempt failed", agency="credit-fujian")
    # the dispatcher delivered the request later, in its own task, under the same id
    assert having("trace-dispatch-1", event="request", path="/graphql")
    delivered = [e for e in having("trace-dispatch-1") if e.get("event") != "request"]
    assert delivered, "no dispatcher line carries the creating request's id"
    assert all(e["level"] in ("debug", "info", "warning", "error") for e in entries)
    assert DEBTOR not in text  # the citizen's ID number is never logged
