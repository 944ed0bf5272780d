"""Per-principal token buckets: how many personal-data reads one caller may make.

A bucket holds up to ``per_minute`` tokens and refills continuously at
``per_minute / 60`` a second, so a caller may burst up to a minute's worth and
then reads at the steady rate. A refused read raises ``RateLimited`` before
anything is written or any agency is called. On SQLite buckets live in the
process (one file, one server); on PostgreSQL ``SharedRateLimiter`` counts in
the database, so N servers allow the limit once, not N times
(``take_dossier_read`` picks). ``per_minute <= 0`` turns the limit off.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert

from hub.errors import RateLimited
from hub.models import RateBucket
from hub.state import Slot, SlotStore
from hub.storage import Database

if TYPE_CHECKING:
    from hub.state import HubState

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


DOSSIER_READS: Slot[RateLimiter] = Slot("hub.ratelimit.dossier_reads")


def dossier_reads(store: SlotStore, per_minute: int) -> RateLimiter:
    """The process's limiter for dossier reads, kept in ``store`` (the hub's state)."""
    limiter = store.get(DOSSIER_READS)
    if limiter is None or limiter.per_minute != per_minute:
        limiter = RateLimiter(per_minute, what="dossier reads")
        store.put(DOSSIER_READS, limiter)
    return limiter


class SharedRateLimiter:
    """``RateLimiter``'s bucket kept in the database: every process on one PostgreSQL shares it.

    One upsert per key refills the bucket for the time passed, spends what
    fits of the ``n`` takes asked and says how many passed, atomically and
    without advisory locks (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``;
    every ``SET`` expression sees the row as it was). Takes made in the same
    event-loop tick (the dossiers of a list of cases) share one transaction
    and resume together, so the reads behind them still batch.
    """

    def __init__(
        self,
        db: Database,
        per_minute: int,
        *,
        what: str = "reads",
        name: str = "reads",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.per_minute = per_minute
        self.what = what
        self.name = name
        self._clock = clock
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}
        self._writer: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    @property
    def _rate(self) -> float:  # tokens per second
        return self.per_minute / 60.0

    async def take(self, key: Hashable) -> None:
        if not self.enabled:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(f"{self.name}:{key}"[:200], []).append(future)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write())
        await future

    def _spend(self, bucket: str, n: int, now: float) -> Any:
        limit = float(self.per_minute)
        table = RateBucket.__table__.c
        refilled = func.least(limit, table.tokens + (now - table.at) * self._rate)
        granted = func.least(n, func.greatest(0, func.floor(refilled)))
        first = min(n, self.per_minute)
        stmt = pg_insert(RateBucket).values(
            bucket=bucket, tokens=limit - first, at=now, granted=first
        )
        return stmt.on_conflict_do_update(
            index_elements=[RateBucket.bucket],
            set_={"tokens": refilled - granted, "at": now, "granted": granted},
        ).returning(RateBucket.tokens, RateBucket.granted)

    async def _write(self) -> None:
        await asyncio.sleep(0)  # the rest of this tick's takes join the batch
        waiting, self._waiting, self._writer = self._waiting, {}, None
        now = self._clock()
        try:
            spent: dict[str, tuple[float, int]] = {}
            async with self.db.transaction() as session:
                for bucket, futures in sorted(waiting.items()):  # one lock order
                    row = (await session.execute(self._spend(bucket, len(futures), now))).one()
                    spent[bucket] = (float(row[0]), int(row[1]))
        except Exception as exc:
            for futures in waiting.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
            return
        for bucket, futures in waiting.items():
            tokens, granted = spent[bucket]
            wait = max(1, math.ceil((1.0 - tokens) / self._rate))
            for i, future in enumerate(futures):
                if future.done():
                    continue
                if i < granted:
                    future.set_result(None)
                else:
                    future.set_exception(
                        RateLimited(
                            f"too many {self.what}: at most {self.per_minute} a minute;"
                            f" try again in {wait} s",
                            retry_after=wait,
                        )
                    )


SHARED_DOSSIER_READS: Slot[SharedRateLimiter] = Slot("hub.ratelimit.shared_dossier_reads")


async def take_dossier_read(hub: HubState, principal_id: Hashable) -> None:
    """Spend one of the principal's dossier reads: shared by every process on PostgreSQL,
    per process on SQLite (one file, one server). Raises ``RateLimited``."""
    per_minute = hub.settings.dossier_reads_per_minute
    if not hub.db.is_postgres:
        dossier_reads(hub, per_minute).take(principal_id)
        return
    limiter = hub.get(SHARED_DOSSIER_READS)
    if limiter is None or limiter.per_minute != per_minute:
        limiter = SharedRateLimiter(hub.db, per_minute, what="dossier reads", name="dossier")
        hub.put(SHARED_DOSSIER_READS, limiter)
    await limiter.take(principal_id)
