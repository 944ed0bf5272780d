"""Time and pace for the dispatcher: an injectable clock and per-agency send rates.

``DispatchClock`` is the wall clock unless the settings ask for simulated
time (``dispatcher_clock_speed``): the soak test lets hours of outage pass
in seconds, and every process started with the same epoch and speed agrees
on the time, so leases one worker writes lapse when the others think so.

``AgencyPacer`` keeps deliveries to an agency at or under its configured
``rate_per_s`` (``[[agencies]] rate_per_s``): after an outage a backlog of
thousands drains at the pace the agency can take, not all at once. On SQLite
(one machine) the pace is kept in the process; on PostgreSQL
``SharedAgencyPacer`` keeps it in the database, so N dispatcher processes
together send at the agency's rate, not N times it (``agency_pacer`` picks).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert

from hub.models import RateBucket
from hub.settings import Settings
from hub.state import Slot
from hub.storage import Database

if TYPE_CHECKING:
    from hub.state import HubState

log = structlog.get_logger("hub.pacing")


class DispatchClock:
    """``now()`` in UTC; ``speed`` simulated seconds pass per real second."""

    def __init__(
        self,
        speed: float = 1.0,
        epoch: float | None = None,
        *,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.speed = max(speed, 1e-9)
        self._wall = wall
        self.epoch = wall() if epoch is None else epoch

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatchClock:
        return cls(settings.dispatcher_clock_speed, settings.dispatcher_clock_epoch)

    def now(self) -> datetime:
        real = self._wall()
        if self.speed == 1.0:
            return datetime.fromtimestamp(real, UTC)
        return datetime.fromtimestamp(self.epoch + (real - self.epoch) * self.speed, UTC)

    def real_s(self, simulated_s: float) -> float:
        """How long ``simulated_s`` of this clock takes on the wall clock."""
        return simulated_s / self.speed

    def later(self, seconds: float) -> datetime:
        return self.now() + timedelta(seconds=seconds)


DISPATCH_CLOCK: Slot[DispatchClock] = Slot("pacing.dispatch_clock")


def dispatch_clock(hub: HubState) -> DispatchClock:
    """The process's dispatcher clock, from the settings: the dispatcher loop's, and that of
    whatever arms its rows from outside it (a callback re-arming a poll), so that a row is
    due when the loop that runs it thinks so."""
    return hub.setdefault(DISPATCH_CLOCK, lambda: DispatchClock.from_settings(hub.settings))


class AgencyPacer:
    """A token bucket per agency: ``await take(agency_id, rate)`` waits for a slot.

    ``rate`` ``None`` or ≤ 0 means no limit. A burst of one second's worth is
    allowed, then sends are spaced ``1/rate`` apart. Per process: with N
    processes an agency would see N × its rate (hence ``SharedAgencyPacer``).
    """

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._clock = monotonic
        self._next: dict[str, float] = {}

    def delay(self, agency_id: str, rate: float | None) -> float:
        """Reserve the next slot; the seconds to wait before using it."""
        if not rate or rate <= 0:
            return 0.0
        now = self._clock()
        interval = 1.0 / rate
        # up to a second's worth may go at once: the slot may lie that far behind
        behind = now - max(1.0 - interval, 0.0)
        slot = max(self._next.get(agency_id, behind), behind)
        self._next[agency_id] = slot + interval
        return max(0.0, slot - now)

    async def take(self, agency_id: str, rate: float | None) -> None:
        wait = self.delay(agency_id, rate)
        if wait > 0:
            await asyncio.sleep(wait)


class Pacer(Protocol):
    async def take(self, agency_id: str, rate: float | None) -> None: ...


class SharedAgencyPacer:
    """``AgencyPacer``'s buckets kept in the database: every process on one PostgreSQL
    shares each agency's pace.

    The bucket (a ``rate_buckets`` row named ``pace:<agency id>``) holds up to
    a second's worth of sends (at least one) and refills at ``rate`` a second.
    A take never fails: it spends a token even when none is left, and the
    balance below zero is how long the sends already promised keep the agency
    busy, so the taker waits ``-balance / rate`` seconds. One upsert per
    agency refills and spends atomically (``INSERT ... ON CONFLICT DO UPDATE
    ... RETURNING``, no advisory locks); the takes of one event-loop tick
    share it. If the database cannot be reached the process paces alone
    for that batch rather than failing the deliveries.
    """

    PREFIX = "pace:"

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self._clock = clock
        self._local = AgencyPacer()
        self._waiting: dict[str, tuple[float, list[asyncio.Future[float]]]] = {}
        self._writer: asyncio.Task[None] | None = None

    async def reserve(self, agency_id: str, rate: float | None) -> float:
        """Reserve the next slot; the seconds to wait before using it."""
        if not rate or rate <= 0:
            return 0.0
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(agency_id, (rate, []))[1].append(future)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write())
        return await future

    async def take(self, agency_id: str, rate: float | None) -> None:
        wait = await self.reserve(agency_id, rate)
        if wait > 0:
            await asyncio.sleep(wait)

    def _spend(self, agency_id: str, rate: float, n: int, now: float) -> Any:
        capacity = max(rate, 1.0)
        table = RateBucket.__table__.c
        elapsed = func.greatest(0.0, now - table.at)
        refilled = func.least(capacity, table.tokens + elapsed * rate)
        stmt = pg_insert(RateBucket).values(
            bucket=f"{self.PREFIX}{agency_id}"[:200], tokens=capacity - n, at=now, granted=n
        )
        return stmt.on_conflict_do_update(
            index_elements=[RateBucket.bucket],
            set_={
                "tokens": refilled - n,
                "at": func.greatest(table.at, now),
                "granted": n,
            },
        ).returning(RateBucket.tokens)

    async def _write(self) -> None:
        await asyncio.sleep(0)  # the rest of this tick's takes join the batch
        waiting, self._waiting, self._writer = self._waiting, {}, None
        now = self._clock()
        left: dict[str, float] = {}
        try:
            async with self.db.transaction() as session:
                for agency_id, (rate, futures) in sorted(waiting.items()):  # one lock order
                    stmt = self._spend(agency_id, rate, len(futures), now)
                    left[agency_id] = float((await session.execute(stmt)).scalar_one())
        except Exception:
            log.exception("shared pace unavailable; pacing in this process")
            for agency_id, (rate, futures) in waiting.items():
                for future in futures:
                    if not future.done():
                        future.set_result(self._local.delay(agency_id, rate))
            return
        for agency_id, (rate, futures) in waiting.items():
            before = left[agency_id] + len(futures)  # the balance before this batch
            for i, future in enumerate(futures):
                if not future.done():
                    future.set_result(max(0.0, i + 1 - before) / rate)


LOCAL_PACER: Slot[AgencyPacer] = Slot("hub.pacing.local")
SHARED_PACER: Slot[SharedAgencyPacer] = Slot("hub.pacing.shared")


def agency_pacer(hub: HubState) -> Pacer:
    """The process's pace keeper: shared by every process on PostgreSQL, the
    process's own on SQLite (one file, one machine)."""
    if hub.db.is_postgres:
        return hub.setdefault(SHARED_PACER, lambda: SharedAgencyPacer(hub.db))
    return hub.setdefault(LOCAL_PACER, AgencyPacer)
