"""Throughput against a bare-strawberry baseline, and the weight of the graph's extensions."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from bench.harness import (
    LoadResult,
    Progress,
    bearer,
    closed_loop,
    cpu_seconds,
    gql,
    median,
)
from bench.wire import Connection, post_request

CASE_QUERY = """query CaseByNumber($number: String!) {
  case(number: $number) { number court status amountClaimed parties { role name idNumber } }
}"""
# 500 cases with two parties each: a 1,000-item list (plus the 500 cases around it).
LIST_QUERY = """query CaseList {
  cases(first: 500) { totalCount nodes { number status parties { role kind name idNumber } } }
}"""


@dataclass(frozen=True)
class LoadPlan:
    concurrency: int
    seconds: float  # measured load per server, split over the rounds
    warmup_s: float
    rounds: int


def _merge(results: list[LoadResult]) -> LoadResult:
    return LoadResult(
        [x for r in results for x in r.latencies_s],
        sum(r.errors for r in results),
        sum(r.elapsed_s for r in results),
    )


async def throughput(
    hub_url: str,
    baseline_url: str,
    token: str,
    case_numbers: list[str],
    plan: LoadPlan,
    progress: Progress,
    *,
    hub_pid: int,
    baseline_pid: int,
) -> dict[str, float]:
    """Case lookups by number on the hub vs the same lookups on the fair baseline (bare
    strawberry, same database), same client; and each server's CPU time per lookup.

    The two run in alternating rounds so a noisy neighbour hurts both alike.
    Requests are built once; the client's own cost per request stays well
    under a millisecond (``bench.wire``).
    """
    lookups = [
        post_request(
            _authority(hub_url),
            "/graphql",
            {"query": CASE_QUERY, "variables": {"number": number}},
            bearer(token),
        )
        for number in case_numbers
    ]
    # the same lookups, answered by bare strawberry from the same database
    plain = [
        post_request(
            _authority(baseline_url),
            "/graphql",
            {"query": CASE_QUERY, "variables": {"number": number}},
            {},
        )
        for number in case_numbers
    ]

    async def hub_call(connection: Connection, i: int) -> bool:
        reply = await connection.send(lookups[i % len(lookups)])
        return reply.status == 200 and b'"errors"' not in reply.body

    async def baseline_call(connection: Connection, i: int) -> bool:
        reply = await connection.send(plain[i % len(plain)])
        return reply.status == 200 and b'"errors"' not in reply.body

    hub_runs: list[LoadResult] = []
    base_runs: list[LoadResult] = []
    cpu = {"hub": 0.0, "baseline": 0.0}
    share = plan.seconds / plan.rounds
    clients = plan.concurrency
    for url, call in ((baseline_url, baseline_call), (hub_url, hub_call)):
        await closed_loop(url, call, concurrency=clients, duration_s=plan.warmup_s)
    for n in range(plan.rounds):
        progress(f"throughput round {n + 1}/{plan.rounds}: baseline {share:.0f} s")
        before = cpu_seconds(baseline_pid)
        base_runs.append(
            await closed_loop(baseline_url, baseline_call, concurrency=clients, duration_s=share)
        )
        cpu["baseline"] += cpu_seconds(baseline_pid) - before
        progress(f"throughput round {n + 1}/{plan.rounds}: hub {share:.0f} s")
        before = cpu_seconds(hub_pid)
        hub_runs.append(await closed_loop(hub_url, hub_call, concurrency=clients, duration_s=share))
        cpu["hub"] += cpu_seconds(hub_pid) - before
    hub_all, base_all = _merge(hub_runs), _merge(base_runs)
    if hub_all.count == 0 or base_all.count == 0:
        raise RuntimeError("the throughput scenario got no successful answers")
    return {
        "throughput_rps": hub_all.rps,
        "baseline_rps": base_all.rps,
        "overhead_ratio": hub_all.rps / base_all.rps,
        "p50_ms": hub_all.ms(50),
        "p95_ms": hub_all.ms(95),
        "p99_ms": hub_all.ms(99),
        "throughput_errors": float(hub_all.errors),
        "baseline_p50_ms": base_all.ms(50),
        # what one lookup costs each server's process, whatever else the machine does
        "throughput_cpu_ms": cpu["hub"] * 1000 / hub_all.count,
        "baseline_cpu_ms": cpu["baseline"] * 1000 / base_all.count,
    }


def _authority(url: str) -> str:
    return urlsplit(url).netloc


async def extension_overhead(
    with_url: str, without_url: str, token: str, runs: int, progress: Progress
) -> dict[str, float]:
    """Median latency of the 1,000-item list with the production extensions / without.

    One request at a time, alternating between the two servers (same database),
    so both see the same machine.
    """
    timings: dict[str, list[float]] = {"with": [], "without": []}
    items = 0
    async with Connection(with_url) as on, Connection(without_url) as off:
        for n in range(runs + 2):  # the first two of each are warm-up
            for label, connection in (("with", on), ("without", off)):
                started = time.perf_counter()
                body = await gql(connection, LIST_QUERY, token=token)
                elapsed = time.perf_counter() - started
                if n >= 2:
                    timings[label].append(elapsed)
                nodes = body["data"]["cases"]["nodes"]
                items = sum(len(c["parties"]) for c in nodes)
            if n % 10 == 9:
                progress(f"extension overhead: {n + 1}/{runs + 2} pairs")
    with_ms, without_ms = median(timings["with"]) * 1000, median(timings["without"]) * 1000
    return {
        "extension_overhead_ratio": with_ms / without_ms,
        "list_items": float(items),
        "list_with_extensions_ms": with_ms,
        "list_without_extensions_ms": without_ms,
    }
