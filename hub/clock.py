"""The hub's one clock: instants in UTC, the calendar of Asia/Shanghai.

Everything stored is a UTC instant (``now``); every calendar decision (what is
"today", whether a deadline has passed, which day a seal lapses) is taken in
the courts' time zone (``today``), whatever zone the server runs in. A UTC
server's own date is yesterday's between 00:00 and 08:00 in Shanghai, so
``date.today()`` and naive ``datetime.now()`` have no place in the hub.

Tests freeze the clock with ``frozen(instant)``; every caller reads it through
these functions, so nothing runs on another time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return _source().astimezone(UTC)


def local_now() -> datetime:
    """The current instant as a Shanghai wall clock shows it."""
    return _source().astimezone(SHANGHAI)


def today() -> date:
    """Today's date in Shanghai: the date every "due", "overdue" and "future" is judged by."""
    return local_now().date()


def local(value: datetime | None) -> datetime | None:
    """An instant shown in Shanghai time (``None`` stays ``None``)."""
    return None if value is None else value.astimezone(SHANGHAI)


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Stop the clock at ``at`` (timezone-aware) until the block ends."""
    global _source
    if at.tzinfo is None:
        raise ValueError("freeze the clock at an aware instant")
    saved = _source
    _source = lambda: at  # noqa: E731
    try:
        yield
    finally:
        _source = saved
