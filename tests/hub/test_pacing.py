"""The dispatcher's clock and the per-agency pace (``hub.pacing``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from hub.pacing import AgencyPacer, DispatchClock, SharedAgencyPacer
from hub.storage import Database


class Wall:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_simulated_time_runs_faster_from_the_shared_epoch() -> None:
    wall = Wall(1_000_000.0)
    clock = DispatchClock(60.0, epoch=1_000_000.0, wall=wall)
    assert clock.now() == datetime.fromtimestamp(1_000_000.0, UTC)
    wall.now += 30  # half a minute of wall time is half an hour simulated
    assert clock.now() == datetime.fromtimestamp(1_000_000.0 + 1800, UTC)
    assert clock.real_s(600) == 10.0


def test_a_second_worth_at_once_then_spaced_at_the_rate() -> None:
    mono = Wall(100.0)
    pacer = AgencyPacer(monotonic=mono)
    delays = [pacer.delay("police", 4.0) for _ in range(6)]
    assert delays == [0.0, 0.0, 0.0, 0.0, 0.25, 0.5]
    assert pacer.delay("tax", 4.0) == 0.0  # per agency
    assert pacer.delay("police", None) == 0.0  # no rate configured: no pacing
    mono.now += 60  # idle: the burst allowance is back, no more
    assert [pacer.delay("police", 4.0) for _ in range(5)] == [0.0, 0.0, 0.0, 0.0, 0.25]


async def test_on_postgresql_every_process_draws_on_one_pace(database_url: str) -> None:
    """Two processes (each its own pool) reserve slots of one agency's bucket."""
    first, second = Database(database_url), Database(database_url)
    try:
        if not first.is_postgres:
            pytest.skip("the shared pace lives in PostgreSQL; SQLite paces in the process")
        wall = Wall(1_000_000.0)
        a, b = SharedAgencyPacer(first, clock=wall), SharedAgencyPacer(second, clock=wall)
        # the takes of one tick share one statement, in the order they were asked
        delays = await asyncio.gather(*(a.reserve("police", 4.0) for _ in range(6)))
        assert delays == [0.0, 0.0, 0.0, 0.0, 0.25, 0.5]
        assert await b.reserve("police", 4.0) == 0.75  # the other process queues behind
        assert await b.reserve("tax", 4.0) == 0.0  # per agency
        assert await b.reserve("police", None) == 0.0  # no rate configured: no pacing
        wall.now += 1.0  # four slots' worth of time: three promised, one free again
        assert await a.reserve("police", 4.0) == 0.0
        assert await b.reserve("police", 4.0) == 0.25
        wall.now += 60  # idle: the burst allowance is back, no more
        delays = await asyncio.gather(*(b.reserve("police", 4.0) for _ in range(5)))
        assert delays == [0.0, 0.0, 0.0, 0.0, 0.25]
    finally:
        await first.dispose()
        await second.dispose()
