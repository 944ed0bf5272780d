"""The quality indicators courts are measured by (执行质效指标), counted in SQL.

Definitions (CONTRACT §7.3), for a court and a period [from, to]:

* casesPending — cases open on the day before ``from``: filed before it, less
  closings dated before it, plus resumptions dated before it (a case's dated
  changes alternate open/closed and are kept in date order by ``hub.cases``);
* casesReceived — cases filed in the period;
* casesClosed — cases that reached SETTLED, CONCLUDED, TERMINATED or ENDED
  in the period (each case once, at its first closing in it);
* closureRate (结案率) = casesClosed / (casesPending + casesReceived);
* recoveryRate (执行到位率) = money received (to ``to``) by the closed cases
  / what they claimed;
* withinLimitRate (法定审限内结案率) = closed cases whose closing is on or before
  their deadline (six months after filing) / casesClosed;
* disbursementTimelyRate (案款发放及时率) = receipts of the period paid out in full
  within 30 days / receipts of the period;
* fundsReceived, fundsDisbursed — money in and out in the period.

A rate over an empty denominator is 0. Every figure is one aggregate query
(grouped by court for the province view), served by the indexes of migration 0005.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, case, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from hub import ledger, policy
from hub.cases import CLOSED_STATUSES, CaseStatus
from hub.errors import BadUserInput
from hub.models import Case, CaseTransition, Court, Disbursement, Receipt
from hub.principal import Principal
from hub.storage import Database
from hub.validation import parse_case_number

CLOSED = sorted(s.value for s in CLOSED_STATUSES)
MAX_DAYS = 366 * 5  # a period longer than five years is a typo


@dataclass(frozen=True)
class Indicators:
    court: str
    date_from: date
    date_to: date
    cases_pending: int = 0
    cases_received: int = 0
    cases_closed: int = 0
    closed_within_limit: int = 0
    recovered_of_closed: Decimal = Decimal("0.00")
    claimed_of_closed: Decimal = Decimal("0.00")
    receipts: int = 0
    receipts_timely: int = 0
    funds_received: Decimal = Decimal("0.00")
    funds_disbursed: Decimal = Decimal("0.00")

    @property
    def closure_rate(self) -> float:
        return _rate(self.cases_closed, self.cases_pending + self.cases_received)

    @property
    def recovery_rate(self) -> float:
        return _rate(float(self.recovered_of_closed), float(self.claimed_of_closed))

    @property
    def within_limit_rate(self) -> float:
        return _rate(self.closed_within_limit, self.cases_closed)

    @property
    def disbursement_timely_rate(self) -> float:
        return _rate(self.receipts_timely, self.receipts)


@dataclass(frozen=True)
class Ranked:
    rank: int
    court: str
    court_name: str
    indicators: Indicators


def _rate(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole else 0.0


def court_code(value: str, field: str) -> str:
    return parse_case_number(f"（2000）{value.strip()}执1号", field=field).court


def _period(date_from: date, date_to: date) -> None:
    if date_to < date_from:
        raise BadUserInput("to", "截止日期早于起始日期")
    if (date_to - date_from).days > MAX_DAYS:
        raise BadUserInput("to", "统计期间不能超过五年")


def _where(
    column: InstrumentedAttribute[str], court: str | None, prefix: str | None
) -> ColumnElement[bool]:
    if court is not None:
        return column == court
    assert prefix is not None
    return column.like(f"{prefix}%")


async def _raw(
    session: AsyncSession, court: str | None, prefix: str | None, f: date, t: date
) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = defaultdict(dict)
    if session.get_bind().dialect.name == "postgresql":
        # The planner overestimates the joins below by orders of magnitude, then spends
        # seconds JIT-compiling (and parallelising) queries that run in a fraction of one.
        await session.execute(text("SET LOCAL jit = off"))
        await session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))

    filed = await session.execute(
        select(
            Case.court_code,
            func.sum(case((Case.filed_on < f, 1), else_=0)),
            func.sum(case((Case.filed_on >= f, 1), else_=0)),
        )
        .where(_where(Case.court_code, court, prefix), Case.filed_on <= t)
        .group_by(Case.court_code)
    )
    for code, before, received in filed:
        out[code]["filed_before"] = int(before or 0)
        out[code]["received"] = int(received or 0)

    moves = await session.execute(
        select(
            CaseTransition.court_code,
            func.sum(case((CaseTransition.to_status == CaseStatus.OPEN.value, 1), else_=-1)),
        )
        .where(_where(CaseTransition.court_code, court, prefix), CaseTransition.effective_on < f)
        .group_by(CaseTransition.court_code)
    )
    for code, net in moves:
        out[code]["net_moves_before"] = int(net or 0)

    # each case once, at its first closing in the period; from the transitions alone
    first_closing = (
        select(
            CaseTransition.court_code.label("court_code"),
            func.min(CaseTransition.effective_on).label("closed_on"),
            func.max(CaseTransition.deadline).label("deadline"),
            func.max(CaseTransition.claimed_cents).label("claimed_cents"),
        )
        .where(
            _where(CaseTransition.court_code, court, prefix),
            CaseTransition.to_status.in_(CLOSED),
            CaseTransition.effective_on >= f,
            CaseTransition.effective_on <= t,
        )
        .group_by(CaseTransition.court_code, CaseTransition.case_id)
        .subquery()
    )
    closed = await session.execute(
        select(
            first_closing.c.court_code,
            func.count(),
            func.sum(case((first_closing.c.closed_on <= first_closing.c.deadline, 1), else_=0)),
            func.sum(first_closing.c.claimed_cents),
        ).group_by(first_closing.c.court_code)
    )
    for code, n, within, claimed in closed:
        out[code]["closed"] = int(n or 0)
        out[code]["within"] = int(within or 0)
        out[code]["claimed_cents"] = int(claimed or 0)

    # what the closed cases received (to ``t``): a semi-join, each receipt once
    closing_cases = select(CaseTransition.case_id).where(
        _where(CaseTransition.court_code, court, prefix),
        CaseTransition.to_status.in_(CLOSED),
        CaseTransition.effective_on >= f,
        CaseTransition.effective_on <= t,
    )
    recovered = await session.execute(
        select(Receipt.court_code, func.sum(Receipt.amount_cents))
        .where(
            _where(Receipt.court_code, court, prefix),
            Receipt.received_on <= t,
            Receipt.case_id.in_(closing_cases),
        )
        .group_by(Receipt.court_code)
    )
    for code, cents in recovered:
        out[code]["recovered_cents"] = int(cents or 0)

    receipts = await session.execute(
        select(
            Receipt.court_code,
            func.count(),
            func.sum(
                case(
                    (
                        and_(Receipt.settled_on.is_not(None), Receipt.settled_on <= Receipt.due_on),
                        1,
                    ),
                    else_=0,
                )
            ),
            func.sum(Receipt.amount_cents),
        )
        .where(
            _where(Receipt.court_code, court, prefix),
            Receipt.received_on >= f,
            Receipt.received_on <= t,
        )
        .group_by(Receipt.court_code)
    )
    for code, n, timely, cents in receipts:
        out[code]["receipts"] = int(n or 0)
        out[code]["timely"] = int(timely or 0)
        out[code]["received_cents"] = int(cents or 0)

    paid = await session.execute(
        select(Disbursement.court_code, func.sum(Disbursement.amount_cents))
        .where(
            _where(Disbursement.court_code, court, prefix),
            Disbursement.paid_on >= f,
            Disbursement.paid_on <= t,
        )
        .group_by(Disbursement.court_code)
    )
    for code, cents in paid:
        out[code]["disbursed_cents"] = int(cents or 0)
    return out


def _build(code: str, raw: dict[str, object], f: date, t: date) -> Indicators:
    def n(key: str) -> int:
        value = raw.get(key, 0)
        assert isinstance(value, int)
        return value

    return Indicators(
        court=code,
        date_from=f,
        date_to=t,
        cases_pending=n("filed_before") + n("net_moves_before"),
        cases_received=n("received"),
        cases_closed=n("closed"),
        closed_within_limit=n("within"),
        recovered_of_closed=ledger.to_yuan(n("recovered_cents")),
        claimed_of_closed=ledger.to_yuan(n("claimed_cents")),
        receipts=n("receipts"),
        receipts_timely=n("timely"),
        funds_received=ledger.to_yuan(n("received_cents")),
        funds_disbursed=ledger.to_yuan(n("disbursed_cents")),
    )


async def for_court(
    db: Database, principal: Principal, court: str, date_from: date, date_to: date
) -> Indicators:
    code = court_code(court, "court")
    policy.require_court_figures(principal, code)
    _period(date_from, date_to)
    async with db.session() as session:
        raw = await _raw(session, code, None, date_from, date_to)
    return _build(code, raw.get(code, {}), date_from, date_to)


async def ranking(
    db: Database, principal: Principal, prefix: str, date_from: date, date_to: date
) -> list[Ranked]:
    """Every court under ``prefix``, best first: by closure rate, then recovery rate;
    courts with equal rates share a rank (1, 2, 2, 4)."""
    code = court_code(prefix, "prefix")
    policy.require_province_view(principal, code)
    _period(date_from, date_to)
    async with db.session() as session:
        raw = await _raw(session, None, code, date_from, date_to)
        named = await session.execute(
            select(Court.code, Court.name).where(Court.code.like(f"{code}%"))
        )
        names: dict[str, str] = {c: name for c, name in named}
    codes = sorted(set(names) | set(raw))
    figures = [_build(c, raw.get(c, {}), date_from, date_to) for c in codes]
    figures.sort(key=lambda i: (-i.closure_rate, -i.recovery_rate, i.court))
    ranked: list[Ranked] = []
    for i, ind in enumerate(figures):
        tied = ranked and (ranked[-1].indicators.closure_rate, ranked[-1].indicators.recovery_rate)
        same = tied == (ind.closure_rate, ind.recovery_rate)
        rank = ranked[-1].rank if ranked and same else i + 1  # equal figures, equal rank
        ranked.append(Ranked(rank, ind.court, names.get(ind.court, ind.court), ind))
    return ranked
