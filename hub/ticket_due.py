"""When a ticket is due: working days by category, counted from when the applicant asked.

A ticket is due the given number of working days after it was received, at
the same time of day (Asia/Shanghai): a progress question received on Friday
at 10:00 is due on Monday at 10:00. Saturdays and Sundays are off, as are the
configured ``ticket_holidays``; a weekend day listed in ``ticket_workdays``
(调休) is worked. The days per category come from ``ticket_due_days`` in the
settings, else from the defaults below.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

# A progress question is answered from the file the next working day; finding
# property leads, funds and meetings need a look into the case; a complaint
# about the officer goes through the bureau's review, which takes a week.
DEFAULT_TICKET_DUE_DAYS: dict[str, int] = {
    "PROGRESS": 1,
    "PROPERTY_CLUE": 2,
    "FUNDS": 3,
    "MEET_JUDGE": 3,
    "COMPLAINT": 5,
    "OTHER": 3,
}


def working_days(configured: Mapping[str, int], category: str) -> int:
    days = configured.get(category, DEFAULT_TICKET_DUE_DAYS.get(category, 3))
    return max(int(days), 1)


def is_working_day(day: date, holidays: Collection[date], workdays: Collection[date]) -> bool:
    if day in workdays:
        return True
    return day.weekday() < 5 and day not in holidays


def add_working_days(
    start: datetime,
    days: int,
    *,
    holidays: Collection[date] = (),
    workdays: Collection[date] = (),
) -> datetime:
    """``start`` moved forward by ``days`` working days, keeping its local time of day."""
    local = start.astimezone(SHANGHAI)
    day = local.date()
    left = days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, holidays, workdays):
            left -= 1
    moved = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=SHANGHAI)
    return moved.astimezone(start.tzinfo)
