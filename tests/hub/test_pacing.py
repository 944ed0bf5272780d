"""The dispatcher's clock and the per-agency pace (``hub.pacing``)."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.pacing import AgencyPacer, DispatchClock


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
