"""诉求数据监控: what a court's applicants ask, and how well it answers.

A period is whole days in Asia/Shanghai, ``start`` to ``end`` inclusive, by
when each ticket was received; its previous period is the same number of days
just before it. A ticket is overdue when it was answered late or is still
unanswered past its due time. Livelihood cases (赡养费、抚恤金、交通事故人身损害
赔偿……: ``Case.livelihood`` set) are also reported on their own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from hub import policy
from hub.courts import COURTS_BY_CODE
from hub.errors import BadUserInput
from hub.models import Case, Ticket, utcnow
from hub.principal import Principal, Role
from hub.state import HubState
from hub.ticket_due import SHANGHAI
from hub.tickets import OPEN_STATUSES, TicketCategory

MAX_DAYS = 731


@dataclass(frozen=True)
class CategoryCount:
    category: str
    count: int
    previous_count: int

    @property
    def change(self) -> int:
        return self.count - self.previous_count


@dataclass(frozen=True)
class Stats:
    total: int
    overdue: int
    overdue_rate: float
    satisfaction: float | None  # mean rating of the rated tickets
    by_category: list[CategoryCount]
    livelihood: Stats | None = None


@dataclass(frozen=True)
class _Row:
    category: str
    received_at: datetime
    overdue: bool
    rating: int | None
    livelihood: bool


def local_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=SHANGHAI)


def _summarize(current: Sequence[_Row], previous: Sequence[_Row]) -> Stats:
    total = len(current)
    overdue = sum(1 for r in current if r.overdue)
    ratings = [r.rating for r in current if r.rating is not None]
    now, before = Counter(r.category for r in current), Counter(r.category for r in previous)
    return Stats(
        total=total,
        overdue=overdue,
        overdue_rate=overdue / total if total else 0.0,
        satisfaction=sum(ratings) / len(ratings) if ratings else None,
        by_category=[CategoryCount(c.value, now[c], before[c]) for c in TicketCategory],
    )


async def _rows(hub: HubState, courts: Iterable[str], start: datetime, end: datetime) -> list[_Row]:
    now = utcnow()
    stmt = (
        select(Ticket, Case.livelihood)
        .join(Case, Case.id == Ticket.case_id)
        .where(
            Ticket.court_code.in_(sorted(courts)),
            Ticket.received_at >= start,
            Ticket.received_at < end,
        )
    )
    async with hub.db.session() as session:
        result = await session.execute(stmt)
        return [
            _Row(
                t.category,
                t.received_at,
                t.late or (t.status in OPEN_STATUSES and t.due_at < now),
                t.rating,
                livelihood is not None,
            )
            for t, livelihood in result.all()
        ]


async def ticket_stats(
    hub: HubState, principal: Principal, court: str, start: date, end: date
) -> Stats:
    policy.require_ticket_stats(principal, court)
    if end < start:
        raise BadUserInput("to", "the period ends before it starts")
    days = (end - start).days + 1
    if days > MAX_DAYS:
        raise BadUserInput("to", f"a period is at most {MAX_DAYS} days")
    begin, finish = local_start(start), local_start(end + timedelta(days=1))
    split = begin
    rows = await _rows(hub, [court], local_start(start - timedelta(days=days)), finish)
    current = [r for r in rows if r.received_at >= split]
    previous = [r for r in rows if r.received_at < split]
    stats = _summarize(current, previous)
    apart = _summarize([r for r in current if r.livelihood], [r for r in previous if r.livelihood])
    return Stats(**{**stats.__dict__, "livelihood": apart})


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


async def monthly_trend(
    hub: HubState, principal: Principal, court: str, months: int = 6, today: date | None = None
) -> list[tuple[str, dict[str, int]]]:
    """Tickets received per calendar month and category, the last ``months`` months."""
    policy.require_ticket_stats(principal, court)
    today = today or utcnow().astimezone(SHANGHAI).date()
    first = add_months(today.replace(day=1), -(months - 1))
    rows = await _rows(hub, [court], local_start(first), local_start(add_months(first, months)))
    counts: dict[str, Counter[str]] = {
        add_months(first, i).strftime("%Y-%m"): Counter() for i in range(months)
    }
    for r in rows:
        counts[r.received_at.astimezone(SHANGHAI).strftime("%Y-%m")][r.category] += 1
    return [(m, {c.value: n[c.value] for c in TicketCategory}) for m, n in counts.items()]


def courts_under(principal: Principal) -> list[str]:
    """The courts whose tickets a principal's leadership view covers: its own and those it
    hears appeals from (an intermediate court sees its basic courts); all for administrators."""
    if principal.role is Role.ADMIN:
        return sorted(COURTS_BY_CODE)
    court = policy.require_court_officer(principal)
    return [court, *sorted(c.code for c in COURTS_BY_CODE.values() if c.parent == court)]


@dataclass(frozen=True)
class CourtOverdue:
    court: str
    name: str
    open: int
    overdue: int


async def overdue_by_court(hub: HubState, principal: Principal) -> list[CourtOverdue]:
    """Unanswered tickets per court in the principal's view, courts with none left out."""
    courts = courts_under(principal)
    now = utcnow()
    async with hub.db.session() as session:
        result = await session.execute(
            select(Ticket.court_code, Ticket.due_at).where(
                Ticket.court_code.in_(courts), Ticket.status.in_(sorted(OPEN_STATUSES))
            )
        )
        pairs = result.all()
    waiting, late = Counter[str](), Counter[str]()
    for code, due in pairs:
        waiting[code] += 1
        if due < now:
            late[code] += 1
    return [
        CourtOverdue(c, COURTS_BY_CODE[c].name if c in COURTS_BY_CODE else c, waiting[c], late[c])
        for c in courts
        if waiting[c]
    ]
