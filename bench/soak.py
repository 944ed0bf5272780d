"""Soak: requests delivered through faults, an outage and crashed workers; none lost or doubled.

The set-up is the scale-out one on PostgreSQL: one ``hub serve`` without a
dispatcher takes the requests, ``workers`` separate ``hub worker`` processes
deliver them, and the mock agencies (their own process) answer 20 % of calls
with 5xx and let 5 % time out. One agency is down for ``down_sim_s`` of
simulated time: every hub process runs its dispatcher on one shared clock
(``dispatcher_clock_speed`` from one epoch), so half an hour of outage passes
in seconds of wall time and backoff, leases and the retry budget all see
simulated time. Every ``kill_every_s`` a worker is killed with SIGKILL and a
new one started.

Figures: ``soak_lost`` (created, never received by its agency),
``soak_duplicates`` (orders an agency received twice: the mocks' own
``assistance_duplicates`` plus one request arriving as two orders) and
``soak_failed`` (requests that ended FAILED), each to be 0.
"""

from __future__ import annotations

import asyncio
import signal
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from adapters.sdk.registry import load_adapter_class
from bench.dispatch import Target, _create
from bench.harness import Progress, ServerProcess, hub_server, start_mock_process, worker_process
from bench.seed import prepare
from hub.models import AssistanceRequest
from hub.storage import Database
from mocks._common import load_world
from mocks.runner import render_config

FAULTS = {
    "error_rate": 0.2,
    "status": 503,
    "timeout_rate": 0.05,
    "timeout_ms": 4000,  # past the hub's 2 s attempt timeout
    "latency_ms": 0,
    "callbacks": False,
    "complete_after_ms": 3_600_000,
}


@dataclass(frozen=True)
class SoakPlan:
    requests: int
    workers: int
    speed: float  # simulated seconds per wall second
    down_sim_s: float  # how long one agency is down, in simulated seconds
    kill_every_s: float  # wall seconds between kill -9 of a worker
    create_concurrency: int = 8
    settle_within_s: float = 300.0  # wall seconds to wait for the last deliveries


FULL = SoakPlan(requests=10_000, workers=2, speed=60.0, down_sim_s=1800.0, kill_every_s=10.0)
SCALED = SoakPlan(
    requests=600, workers=2, speed=120.0, down_sim_s=1800.0, kill_every_s=4.0, settle_within_s=90
)


def _env(epoch: float, plan: SoakPlan) -> dict[str, str]:
    return {
        "HUB_LOG_LEVEL": "WARNING",
        "HUB_DOSSIER_READS_PER_MINUTE": "1000000",
        "HUB_DISPATCHER_CLOCK_SPEED": str(plan.speed),
        "HUB_DISPATCHER_CLOCK_EPOCH": repr(epoch),
        "HUB_PROBE_EVERY_S": "0.5",
        # polls (no callbacks here) and leases are in simulated seconds
        "HUB_POLL_AFTER_S": str(10 * 24 * 3600),
        # a lease of 6 wall seconds: time runs fast here, and a lease of a few wall seconds
        # lapses while a worker merely waits for a busy machine's CPU (another takes its
        # rows over and may send one again), which is no crash this soak means to test
        "HUB_DISPATCHER_LEASE_S": str(max(60.0, 6 * plan.speed)),
    }


def _worker(
    workdir: Path, n: int, database_url: str, config: Path, env: dict[str, str]
) -> ServerProcess:
    """A ``hub worker``; killed only once it is up (its metrics port answers)."""
    return worker_process(workdir, database_url=database_url, config=config, env=env, n=n)


async def _faults(client: httpx.AsyncClient, url: str, **faults: Any) -> None:
    (await client.put(f"{url}/_admin/faults", json=faults)).raise_for_status()


async def _received(client: httpx.AsyncClient, urls: Sequence[str]) -> tuple[list[str], int]:
    """Request ids of every order the agencies hold, and their duplicate submissions."""
    seen: list[str] = []
    duplicates = 0
    for url in urls:
        seen += [
            str(o.get("request_id"))
            for o in (await client.get(f"{url}/_admin/orders")).json()["orders"]
        ]
        duplicates += int((await client.get(f"{url}/_admin/stats")).json()["assistance_duplicates"])
    return seen, duplicates


