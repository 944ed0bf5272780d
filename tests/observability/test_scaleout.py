"""Scale-out on PostgreSQL: two ``hub serve`` and two ``hub worker`` on one database.

1,000 assistance requests created through both servers reach the agencies
exactly once, whichever of the four dispatchers delivers them.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from adapters.sdk.registry import load_adapter_class
from hub.auth import Role, create_principal
from hub.models import AssistanceRequest, OutboxEntry
from hub.storage import Database
from mocks.runner import MockCluster, render_config
from tests.observability.conftest import CASE, CASE_INPUT, DEBTOR, FILE_CASE
from tests.support import free_port

PG_URL = os.environ.get("HUB_TEST_DATABASE_URL", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not PG_URL.startswith("postgres"), reason="needs HUB_TEST_DATABASE_URL (PostgreSQL)"
    ),
]

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 1000
CREATE = """mutation C($input: CreateAssistanceRequestInput!) {
  createAssistanceRequest(input: $input) { id }
}"""


def spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HUB_LOG_LEVEL": "WARNING"}
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "hub.cli", *args], cwd=ROOT, env=env, stdout=sink, stderr=sink
        )


def query_agencies(config_text: str) -> list[str]:
    return [
        a["id"]
        for a in tomllib.loads(config_text)["agencies"]
        if a.get("channel") == "api" and "QUERY" in load_adapter_class(a["kind"]).actions
    ]


async def wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(timeout=1) as client:
        for _ in range(600):
            assert process.poll() is None, f"{url} exited early"
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"{url} did not start")


async def received(cluster: MockCluster) -> tuple[int, int]:
    total = duplicates = 0
    async with httpx.AsyncClient(timeout=10) as admin:
        for url in cluster.base_urls.values():
            stats = (await admin.get(f"{url}/_admin/stats")).json()
            total += stats["assistance_received"]
            duplicates += stats["assistance_duplicates"]
    return total, duplicates


async def test_two_servers_and_two_workers_deliver_each_request_once(
    database_url: str, cluster: MockCluster, tmp_path: Path
) -> None:
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    config_text = render_config(cluster.port_base, cluster.world, public_url=urls[0])
    config = tmp_path / "hub.toml"
    config.write_text(config_text, encoding="utf-8")
    targets = query_agencies(config_text)
    assert len(targets) >= 3
    db = Database(database_url)
    try:
        _, token = await create_principal(db, role=Role.COURT_OFFICER, scope="闽0602")
    finally:
        await db.dispose()

    common = ["--config", str(config), "--database-url", database_url]
    processes = [
        spawn(["serve", "--port", str(port), *common], tmp_path / f"serve-{port}.log")
        for port in ports
    ] + [spawn(["worker", *common], tmp_path / f"worker-{n}.log") for n in range(2)]
    try:
        for url, process in zip(urls, processes, strict=False):
            await wait_healthy(url, process)
        clients = [
            httpx.AsyncClient(
                base_url=url,
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
                # a fresh connection per request: a reused one the server closed while
                # idle (keep-alive timeout, under load) fails as ReadError
                limits=httpx.Limits(max_keepalive_connections=0),
            )
            for url in urls
        ]
        try:
            filed = await clients[0].post(
                "/graphql", json={"query": FILE_CASE, "variables": {"input": CASE_INPUT}}
            )
            assert "errors" not in filed.json(), filed.text
            numbers = itertools.count()
            created: list[str] = []

            async def create_many() -> None:
                while (n := next(numbers)) < REQUESTS:
                    variables = {
                        "input": {
                            "caseNumber": CASE,
                            "subjectIdNumber": DEBTOR,
                            "agencyId": targets[n % len(targets)],
                            "action": "QUERY",
                        }
                    }
                    response = await clients[n % 2].post(
                        "/graphql", json={"query": CREATE, "variables": variables}
                    )
                    body = response.json()
                    assert "errors" not in body, body
                    created.append(body["data"]["createAssistanceRequest"]["id"])

            await asyncio.gather(*(create_many() for _ in range(16)))
        finally:
            for client in clients:
                await client.aclose()
        assert len(set(created)) == REQUESTS

        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if (await received(cluster))[0] >= REQUESTS:
                break
            await asyncio.sleep(0.25)
        await asyncio.sleep(1.0)  # a duplicate delivery, if any, would arrive now
        total, duplicates = await received(cluster)

        db = Database(database_url)
        try:
            async with db.session() as session:
                retried = (
                    await session.execute(
                        sa.select(OutboxEntry.attempts, sa.func.count())
                        .where(OutboxEntry.task == "deliver")
                        .group_by(OutboxEntry.attempts)
                    )
                ).all()
                pending = await session.scalar(
                    sa.select(sa.func.count())
                    .select_from(AssistanceRequest)
                    .where(AssistanceRequest.status == "PENDING")
                )
                claimers = set(
                    (
                        await session.scalars(
                            sa.select(OutboxEntry.claimed_by).where(
                                OutboxEntry.task == "deliver", OutboxEntry.done_at.is_not(None)
                            )
                        )
                    ).all()
                )
        finally:
            await db.dispose()
        why = f"deliveries by outbox attempts: {sorted(tuple(r) for r in retried)}"
        assert total == REQUESTS, why
        assert duplicates == 0, why
        assert pending == 0
        pids = {str(p.pid) for p in processes}
        delivering = {c.split(":")[-2] for c in claimers if c}
        assert delivering <= pids
        assert len(delivering) >= 2  # the work was shared, not done by one process
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                await asyncio.to_thread(process.wait, 30)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait)
