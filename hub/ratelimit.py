"""Per-principal token buckets: how many personal-data reads one caller may make.

A bucket holds up to ``per_minute`` tokens and refills continuously at
``per_minute / 60`` a second, so a caller may burst up to a minute's worth and
then reads at the steady rate. A refused read raises ``RateLimited`` before
anything is written or any agency is called. Buckets live in the process (one
hub process, one budget); ``per_minute <= 0`` turns the limit off.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, MutableMapping
from dataclasses import dataclass
from typing import Any

from hub.errors import RateLimited

DOSSIER_READS = "hub.ratelimit.dossier_reads"
_PRUNE_EVERY = 1000  # takes between sweeps of full (idle) buckets


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """``take(key)`` spends one token of ``key``'s bucket or raises ``RateLimited``."""

    def __init__(
        self,
        per_minute: int,
        *,
        what: str = "reads",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_minute = per_minute
        self.what = what
        self._clock = clock
        self._buckets: dict[Hashable, _Bucket] = {}
        self._takes = 0

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    @property
    def _rate(self) -> float:  # tokens per second
        return self.per_minute / 60.0

    def _refilled(self, key: Hashable, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.per_minute), now)
        else:
            bucket.tokens = min(self.per_minute, bucket.tokens + (now - bucket.at) * self._rate)
            bucket.at = now
        return bucket

    def remaining(self, key: Hashable) -> int:
        """Whole tokens ``key`` has left now (``per_minute`` for a newcomer)."""
        if not self.enabled:
            return 0
        return int(self._refilled(key, self._clock()).tokens)

    def take(self, key: Hashable) -> None:
        if not self.enabled:
            return
        now = self._clock()
        bucket = self._refilled(key, now)
        if bucket.tokens < 1.0:
            wait = math.ceil((1.0 - bucket.tokens) / self._rate)
            raise RateLimited(
                f"too many {self.what}: at most {self.per_minute} a minute; try again in {wait} s",
                retry_after=wait,
            )
        bucket.tokens -= 1.0
        self._takes += 1
        if self._takes % _PRUNE_EVERY == 0:
            self._prune(now)

    def _prune(self, now: float) -> None:
        # A bucket that has refilled completely is indistinguishable from a new one.
        full = [
            key
            for key, b in self._buckets.items()
            if b.tokens + (now - b.at) * self._rate >= self.per_minute
        ]
        for key in full:
            del self._buckets[key]


def dossier_reads(extras: MutableMapping[str, Any], per_minute: int) -> RateLimiter:
    """The process's limiter for dossier reads, kept in ``HubState.extras``."""
    limiter = extras.get(DOSSIER_READS)
    if not isinstance(limiter, RateLimiter) or limiter.per_minute != per_minute:
        limiter = extras[DOSSIER_READS] = RateLimiter(per_minute, what="dossier reads")
    return limiter
