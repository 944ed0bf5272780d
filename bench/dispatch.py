"""Durable dispatch: how fast requests reach agencies, how late, and none lost or doubled.

Requests are created through the graph (``createAssistanceRequest``) and
delivered by a separate ``hub worker`` on the same database, the scale-out
set-up (a worker finds new rows on its next poll; a dispatcher inside
``hub serve`` is woken by the request itself). The mocks answer
at once and stay quiet afterwards (no completion, no callbacks), so what is
timed is the hub: each mock's ``/_admin/orders`` says when each order
arrived, matched to the request by its id.

Two phases: a backlog drained by the ``hub worker`` processes (two in the
bench) gives the delivery rate, the backlog's creation the ``create_rate``,
and a steady trickle gives the lag a request sees on a hub that keeps up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from bench.harness import Progress, ServerProcess, cpu_seconds, gql, percentile
from bench.wire import Connection

CREATE = """mutation Create($input: CreateAssistanceRequestInput!) {
  createAssistanceRequest(input: $input) { id status createdAt }
}"""

QUIET_FAULTS = {"latency_ms": 0, "callbacks": False, "complete_after_ms": 3_600_000}


@dataclass(frozen=True)
class DispatchPlan:
    burst: int  # requests in the backlog
    steady: int  # at most this many in the trickle ...
    steady_rate: float  # ... at most this fast (per second) ...
    steady_max_s: float  # ... for at most this long


@dataclass(frozen=True)
class Target:
    case_number: str
    subject_id_number: str
    agency_id: str


@dataclass
class Phase:
    created: dict[str, datetime]  # request id -> createdAt
    first_sent: float  # wall clock, before the first create

    @property
    def count(self) -> int:
        return len(self.created)


async def _create(
    hub_url: str, token: str, targets: Sequence[Target], total: int, concurrency: int, rate: float
) -> Phase:
    """Create ``total`` QUERY requests; ``rate`` > 0 paces them (per second), 0 is a burst."""
    created: dict[str, datetime] = {}
    next_index = 0
    started = time.time()
    start_mono = time.perf_counter()

    async def worker() -> None:
        async with Connection(hub_url) as connection:
            await create_until_done(connection)

    async def create_until_done(connection: Connection) -> None:
        nonlocal next_index
        while next_index < total:
            i = next_index
            next_index += 1
            if rate > 0:
                await asyncio.sleep(max(0.0, start_mono + i / rate - time.perf_counter()))
            target = targets[i % len(targets)]
            variables = {
                "input": {
                    "caseNumber": target.case_number,
                    "subjectIdNumber": target.subject_id_number,
                    "agencyId": target.agency_id,
                    "action": "QUERY",
                }
            }
            body = await gql(connection, CREATE, variables, token=token)
            made = body["data"]["createAssistanceRequest"]
            created[made["id"]] = datetime.fromisoformat(made["createdAt"])

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Phase(created, started)


async def _orders(mocks: Mapping[str, str]) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = []
    async with httpx.AsyncClient(timeout=30) as client:
        for url in mocks.values():
            orders.extend((await client.get(f"{url}/_admin/orders")).json()["orders"])
    return orders


async def _stats(mocks: Mapping[str, str]) -> tuple[int, int]:
    received = duplicates = 0
    async with httpx.AsyncClient(timeout=10) as client:
        for url in mocks.values():
            stats = (await client.get(f"{url}/_admin/stats")).json()
            received += int(stats["assistance_received"])
            duplicates += int(stats["assistance_duplicates"])
    return received, duplicates


async def _wait_delivered(mocks: Mapping[str, str], expected: int, within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        received, _ = await _stats(mocks)
        if received >= expected:
            return
        await asyncio.sleep(0.1)


def _arrivals(orders: list[dict[str, Any]], phase: Phase) -> tuple[list[float], list[float]]:
    """(lags in ms, arrival instants as epoch seconds) of this phase's requests."""
    lags: list[float] = []
    arrivals: list[float] = []
    for order in orders:
        made = phase.created.get(str(order.get("request_id")))
        if made is None:
            continue
        arrived = datetime.fromisoformat(order["created_at"])
        lags.append((arrived - made).total_seconds() * 1000)
        arrivals.append(arrived.timestamp())
    return lags, arrivals


