"""The per-principal token bucket behind dossier reads (``hub.ratelimit``)."""

from __future__ import annotations

import asyncio

import pytest

from hub.errors import Forbidden, RateLimited
from hub.ratelimit import RateLimiter, SharedRateLimiter, dossier_reads, take_dossier_read
from hub.settings import Settings
from hub.state import SlotStore
from hub.storage import Database
from hub.web.app import build_state


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_a_minute_then_the_steady_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(6, clock=clock)  # one token every 10 s
    for _ in range(6):
        limiter.take("alice")
    with pytest.raises(RateLimited) as refused:
        limiter.take("alice")
    assert isinstance(refused.value, Forbidden)  # FORBIDDEN to the caller
    assert refused.value.extensions() == {"code": "FORBIDDEN", "retryAfter": 10}
    limiter.take("bob")  # buckets are per principal

    clock.now += 4
    with pytest.raises(RateLimited) as again:
        limiter.take("alice")
    assert again.value.retry_after == 6
    clock.now += 6
    limiter.take("alice")
    assert limiter.remaining("alice") == 0

    clock.now += 3600  # refills up to a minute's worth, no more
    assert limiter.remaining("alice") == 6


def test_zero_turns_the_limit_off() -> None:
    limiter = RateLimiter(0)
    for _ in range(1000):
        limiter.take("alice")


def test_the_process_keeps_one_limiter_per_setting() -> None:
    extras = SlotStore()
    first = dossier_reads(extras, 120)
    assert dossier_reads(extras, 120) is first
    assert dossier_reads(extras, 60).per_minute == 60  # settings changed: a new budget


async def test_on_postgresql_every_process_shares_the_budget(database_url: str) -> None:
    """Two hub processes (each its own state and pool) on one database."""
    settings = Settings(database_url=database_url, dossier_reads_per_minute=3)
    first, second = build_state(settings), build_state(settings)
    try:
        for hub in (first, second, first):
            await take_dossier_read(hub, 7)
        if first.db.is_postgres:
            with pytest.raises(RateLimited) as refused:
                await take_dossier_read(second, 7)  # the other process knows the three
            assert 1 <= refused.value.retry_after <= 60
        else:
            await take_dossier_read(second, 7)  # one SQLite file, one server: per process
            await take_dossier_read(first, 7)
            with pytest.raises(RateLimited):
                await take_dossier_read(first, 7)
        await take_dossier_read(second, 8)  # per principal
    finally:
        await first.aclose()
        await second.aclose()


async def test_the_shared_bucket_refills_at_the_steady_rate(database_url: str) -> None:
    db = Database(database_url)
    if not db.is_postgres:
        await db.dispose()
        pytest.skip("the shared limiter keeps its buckets in PostgreSQL")
    clock = Clock()
    limiter = SharedRateLimiter(db, 2, name="test", clock=clock)  # one token every 30 s
    try:
        await limiter.take("alice")
        await limiter.take("alice")
        with pytest.raises(RateLimited) as refused:
            await limiter.take("alice")
        assert refused.value.retry_after == 30
        clock.now += 30
        await limiter.take("alice")
        # takes of one tick share one statement; what does not fit is refused
        clock.now += 3600
        results = await asyncio.gather(
            *(limiter.take("bob") for _ in range(3)), return_exceptions=True
        )
        assert [isinstance(r, RateLimited) for r in results] == [False, False, True]
    finally:
        await db.dispose()