async def soak(
    database_url: str, workdir: Path, plan: SoakPlan, progress: Progress
) -> dict[str, float]:
    """Run the soak on ``database_url`` (PostgreSQL); the ``soak_*`` figures."""
    seeded = await prepare(database_url, 200)
    mocks = await start_mock_process(workdir)
    world = load_world()
    epoch = time.time()
    env = _env(epoch, plan)
    processes: list[ServerProcess] = []
    try:
        server = hub_server(
            "soak-hub", workdir, database_url=database_url, config=None, dispatcher=False, env=env
        )
        config = workdir / "soak.toml"
        config_text = render_config(mocks.port_base, world, public_url=server.url)
        config.write_text(config_text, encoding="utf-8")
        server.args += ["--config", str(config)]
        agencies = [
            a
            for a in tomllib.loads(config_text)["agencies"]
            if a.get("channel", "api") == "api"
            and "QUERY" in {str(x) for x in load_adapter_class(a["kind"]).actions}
        ]
        urls = mocks.base_urls
        down = agencies[0]
        down_url = urls[down["kind"]]
        async with httpx.AsyncClient(timeout=10) as client:
            for url in urls.values():
                (await client.post(f"{url}/_admin/reset")).raise_for_status()
                await _faults(client, url, **FAULTS)
            await _faults(client, down_url, down=True)
        down_until = time.monotonic() + plan.down_sim_s / plan.speed
        progress(
            f"soak: {down['id']} down for {plan.down_sim_s:.0f} simulated s"
            f" ({plan.down_sim_s / plan.speed:.0f} s)"
        )
        processes.append(server)
        server.start()
        await server.wait_ready()
        workers = [_worker(workdir, n, database_url, config, env) for n in range(plan.workers)]
        processes += workers
        for w in workers:
            w.start()
        await asyncio.gather(*(w.wait_ready() for w in workers))
        targets = [
            Target(number, seeded.respondents[number], agencies[i % len(agencies)]["id"])
            for i, number in enumerate(seeded.case_numbers[:100])
        ]
        stop = asyncio.Event()
        kills = 0

        async def chaos() -> None:
            nonlocal kills
            spawned = plan.workers
            async with httpx.AsyncClient(timeout=10) as client:
                while not stop.is_set():
                    try:
                        await asyncio.wait_for(stop.wait(), timeout=plan.kill_every_s)
                    except TimeoutError:
                        pass
                    if time.monotonic() >= down_until:
                        await _faults(client, down_url, down=False)
                    if stop.is_set():
                        break
                    victim = workers[kills % len(workers)]
                    if victim.process is not None and victim.process.poll() is None:
                        victim.process.send_signal(signal.SIGKILL)
                        await asyncio.to_thread(victim.process.wait)
                        kills += 1
                    fresh = _worker(workdir, spawned, database_url, config, env)
                    spawned += 1
                    fresh.start()
                    workers[workers.index(victim)] = fresh
                    processes.append(fresh)
                    # the next kill counts from when this one is up: on a busy machine a
                    # worker that is killed while still starting would never work at all
                    await fresh.wait_ready()

        chaos_task = asyncio.create_task(chaos())
        progress(
            f"soak: creating {plan.requests} requests,"
            f" killing a worker every {plan.kill_every_s:.0f} s"
        )
        phase = await _create(
            server.url, seeded.officer_token, targets, plan.requests, plan.create_concurrency, 0
        )
        created = set(phase.created)
        # the outage lasts its simulated half hour, however fast creation went
        await asyncio.sleep(max(0.0, down_until - time.monotonic()))
        progress("soak: outage over; waiting for the backlog to drain")
        db = Database(database_url)
        deadline = time.monotonic() + plan.settle_within_s
        try:
            while time.monotonic() < deadline:
                async with db.session() as session:
                    pending = await session.scalar(
                        select(func.count())
                        .select_from(AssistanceRequest)
                        .where(
                            AssistanceRequest.id.in_(created), AssistanceRequest.status == "PENDING"
                        )
                    )
                if not pending:
                    break
                await asyncio.sleep(0.5)
            stop.set()
            await chaos_task
            await asyncio.sleep(1.0)  # a duplicate, if one were coming, lands now
            async with db.session() as session:
                failed = await session.scalar(
                    select(func.count())
                    .select_from(AssistanceRequest)
                    .where(AssistanceRequest.id.in_(created), AssistanceRequest.status == "FAILED")
                )
        finally:
            await db.dispose()
        async with httpx.AsyncClient(timeout=30) as client:
            seen, duplicate_submits = await _received(client, list(urls.values()))
        ours = [rid for rid in seen if rid in created]
        return {
            "soak_requests": float(len(created)),
            "soak_lost": float(len(created - set(ours))),
            "soak_duplicates": float(duplicate_submits + len(ours) - len(set(ours))),
            "soak_failed": float(failed or 0),
            "soak_worker_kills": float(kills),
        }
    finally:
        for process in processes:
            await process.stop()
        await mocks.stop()
