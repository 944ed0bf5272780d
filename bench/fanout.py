"""Dossier fan-out against slow agencies, and batching across a list of cases."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx

from bench.harness import Progress, gql, median
from bench.wire import Connection
from mocks._common import KINDS

FANOUT_LATENCY_MS = 100

DOSSIER_QUERY = """query Dossier($caseNumber: String!, $idNumber: String!) {
  dossier(caseNumber: $caseNumber, idNumber: $idNumber) {
    realEstate { certificateNumber matchedBy }
    vehicles { plate }
    whereabouts { householdAddress }
    tax { arrears }
    employment { employerName }
    wageArrears { amount }
    credit { listed }
    sources { agency { id } state latencyMs attempts }
  }
}"""

BATCH_QUERY = """query Respondents {
  cases(first: 50) {
    nodes {
      number
      parties(role: RESPONDENT) { dossier { credit { listed } realEstate { certificateNumber } } }
    }
  }
}"""


async def set_faults(mocks: Mapping[str, str], faults: dict[str, Any]) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        for url in mocks.values():
            (await client.post(f"{url}/_admin/reset")).raise_for_status()
            (await client.put(f"{url}/_admin/faults", json=faults)).raise_for_status()


async def mock_stats(mocks: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as client:
        return {
            kind: (await client.get(f"{url}/_admin/stats")).json() for kind, url in mocks.items()
        }


async def fanout(
    hub_url: str,
    token: str,
    mocks: Mapping[str, str],
    case_number: str,
    id_number: str,
    runs: int,
    progress: Progress,
) -> dict[str, float]:
    """Wall time of a full dossier / the slowest source's own latency (median of runs).

    Every mock answers after a fixed 100 ms. The slowest source's latency is the
    largest ``SourceStatus.latencyMs`` of the same read: what the hub could not
    avoid waiting for (an agency that needs two round trips, such as an
    asynchronous job, takes two latencies).
    """
    await set_faults(mocks, {"latency_ms": FANOUT_LATENCY_MS, "callbacks": False})
    ratios: list[float] = []
    walls: list[float] = []
    slowest: list[float] = []
    variables = {"caseNumber": case_number, "idNumber": id_number}
    async with Connection(hub_url) as connection:
        await gql(connection, DOSSIER_QUERY, variables, token=token)  # warm-up
        for n in range(runs):
            started = time.perf_counter()
            body = await gql(connection, DOSSIER_QUERY, variables, token=token)
            wall_ms = (time.perf_counter() - started) * 1000
            sources = body["data"]["dossier"]["sources"]
            bad = [s for s in sources if s["state"] not in ("OK", "NOT_APPLICABLE")]
            if bad:
                raise RuntimeError(f"a dossier source failed during the fan-out run: {bad}")
            worst = max((float(s["latencyMs"]) for s in sources), default=0.0)
            walls.append(wall_ms)
            slowest.append(worst)
            ratios.append(wall_ms / worst if worst else 0.0)
            if n % 10 == 9:
                progress(f"fan-out: {n + 1}/{runs} dossiers")
    return {
        "fanout_ratio": median(ratios),
        "fanout_wall_ms": median(walls),
        "fanout_slowest_source_ms": median(slowest),
        "fanout_ratio_vs_configured_latency": median(walls) / FANOUT_LATENCY_MS,
    }


async def batching(
    hub_url: str, token: str, mocks: Mapping[str, str], agencies_per_kind: Mapping[str, int]
) -> dict[str, float]:
    """Upstream calls per agency for one list of 50 cases with their parties' dossiers.

    Calls are counted at the mocks (``/_admin/stats`` requests), per kind, and
    divided by the number of agency instances of that kind (three registries
    share the real-estate mock). The figure is the worst agency's.
    """
    await set_faults(mocks, {"callbacks": False})
    before = await mock_stats(mocks)
    async with Connection(hub_url) as connection:
        body = await gql(connection, BATCH_QUERY, token=token)
    after = await mock_stats(mocks)
    nodes = body["data"]["cases"]["nodes"]
    if len(nodes) != 50:
        raise RuntimeError(f"the batch scenario listed {len(nodes)} cases, not 50")
    per_agency: dict[str, float] = {}
    for kind in ("credit", "realestate"):
        calls = after[kind]["requests"] - before[kind]["requests"]
        per_agency[kind] = calls / max(1, agencies_per_kind.get(kind, 1))
    others = sum(after[k]["requests"] - before[k]["requests"] for k in KINDS if k not in per_agency)
    return {
        "batch_upstream_calls_per_agency": max(per_agency.values()),
        "batch_calls_credit": per_agency["credit"],
        "batch_calls_realestate": per_agency["realestate"],
        "batch_calls_unselected_agencies": float(others),
    }
