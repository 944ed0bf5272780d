"""Time and pace for the dispatcher: an injectable clock and per-agency send rates.

``DispatchClock`` is the wall clock unless the settings ask for simulated
time (``dispatcher_clock_speed``): the soak test lets hours of outage pass
in seconds, and every process started with the same epoch and speed agrees
on the time, so leases one worker writes lapse when the others think so.

``AgencyPacer`` keeps deliveries to an agency at or under its configured
``rate_per_s`` (``[[agencies]] rate_per_s``): after an outage a backlog of
thousands drains at the pace the agency can take, not all at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hub.settings import Settings


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


class AgencyPacer:
    """A token bucket per agency: ``await take(agency_id, rate)`` waits for a slot.

    ``rate`` ``None`` or ≤ 0 means no limit. A burst of one second's worth is
    allowed, then sends are spaced ``1/rate`` apart. Per process: with N
    dispatchers an agency sees at most N × its rate.
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
