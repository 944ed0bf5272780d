"""Crash tests: hub processes killed with SIGKILL mid-dispatch lose nothing and send nothing twice.

Real ``hub serve`` / ``hub worker`` subprocesses, the real mocks with 20 % of
calls failing, 200 requests created through GraphQL. After the kill and a
restart the mock must have received every order exactly once
(``assistance_duplicates`` stays 0) and no request may be left PENDING.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from hub.auth import Role, create_principal
from hub.storage import Database
from mocks.runner import MockCluster, render_config
from tests.assistance.loop import DEBTOR, FILE, Admin, case_input, case_number, mocks
from tests.support import free_port

pytestmark = pytest.mark.slow

HUB = str(Path(sys.executable).with_name("hub"))
CREATE = """
mutation($input: CreateAssistanceRequestInput!) { createAssistanceRequest(input: $input) { id } }"""
TOTAL = 200
KILL_AFTER = 40  # orders the mock has received when the hub is killed
PG = os.environ.get("HUB_TEST_DATABASE_URL")


def write_config(path: Path, cluster: MockCluster, public_url: str) -> Path:
    settings = "\n".join(
        [
            "dispatcher_lease_s = 2.0",  # a dead worker's rows come back quickly
            "dispatcher_poll_s = 0.05",
            "dispatcher_backoff_s = 0.05",
            "poll_after_s = 300.0",  # no polling during the test: DISPATCHED is what counts
            "log_json = true",
        ]
    )
    text = render_config(cluster.port_base, cluster.world, public_url=public_url)
    if "\n[hub]\n" in text:
        text = text.replace("\n[hub]\n", f"\n[hub]\n{settings}\n", 1)
    else:
        text = f'[hub]\npublic_url = "{public_url}"\n{settings}\n\n{text}'
    path.write_text(text, encoding="utf-8")
    return path


class HubProcess:
    """One ``hub`` subprocess, its output in a log file."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.args = args
        self.log = log
        self.env = env or {}
        self.proc: asyncio.subprocess.Process | None = None
        self._out: IO[bytes] | None = None

    async def start(self) -> None:
        self._out = self.log.open("ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env["PYTHONUNBUFFERED"] = "1"  # what was logged survives a SIGKILL
        env.update(self.env)
        self.proc = await asyncio.create_subprocess_exec(
            HUB, *self.args, stdout=self._out, stderr=asyncio.subprocess.STDOUT, env=env
        )

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()
        self._close()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), timeout=15)
            except TimeoutError:
                await self.kill()
        self._close()

    def _close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


@asynccontextmanager
async def processes() -> AsyncIterator[list[HubProcess]]:
    running: list[HubProcess] = []
    try:
        yield running
    finally:
        for proc in running:
            await proc.stop()


async def until_healthy(client: httpx.AsyncClient, url: str, proc: HubProcess) -> None:
    for _ in range(600):
        assert proc.proc is not None and proc.proc.returncode is None, proc.log.read_text()
        try:
            if (await client.get(f"{url}/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("the hub did not come up: " + proc.log.read_text()[-2000:])


async def court_token(database_url: str) -> str:
    db = Database(database_url)
    try:
        _, token = await create_principal(db, role=Role.COURT_OFFICER, scope="闽0602")
    finally:
        await db.dispose()
    return token


class Creator:
    """Creates the requests over GraphQL, each with its own idempotency key."""

    def __init__(self, client: httpx.AsyncClient, url: str, token: str) -> None:
        self.client = client
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.confirmed: set[int] = set()

    async def gql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables},
            headers=self.headers,
        )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        return body

    async def create(self, i: int) -> None:
        payload = {
            "caseNumber": case_number(),
            "subjectIdNumber": DEBTOR,
            "agencyId": "police-fujian",
            "action": "LOCATE_PERSON",
            "details": {"n": i},
            "idempotencyKey": f"crash-{i}",
        }
        await self.gql(CREATE, {"input": payload})
        self.confirmed.add(i)

    async def create_all(self, indexes: list[int], workers: int = 4) -> None:
        """Create what is not yet confirmed; stops quietly when the hub goes away."""
        queue = [i for i in indexes if i not in self.confirmed]

        async def work() -> None:
            while queue:
                i = queue.pop(0)
                try:
                    await self.create(i)
                except httpx.TransportError:
                    return  # the hub was killed: whatever committed, the key remembers

        await asyncio.gather(*(work() for _ in range(workers)))

    async def counts(self) -> dict[str, int]:
        query = "query($s: AssistanceStatus) { assistanceRequests(filter: {status: $s}, first: 0) { totalCount } }"
        out: dict[str, int] = {}
        for status in (None, "PENDING", "FAILED"):
            body = await self.gql(query, {"s": status})
            out[status or "ALL"] = body["data"]["assistanceRequests"]["totalCount"]
        return out


