"""Benchmark plumbing: server subprocesses, closed-loop load, percentiles, progress lines."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

from bench.wire import Connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


class Progress:
    """Plain progress lines on stderr (no terminal tricks: they survive CI logs)."""

    def __init__(self, out: TextIO | None = None, *, quiet: bool = False) -> None:
        self.out = out or sys.stderr
        self.quiet = quiet
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            elapsed = time.perf_counter() - self.started
            print(f"[bench {elapsed:6.1f}s] {message}", file=self.out, flush=True)


# -- server processes ----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (its own, not its children's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # after the command's ")": state is field 3, utime 14 and stime 15 (1-based)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (``VmHWM``) in MiB; 0.0 where /proc is missing."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class ServerProcess:
    """A server under test, as its own OS process (one uvicorn worker)."""

    name: str
    args: list[str]
    log_path: Path
    port: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    _log: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        env = {**os.environ, **self.env}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, *self.args],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    async def wait_ready(self, within_s: float = 60.0) -> None:
        """Until ``/healthz`` answers (servers) or the process is merely alive (workers)."""
        assert self.process is not None
        deadline = time.monotonic() + within_s
        async with httpx.AsyncClient(timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited early; see {self.log_path}")
                if self.port is None:
                    return
                try:
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError(f"{self.name} did not become ready; see {self.log_path}")

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.pid) if self.process and self.process.poll() is None else 0.0

    async def stop(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(process.wait, 15)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait)
        if self._log is not None:
            self._log.close()
            self._log = None


def hub_server(
    name: str,
    workdir: Path,
    *,
    database_url: str,
    config: Path | None,
    extensions: bool = True,
    dispatcher: bool = True,
    env: dict[str, str] | None = None,
) -> ServerProcess:
    port = free_port()
    args = ["-m", "bench.server", "hub", "--port", str(port), "--database-url", database_url]
    if config is not None:
        args += ["--config", str(config)]
    if not extensions:
        args.append("--no-extensions")
    if not dispatcher:
        args.append("--no-dispatcher")
    return ServerProcess(name, args, workdir / f"{name}.log", port, dict(env or {}))


def worker_process(
    workdir: Path,
    *,
    database_url: str,
    config: Path,
    env: dict[str, str] | None = None,
    n: int = 0,
) -> ServerProcess:
    """A ``hub worker``; ready once its metrics port answers (it has migrated and built)."""
    port = free_port()
    args = ["-m", "hub.cli", "worker", "--database-url", database_url, "--config", str(config)]
    env = {**(env or {}), "HUB_METRICS_PORT": str(port)}
    return ServerProcess(f"worker-{n}", args, workdir / f"worker-{n}.log", port, env)


def baseline_server(workdir: Path, database_url: str) -> ServerProcess:
    port = free_port()
    args = ["-m", "bench.server", "baseline", "--port", str(port), "--database-url", database_url]
    return ServerProcess("baseline", args, workdir / "baseline.log", port)


# -- load ----------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    latencies_s: list[float]
    errors: int
    elapsed_s: float

    @property
    def count(self) -> int:
        return len(self.latencies_s)

    @property
    def rps(self) -> float:
        return self.count / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def ms(self, q: float) -> float:
        return percentile(self.latencies_s, q) * 1000


Call = Callable[[Connection, int], Awaitable[bool]]


async def closed_loop(
    base_url: str, call: Call, *, concurrency: int, duration_s: float
) -> LoadResult:
    """``concurrency`` clients, each with its own connection, each sending its next
    request as soon as the last one is answered, for ``duration_s``.

    ``call(connection, i)`` sends request number ``i`` and says whether it
    succeeded; only successes count toward latency and throughput.
    """
    latencies: list[float] = []
    errors = 0
    counter = 0
    started = time.perf_counter()
    stop_at = started + duration_s

    async def worker() -> None:
        nonlocal errors, counter
        async with Connection(base_url) as connection:
            while time.perf_counter() < stop_at:
                counter += 1
                t0 = time.perf_counter()
                if await call(connection, counter):
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return LoadResult(latencies, errors, time.perf_counter() - started)


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


async def gql(
    connection: Connection,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
) -> dict[str, Any]:
    """One GraphQL request; raises on a non-200 answer or any error in the body."""
    reply = await connection.post(
        "/graphql", {"query": query, "variables": variables or {}}, bearer(token)
    )
    if reply.status != 200:
        raise RuntimeError(f"GraphQL answered HTTP {reply.status}: {reply.body[:300]!r}")
    body: dict[str, Any] = reply.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {str(body['errors'])[:500]}")
    return body


# -- the mock agencies, in their own process -----------------------------------------------------


@dataclass
class MockProcess:
    """``hub mocks`` as its own OS process, so the load generator does not serve them too."""

    port_base: int
    server: ServerProcess

    @property
    def base_urls(self) -> dict[str, str]:
        from mocks.runner import HOST, PORT_OFFSETS

        return {kind: f"http://{HOST}:{self.port_base + off}" for kind, off in PORT_OFFSETS.items()}

    async def stop(self) -> None:
        await self.server.stop()


async def start_mock_process(workdir: Path, *, attempts: int = 20) -> MockProcess:
    """Start ``hub mocks`` on a free run of ports; ready once every mock answers."""
    import random

    for n in range(attempts):
        port_base = random.randrange(20000, 60000, 10)
        args = ["-m", "hub.cli", "mocks", "--port-base", str(port_base)]
        server = ServerProcess("mocks", args, workdir / f"mocks-{n}.log")
        server.start()
        mocks = MockProcess(port_base, server)
        if await _mocks_ready(mocks):
            return mocks
        await server.stop()
    raise RuntimeError("the mock agencies did not start (no free ports?)")


async def _mocks_ready(mocks: MockProcess, within_s: float = 30.0) -> bool:
    process = mocks.server.process
    assert process is not None
    deadline = time.monotonic() + within_s
    async with httpx.AsyncClient(timeout=1.0) as client:
        pending = list(mocks.base_urls.values())
        while pending and time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            try:
                if (await client.get(f"{pending[0]}/_admin/stats")).status_code == 200:
                    pending.pop(0)
                    continue
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
        return not pending
