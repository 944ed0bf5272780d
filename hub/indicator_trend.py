"""A court's indicators month by month, for the console's trend: a few grouped queries
for all the months at once, not the indicators' queries once per month.

Per month, the figures the trend draws (结案率 and 案款发放及时率) follow
``hub.indicators``' definitions with the month as the period: pending cases at
the month's start are carried forward from the months before.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, extract, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import Extract

from hub import policy
from hub.cases import CaseStatus, add_months, court_today
from hub.indicators import court_code
from hub.models import Case, CaseTransition, Receipt
from hub.principal import Principal
from hub.storage import Database

Month = tuple[int, int]


@dataclass(frozen=True)
class MonthFigures:
    month: date  # its first day
    cases_pending: int
    cases_received: int
    cases_closed: int
    receipts: int
    receipts_timely: int

    @property
    def closure_rate(self) -> float:
        whole = self.cases_pending + self.cases_received
        return self.cases_closed / whole if whole else 0.0

    @property
    def disbursement_timely_rate(self) -> float:
        return self.receipts_timely / self.receipts if self.receipts else 0.0


def _by_month(column: InstrumentedAttribute[date]) -> tuple[Extract, Extract]:
    return extract("year", column), extract("month", column)


async def _grouped(
    session: AsyncSession, code: str, start: date, end: date
) -> dict[str, dict[Month, int]]:
    out: dict[str, dict[Month, int]] = defaultdict(lambda: defaultdict(int))
    year, month = _by_month(Case.filed_on)
    for y, m, n in await session.execute(
        select(year, month, func.count())
        .where(Case.court_code == code, Case.filed_on >= start, Case.filed_on <= end)
        .group_by(year, month)
    ):
        out["received"][(int(y), int(m))] = int(n)
    year, month = _by_month(CaseTransition.effective_on)
    is_open = CaseTransition.to_status == CaseStatus.OPEN.value
    for y, m, net, closed in await session.execute(
        select(
            year,
            month,
            func.sum(case((is_open, 1), else_=-1)),
            func.count(func.distinct(case((~is_open, CaseTransition.case_id)))),
        )
        .where(
            CaseTransition.court_code == code,
            CaseTransition.effective_on >= start,
            CaseTransition.effective_on <= end,
        )
        .group_by(year, month)
    ):
        out["net"][(int(y), int(m))] = int(net or 0)
        out["closed"][(int(y), int(m))] = int(closed or 0)
    year, month = _by_month(Receipt.received_on)
    timely = and_(Receipt.settled_on.is_not(None), Receipt.settled_on <= Receipt.due_on)
    for y, m, n, ok in await session.execute(
        select(year, month, func.count(), func.sum(case((timely, 1), else_=0)))
        .where(Receipt.court_code == code, Receipt.received_on >= start, Receipt.received_on <= end)
        .group_by(year, month)
    ):
        out["receipts"][(int(y), int(m))] = int(n)
        out["timely"][(int(y), int(m))] = int(ok or 0)
    return out


async def _pending_at(session: AsyncSession, code: str, day: date) -> int:
    filed = await session.scalar(
        select(func.count()).select_from(Case).where(Case.court_code == code, Case.filed_on < day)
    )
    net = await session.scalar(
        select(
            func.sum(case((CaseTransition.to_status == CaseStatus.OPEN.value, 1), else_=-1))
        ).where(CaseTransition.court_code == code, CaseTransition.effective_on < day)
    )
    return int(filed or 0) + int(net or 0)


async def monthly(
    db: Database, principal: Principal, court: str, months: int = 12, today: date | None = None
) -> list[MonthFigures]:
    """The last ``months`` calendar months (this one so far included), oldest first."""
    code = court_code(court, "court")
    policy.require_court_figures(principal, code)
    today = today or court_today()
    first = add_months(today.replace(day=1), -(months - 1))
    async with db.session() as session:
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text("SET LOCAL jit = off"))  # see hub.indicators
        pending = await _pending_at(session, code, first)
        g = await _grouped(session, code, first, today)
    out = []
    for back in range(months):
        start = add_months(first, back)
        key = (start.year, start.month)
        out.append(
            MonthFigures(
                month=start,
                cases_pending=pending,
                cases_received=g["received"][key],
                cases_closed=g["closed"][key],
                receipts=g["receipts"][key],
                receipts_timely=g["timely"][key],
            )
        )
        pending += g["received"][key] + g["net"][key]
    return out
