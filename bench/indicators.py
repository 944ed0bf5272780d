"""The quality indicators over a provincial court's year: ``indicators_ms``.

A court of its own (闽0603) gets a year of generated history: cases filed over
2025, most of them closed on a dated transition, about half with money
received and most of that paid out. The goal is CONTRACT §7.3's "300,000 cases
under a second" on PostgreSQL: there the full run seeds 300,000 cases (kept
between runs, like the other seeded cases); SQLite, the bench's default, gets
fewer, so a run without PostgreSQL stays short.

Seeding bypasses the services on purpose (it is not what is measured): on
PostgreSQL with COPY, on SQLite with executemany, in batches.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, text

from hub import indicators
from hub.auth import Principal, Role
from hub.cases import deadline_for
from hub.models import Case, CaseTransition, Receipt
from hub.storage import Database

COURT = "闽0603"
YEAR = 2025
RUNS = 5
CASES = {
    ("postgresql", "full"): 300_000,
    ("postgresql", "quick"): 30_000,
    ("postgresql", "smoke"): 300,
    ("sqlite", "full"): 20_000,
    ("sqlite", "quick"): 5_000,
    ("sqlite", "smoke"): 300,
}
CLOSED = ("CONCLUDED", "SETTLED", "TERMINATED", "ENDED")
BATCH = 20_000


def _number(n: int) -> str:
    return f"（{YEAR}）{COURT}执{n}号"


def _history(
    n: int, first_id: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """``n`` cases with their transitions and receipts, ids from ``first_id``."""
    rng = random.Random(7)
    start = date(YEAR, 1, 1).toordinal()
    limit = date(YEAR + 1, 11, 30)
    now = datetime.now(UTC)
    cases, moves, receipts = [], [], []
    for i in range(n):
        case_id = first_id + i
        filed = date.fromordinal(start + rng.randrange(365))
        claimed = Decimal(rng.randrange(1_000_00, 2_000_000_00)) / 100
        cases.append(
            {
                "id": case_id,
                "number": _number(i + 1),
                "court_code": COURT,
                "filed_on": filed,
                "deadline": deadline_for(filed),
                "cause": "借款合同纠纷",
                "status": "OPEN",
                "amount_claimed": claimed,
                "amount_recovered": Decimal("0.00"),
                "created_at": now,
            }
        )
        if rng.random() < 0.5:
            cents = int(claimed * 100 * Decimal(rng.random()))
            on = min(filed + timedelta(days=rng.randrange(5, 200)), limit)
            settled = on + timedelta(days=rng.randrange(1, 60)) if rng.random() < 0.8 else None
            receipts.append(
                {
                    "case_id": case_id,
                    "court_code": COURT,
                    "amount_cents": max(cents, 1),
                    "paid_cents": max(cents, 1) if settled else 0,
                    "received_on": on,
                    "due_on": on + timedelta(days=30),
                    "remind_on": on + timedelta(days=25),
                    "settled_on": settled,
                    "reminded_at": now,  # history: no worker is to remind anyone of it
                    "source": "DEBTOR",
                    "body_hash": "bench",
                    "created_at": now,
                }
            )
            cases[-1]["amount_recovered"] = Decimal(max(cents, 1)) / 100
        if rng.random() < 0.7:
            to = CLOSED[rng.randrange(len(CLOSED))]
            cases[-1]["status"] = to
            moves.append(
                {
                    "case_id": case_id,
                    "court_code": COURT,
                    "from_status": "OPEN",
                    "to_status": to,
                    "effective_on": min(filed + timedelta(days=rng.randrange(10, 300)), limit),
                    "deadline": cases[-1]["deadline"],
                    "claimed_cents": int(claimed * 100),
                    "recorded_at": now,
                }
            )
    return cases, moves, receipts


async def _seed(db: Database, n: int, progress: Callable[[str], None]) -> None:
    async with db.session() as session:
        have = await session.scalar(
            select(func.count()).select_from(Case).where(Case.court_code == COURT)
        )
    if (have or 0) >= n:
        return
    progress(f"seeding {n} cases of {COURT} for the indicators")
    async with db.transaction() as session:
        await session.execute(
            text("DELETE FROM case_transitions WHERE court_code = :c"), {"c": COURT}
        )
        await session.execute(text("DELETE FROM fund_receipts WHERE court_code = :c"), {"c": COURT})
        await session.execute(text("DELETE FROM cases WHERE court_code = :c"), {"c": COURT})
        first = int(await session.scalar(select(func.coalesce(func.max(Case.id), 0))) or 0) + 1
    cases, moves, receipts = _history(n, first)
    if db.is_postgres:
        await _copy(db, cases, moves, receipts)
    else:
        async with db.transaction() as session:
            for table, rows in ((Case, cases), (CaseTransition, moves), (Receipt, receipts)):
                for i in range(0, len(rows), BATCH):
                    await session.execute(insert(table), rows[i : i + BATCH])


async def _copy(
    db: Database,
    cases: list[dict[str, Any]],
    moves: list[dict[str, Any]],
    receipts: list[dict[str, Any]],
) -> None:
    async with db.engine.begin() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        for table, rows in (
            ("cases", cases),
            ("case_transitions", moves),
            ("fund_receipts", receipts),
        ):
            columns = list(rows[0])
            await raw.copy_records_to_table(
                table, records=[tuple(r[c] for c in columns) for r in rows], columns=columns
            )
        await conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"
            )
        )
    # fresh statistics and visibility maps: what a live database's autovacuum keeps
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("cases", "case_transitions", "fund_receipts"):
            await conn.execute(text(f"VACUUM ANALYZE {table}"))


async def run(database_url: str, mode: str, progress: Callable[[str], None]) -> dict[str, float]:
    db = Database(database_url)
    try:
        backend = "postgresql" if db.is_postgres else "sqlite"
        n = CASES[(backend, mode)]
        await _seed(db, n, progress)
        admin = Principal(0, "bench", Role.ADMIN, "*")
        period = (date(YEAR, 1, 1), date(YEAR, 12, 31))
        await indicators.for_court(db, admin, COURT, *period)  # warm the caches once
        timings = []
        for _ in range(RUNS):
            began = time.perf_counter()
            await indicators.for_court(db, admin, COURT, *period)
            timings.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        await indicators.ranking(db, admin, "闽06", *period)
        ranking_ms = (time.perf_counter() - began) * 1000
        return {
            "indicators_ms": statistics.median(timings),
            "indicators_ranking_ms": ranking_ms,
            "indicators_cases": float(n),
        }
    finally:
        await db.dispose()
