"""The per-principal token bucket behind dossier reads (``hub.ratelimit``)."""

from __future__ import annotations

import pytest

from hub.errors import Forbidden, RateLimited
from hub.ratelimit import RateLimiter, dossier_reads


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
    extras: dict[str, object] = {}
    first = dossier_reads(extras, 120)
    assert dossier_reads(extras, 120) is first
    assert dossier_reads(extras, 60).per_minute == 60  # settings changed: a new budget