async def dispatch(
    hub_url: str,
    hub_pid: int,
    token: str,
    mocks: Mapping[str, str],
    targets: Sequence[Target],
    workers: Sequence[ServerProcess],
    sizes: DispatchPlan,
    progress: Progress,
) -> dict[str, float]:
    """Burst, then drain with the ``hub worker`` processes; then a steady trickle for the lag.

    The burst is created while no dispatcher runs (the servers run without
    one), so the worker, started afterwards, finds a full queue: its delivery
    rate is the span between the first and the last order the mocks received.
    The trickle then runs at a third of what the hub managed to create or
    deliver, so the lag it shows is that of a hub keeping up.
    """
    async with httpx.AsyncClient(timeout=10) as client:
        for url in mocks.values():
            (await client.post(f"{url}/_admin/reset")).raise_for_status()
            (await client.put(f"{url}/_admin/faults", json=QUIET_FAULTS)).raise_for_status()

    progress(f"dispatch: creating a backlog of {sizes.burst} requests")
    started = time.perf_counter()
    cpu_before = cpu_seconds(hub_pid)
    first = await _create(hub_url, token, targets, sizes.burst, concurrency=8, rate=0)
    create_rate = first.count / (time.perf_counter() - started)
    create_cpu_ms = (cpu_seconds(hub_pid) - cpu_before) * 1000 / max(1, first.count)
    try:
        progress(f"dispatch: starting {len(workers)} hub workers to drain it")
        for worker in workers:
            worker.start()
        await asyncio.gather(*(worker.wait_ready() for worker in workers))
        await _wait_delivered(mocks, sizes.burst, within_s=60 + sizes.burst / 5)
        _, arrivals = _arrivals(await _orders(mocks), first)
        span = max(arrivals) - min(arrivals) if len(arrivals) > 1 else 0.0
        rate = (len(arrivals) - 1) / span if span > 0 else 0.0

        # a delivered request costs about three write transactions (create, claim, record),
        # all on one writer with SQLite: a third of the slower rate leaves the hub room
        pace = max(1.0, min(sizes.steady_rate, min(create_rate, rate or create_rate) / 3))
        steady = min(sizes.steady, max(5, int(pace * sizes.steady_max_s)))
        progress(f"dispatch: {steady} requests at {pace:.1f}/s")
        second = await _create(hub_url, token, targets, steady, concurrency=4, rate=pace)
        await _wait_delivered(mocks, sizes.burst + steady, within_s=60 + steady / 5)
        await asyncio.sleep(0.5)  # a duplicate, if the hub were to send one, would land now
    finally:
        for worker in workers:
            await worker.stop()

    orders = await _orders(mocks)
    received, duplicate_submits = await _stats(mocks)
    created_ids = set(first.created) | set(second.created)
    seen = [str(o.get("request_id")) for o in orders]
    delivered = created_ids & set(seen)
    doubled = len(seen) - len(set(seen))  # one request arriving as two orders (new keys)
    steady_lags, _ = _arrivals(orders, second)
    return {
        "dispatch_rate": rate,
        "dispatch_lag_p95_ms": percentile(steady_lags, 95),
        "dispatch_lag_p50_ms": percentile(steady_lags, 50),
        "dispatch_create_rate": create_rate,
        "create_rate": create_rate,
        "create_cpu_ms": create_cpu_ms,  # the hub server's CPU time per creation
        "dispatch_steady_rate": pace,
        "dispatch_lost": float(len(created_ids) - len(delivered)),
        "dispatch_duplicates": float(duplicate_submits + doubled),
        "dispatch_requests": float(len(created_ids)),
        "dispatch_orders_received": float(received),
    }
