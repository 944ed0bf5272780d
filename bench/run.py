"""``hub bench``: run every scenario, print a table, optionally write JSON.

What runs where: the mocks in their own process (``hub mocks``);
three servers under test as their own processes, each one uvicorn worker
(``bench.server``): the hub as ``hub serve --no-dispatcher`` runs it, the hub
without its graph extensions, and a bare strawberry baseline; and, for the
dispatch scenario, two ``hub worker``. The
load generator is this process (``bench.wire``: 32 keep-alive connections for
throughput). The database is a temporary SQLite file, or ``--database-url`` /
``HUB_BENCH_DATABASE_URL`` (PostgreSQL; seeded cases are kept between runs).
``--soak`` adds the soak (``bench.soak``, PostgreSQL only).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.sdk.registry import load_adapter_class
from bench import dispatch as dispatch_scenario
from bench import dossier_load as dossier_scenario
from bench import fanout as fanout_scenario
from bench import indicators as indicators_scenario
from bench import soak as soak_scenario
from bench import throughput as throughput_scenario
from bench.harness import (
    MockProcess,
    Progress,
    ServerProcess,
    baseline_server,
    hub_server,
    start_mock_process,
    worker_process,
)
from bench.seed import DEBTOR_CASE, DEBTOR_ID, Seeded, prepare
from mocks._common import load_world
from mocks.runner import render_config

CONCURRENCY = 32

# name, goal text, check
GOALS: dict[str, tuple[str, Callable[[float], bool]]] = {
    "fanout_ratio": ("≤ 1.15", lambda v: v <= 1.15),
    "batch_upstream_calls_per_agency": ("= 1", lambda v: v == 1),
    "overhead_ratio": ("≥ 0.6", lambda v: v >= 0.6),
    "extension_overhead_ratio": ("≤ 1.2", lambda v: v <= 1.2),
    "dispatch_lost": ("= 0", lambda v: v == 0),
    "dispatch_duplicates": ("= 0", lambda v: v == 0),
    "indicators_ms": ("< 1000 (300,000 cases, PostgreSQL)", lambda v: v < 1000),
    "dossier_cpu_ms": ("≤ 8 (full dossier, 20 clients)", lambda v: v <= 8),
}
# goals that hold on PostgreSQL (the scale-out database), checked only there
POSTGRES_GOALS: dict[str, tuple[str, Callable[[float], bool]]] = {
    "dispatch_rate": ("≥ 500 /s (2 workers)", lambda v: v >= 500),
    "create_rate": ("≥ 300 /s", lambda v: v >= 300),
}
SOAK_GOALS: dict[str, tuple[str, Callable[[float], bool]]] = {
    "soak_lost": ("= 0", lambda v: v == 0),
    "soak_duplicates": ("= 0", lambda v: v == 0),
    "soak_failed": ("= 0", lambda v: v == 0),
}
DISPATCH_WORKERS = 2

REQUIRED_KEYS = (
    "fanout_ratio",
    "batch_upstream_calls_per_agency",
    "throughput_rps",
    "baseline_rps",
    "overhead_ratio",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "extension_overhead_ratio",
    "dispatch_rate",
    "dispatch_lag_p95_ms",
    "dispatch_lost",
    "dispatch_duplicates",
    "peak_rss_mb",
    "indicators_ms",
    "dossier_rps_20",
    "dossier_cpu_ms",
)


@dataclass(frozen=True)
class Sizes:
    mode: str
    cases: int
    load: throughput_scenario.LoadPlan
    extension_runs: int
    fanout_runs: int
    dispatch: dispatch_scenario.DispatchPlan
    dossier_s: float  # full-dossier load, 20 clients


SIZES = {
    "full": Sizes(
        "full",
        500,
        throughput_scenario.LoadPlan(CONCURRENCY, 30, 2, 3),
        40,
        50,
        dispatch_scenario.DispatchPlan(1000, 300, 30, 30),
        30,
    ),
    "quick": Sizes(
        "quick",
        500,
        throughput_scenario.LoadPlan(CONCURRENCY, 8, 1, 2),
        15,
        20,
        dispatch_scenario.DispatchPlan(200, 100, 30, 8),
        8,
    ),
    # for the test suite: every scenario once, tiny; the figures mean little
    "smoke": Sizes(
        "smoke",
        60,
        throughput_scenario.LoadPlan(CONCURRENCY, 1, 0.2, 1),
        2,
        2,
        dispatch_scenario.DispatchPlan(10, 5, 20, 2),
        1,
    ),
}

HUB_ENV = {
    # the bench reads far more dossiers a minute than one officer may
    "HUB_DOSSIER_READS_PER_MINUTE": "1000000",
    "HUB_LOG_JSON": "true",
    "HUB_LOG_LEVEL": "INFO",
    # the mocks stay quiet after an order arrives (no callbacks): without this the
    # fallback polling of every earlier order would compete with the deliveries timed
    "HUB_POLL_AFTER_S": "3600",
}


def machine() -> dict[str, Any]:
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(
            (ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")),
            "",
        )
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _agency_plan(config_text: str) -> tuple[dict[str, int], list[str]]:
    """API agencies per mock kind, and the API agencies that take a QUERY order."""
    per_kind: Counter[str] = Counter()
    query_targets: list[str] = []
    for entry in tomllib.loads(config_text)["agencies"]:
        if entry.get("channel", "api") != "api" or not entry.get("base_url"):
            continue
        per_kind[entry["kind"]] += 1
        if "QUERY" in {str(a) for a in load_adapter_class(entry["kind"]).actions}:
            query_targets.append(entry["id"])
    return dict(per_kind), query_targets


Scenario = Callable[[], Awaitable[dict[str, float]]]


def bench_database_url(explicit: str | None = None) -> str | None:
    return explicit or os.environ.get("HUB_BENCH_DATABASE_URL") or None


async def _run_all(
    sizes: Sizes, progress: Progress, *, database_url: str | None = None, soak: bool = False
) -> tuple[dict[str, float], dict[str, str]]:
    figures: dict[str, float] = {}
    failures: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        workdir = Path(tmp)
        database_url = bench_database_url(database_url) or f"sqlite:///{workdir}/bench.db"
        progress(f"seeding {sizes.cases} cases")
        seeded = await prepare(database_url, sizes.cases)
        world = load_world()
        cluster: MockProcess = await start_mock_process(workdir)
        servers: list[ServerProcess] = []
        try:
            # no dispatcher in the servers: the dispatch scenario starts a `hub worker`
            main = hub_server(
                "hub",
                workdir,
                database_url=database_url,
                config=None,
                dispatcher=False,
                env=HUB_ENV,
            )
            config_text = render_config(cluster.port_base, world, public_url=main.url)
            config = workdir / "hub.toml"
            config.write_text(config_text, encoding="utf-8")
            main.args += ["--config", str(config)]
            bare = hub_server(
                "hub-no-extensions",
                workdir,
                database_url=database_url,
                config=config,
                extensions=False,
                dispatcher=False,
                env=HUB_ENV,
            )
            servers = [main, bare, baseline_server(workdir, database_url)]
            progress("starting the hub, the hub without extensions and the baseline")
            for server in servers:
                server.start()
            await asyncio.gather(*(s.wait_ready() for s in servers))
            per_kind, query_agencies = _agency_plan(config_text)
            mocks = cluster.base_urls
            workers = [
                worker_process(workdir, database_url=database_url, config=config, env=HUB_ENV, n=n)
                for n in range(DISPATCH_WORKERS)
            ]
            plan = _scenarios(
                sizes, seeded, servers, workers, mocks, per_kind, query_agencies, progress
            )
            plan.append(
                (
                    "indicators",
                    lambda: indicators_scenario.run(database_url, sizes.mode, progress),
                )
            )
            if soak:
                plan.append(("soak", lambda: _soak(database_url, workdir, sizes, progress)))
            servers += workers  # stopped with the others, whatever happens
            for name, scenario in plan:
                progress(f"scenario: {name}")
                try:
                    figures.update(await scenario())
                except Exception as exc:  # one broken scenario must not hide the others
                    failures[name] = f"{type(exc).__name__}: {exc}"
                    progress(f"scenario {name} FAILED: {failures[name][:300]}")
            figures["peak_rss_mb"] = main.peak_rss_mb()
        finally:
            for server in servers:
                await server.stop()
            await cluster.stop()
    return figures, failures


async def _soak(
    database_url: str, workdir: Path, sizes: Sizes, progress: Progress
) -> dict[str, float]:
    if not database_url.startswith("postgres"):
        raise RuntimeError("the soak runs on PostgreSQL only (--database-url postgresql://...)")
    plan = soak_scenario.FULL if sizes.mode == "full" else soak_scenario.SCALED
    soak_dir = workdir / "soak"
    soak_dir.mkdir(exist_ok=True)
    return await soak_scenario.soak(database_url, soak_dir, plan, progress)


def _scenarios(
    sizes: Sizes,
    seeded: Seeded,
    servers: list[ServerProcess],
    workers: list[ServerProcess],
    mocks: dict[str, str],
    per_kind: dict[str, int],
    query_agencies: list[str],
    progress: Progress,
) -> list[tuple[str, Scenario]]:
    main, bare, baseline = servers
    token = seeded.officer_token
    if not query_agencies:
        raise RuntimeError("no API agency takes QUERY orders: nothing to dispatch to")
    targets = [
        dispatch_scenario.Target(
            number, seeded.respondents[number], query_agencies[i % len(query_agencies)]
        )
        for i, number in enumerate(seeded.case_numbers[:50])
    ]
    return [
        (
            "throughput",
            lambda: throughput_scenario.throughput(
                main.url,
                baseline.url,
                token,
                seeded.case_numbers,
                sizes.load,
                progress,
                hub_pid=main.pid,
                baseline_pid=baseline.pid,
            ),
        ),
        (
            "extensions",
            lambda: throughput_scenario.extension_overhead(
                main.url, bare.url, token, sizes.extension_runs, progress
            ),
        ),
        ("batch", lambda: fanout_scenario.batching(main.url, token, mocks, per_kind)),
        (
            "fanout",
            lambda: fanout_scenario.fanout(
                main.url, token, mocks, DEBTOR_CASE, DEBTOR_ID, sizes.fanout_runs, progress
            ),
        ),
        (
            "dossier",
            lambda: dossier_scenario.dossier_load(
                main.url,
                main.pid,
                token,
                mocks,
                DEBTOR_CASE,
                DEBTOR_ID,
                sizes.dossier_s,
                progress,
            ),
        ),
        (
            "dispatch",
            lambda: dispatch_scenario.dispatch(
                main.url, main.pid, token, mocks, targets, workers, sizes.dispatch, progress
            ),
        ),
    ]


def _format(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if value == int(value) and abs(value) < 1e9:
        return f"{int(value)}"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def table(
    figures: dict[str, float], goals: dict[str, tuple[str, Callable[[float], bool]]] | None = None
) -> str:
    goals = GOALS if goals is None else goals
    lines = [f"{'figure':<36} {'value':>12}  goal"]
    lines.append("-" * 60)
    for key in sorted(figures, key=lambda k: (k not in REQUIRED_KEYS, k)):
        goal = goals.get(key)
        mark = ""
        if goal is not None:
            mark = f"{goal[0]}  {'met' if goal[1](figures[key]) else 'NOT MET'}"
        lines.append(f"{key:<36} {_format(figures[key]):>12}  {mark}")
    return "\n".join(lines)


def goals_for(database_url: str | None) -> dict[str, tuple[str, Callable[[float], bool]]]:
    """The goals a run on this database is held to."""
    goals = {**GOALS, **SOAK_GOALS}
    if (database_url or "").startswith("postgres"):
        goals.update(POSTGRES_GOALS)
    return goals


def collect(
    mode: str, *, quiet: bool = False, database_url: str | None = None, soak: bool = False
) -> dict[str, Any]:
    """Run every scenario at ``mode`` size ("full", "quick" or "smoke"); the JSON document."""
    progress = Progress(quiet=quiet)
    sizes = SIZES[mode]
    database_url = bench_database_url(database_url)
    figures, failures = asyncio.run(_run_all(sizes, progress, database_url=database_url, soak=soak))
    progress("done")
    goals = goals_for(database_url)
    return {
        **figures,
        "mode": mode,
        "database": "postgresql" if (database_url or "").startswith("postgres") else "sqlite",
        "machine": machine(),
        "goals": {
            k: {"goal": g[0], "met": g[1](figures[k])} for k, g in goals.items() if k in figures
        },
        "failures": failures,
    }


def main(
    quick: bool,
    json_path: Path | None,
    *,
    smoke: bool = False,
    database_url: str | None = None,
    soak: bool = False,
) -> dict[str, Any]:
    """``hub bench``: print the table, write JSON when asked; exit 1 if a scenario failed."""
    mode = "smoke" if smoke else "quick" if quick else "full"
    result = collect(mode, database_url=database_url, soak=soak)
    figures = {k: v for k, v in result.items() if isinstance(v, float | int) and k != "mode"}
    goals = goals_for(bench_database_url(database_url))
    print(table({k: float(v) for k, v in figures.items()}, goals))
    m = result["machine"]
    print(f"\n{mode} run on {m['cpus']} CPUs ({m['cpu_model']}), Python {m['python']}")
    if json_path is not None:
        json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {json_path}")
    if result["failures"]:
        for name, why in result["failures"].items():
            print(f"scenario {name} failed: {why}", file=sys.stderr)
        raise SystemExit(1)
    return result