async def kill_when_received(admin: Admin, victim: HubProcess, at_least: int) -> int:
    while True:
        received = (await admin.stats("police"))["assistance_received"]
        if received >= at_least:
            await victim.kill()
            return int(received)
        await asyncio.sleep(0.005)


async def settle(creator: Creator, admin: Admin) -> None:
    """Wait (bounded) until nothing is PENDING; then check exactly-once at the mock."""
    for _ in range(1200):
        counts = await creator.counts()
        if counts["ALL"] == TOTAL and counts["PENDING"] == 0:
            break
        await asyncio.sleep(0.05)
    assert counts == {"ALL": TOTAL, "PENDING": 0, "FAILED": 0}
    stats = await admin.stats("police")
    assert stats["assistance_received"] == TOTAL
    assert stats["assistance_duplicates"] == 0


async def test_sigkill_mid_dispatch_then_restart(database_url: str, tmp_path: Path) -> None:
    if database_url.startswith("postgresql"):
        pytest.skip("the single-process crash test runs on SQLite; PostgreSQL has its own")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    token = await court_token(database_url)
    async with (
        mocks() as cluster,
        httpx.AsyncClient(timeout=30) as client,
        processes() as running,
    ):
        admin = Admin(cluster, client)
        await admin.faults(
            "police", error_rate=0.2, latency_ms=15, complete_after_ms=600_000, seed=5
        )
        config = write_config(tmp_path / "hub.toml", cluster, url)
        args = [
            "serve",
            "--config",
            str(config),
            "--database-url",
            database_url,
            "--port",
            str(port),
        ]

        first = HubProcess(args, tmp_path / "serve-1.log")
        running.append(first)
        await first.start()
        await until_healthy(client, url, first)
        creator = Creator(client, url, token)
        await creator.gql(FILE, {"input": case_input(case_number())})

        killer = asyncio.create_task(kill_when_received(admin, first, KILL_AFTER))
        await creator.create_all(list(range(TOTAL)))
        received_at_kill = await killer
        assert KILL_AFTER <= received_at_kill < TOTAL  # killed mid-dispatch

        second = HubProcess(args, tmp_path / "serve-2.log")
        running.append(second)
        await second.start()
        await until_healthy(client, url, second)
        await creator.create_all(list(range(TOTAL)))  # the same keys: no second request
        assert creator.confirmed == set(range(TOTAL))
        await settle(creator, admin)


@pytest.mark.postgres
@pytest.mark.skipif(not PG, reason="needs HUB_TEST_DATABASE_URL (PostgreSQL)")
async def test_two_workers_share_the_queue_and_survive_a_kill(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    token = await court_token(database_url)
    async with (
        mocks() as cluster,
        httpx.AsyncClient(timeout=30) as client,
        processes() as running,
    ):
        admin = Admin(cluster, client)
        await admin.faults(
            "police", error_rate=0.2, latency_ms=15, complete_after_ms=600_000, seed=9
        )
        config = str(write_config(tmp_path / "hub.toml", cluster, url))
        db = ["--config", config, "--database-url", database_url]
        serve = HubProcess(
            ["serve", *db, "--port", str(port), "--no-dispatcher"], tmp_path / "serve.log"
        )
        # small claims: a worker that wakes first cannot take the whole queue at once
        small = {"HUB_DISPATCHER_BATCH": "10"}
        workers = [HubProcess(["worker", *db], tmp_path / f"worker-{i}.log", small) for i in (1, 2)]
        running.extend([serve, *workers])
        for proc in (serve, *workers):
            await proc.start()
        await until_healthy(client, url, serve)
        for worker in workers:  # both share the queue from the first request on
            await until_logged(worker, "worker running")
        creator = Creator(client, url, token)
        await creator.gql(FILE, {"input": case_input(case_number())})

        killer = asyncio.create_task(kill_when_received(admin, workers[0], KILL_AFTER))
        await creator.create_all(list(range(TOTAL)))
        assert creator.confirmed == set(range(TOTAL))  # the server was not killed
        await killer
        restarted = HubProcess(["worker", *db], tmp_path / "worker-1b.log", small)
        running.append(restarted)
        await restarted.start()
        await settle(creator, admin)
        delivered = [p.log.read_text().count('"delivered"') for p in (*workers, restarted)]
        assert sum(1 for n in delivered if n) >= 2, delivered


async def until_logged(proc: HubProcess, text: str) -> None:
    for _ in range(600):
        assert proc.proc is not None and proc.proc.returncode is None, proc.log.read_text()
        if text in proc.log.read_text():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{text!r} never logged: " + proc.log.read_text()[-2000:])
