"""Case service: filing, reading, listing and closing enforcement cases."""

from __future__ import annotations

import calendar
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from hub import audit, clock, cursors, policy
from hub.errors import BadUserInput, Conflict, NotFound
from hub.models import Case, CaseEvent, CaseTransition, Court, Party
from hub.principal import Principal, Role
from hub.storage import Database
from hub.validation import parse_case_number, parse_money, require_text, validate_party_id


class CaseStatus(StrEnum):
    OPEN = "OPEN"
    SETTLED = "SETTLED"  # 和解
    CONCLUDED = "CONCLUDED"  # 执行完毕
    TERMINATED = "TERMINATED"  # 终结本次执行
    ENDED = "ENDED"  # 终结执行


class Livelihood(StrEnum):
    ALIMONY = "ALIMONY"
    CHILD_SUPPORT = "CHILD_SUPPORT"
    PENSION = "PENSION"
    TRAFFIC_INJURY = "TRAFFIC_INJURY"
    WAGES = "WAGES"


# Concluded (执行完毕) and ended (终结执行) cases are over; a case terminated "for this
# round" (终结本次执行) is resumed when property turns up, and a settlement the debtor
# breaks resumes enforcement too (恢复执行).
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset(
        {CaseStatus.SETTLED, CaseStatus.CONCLUDED, CaseStatus.TERMINATED, CaseStatus.ENDED}
    ),
    CaseStatus.TERMINATED: frozenset({CaseStatus.OPEN}),
    CaseStatus.SETTLED: frozenset({CaseStatus.OPEN}),
    CaseStatus.CONCLUDED: frozenset(),
    CaseStatus.ENDED: frozenset(),
}

CLOSED_STATUSES: frozenset[CaseStatus] = frozenset(
    {CaseStatus.SETTLED, CaseStatus.CONCLUDED, CaseStatus.TERMINATED, CaseStatus.ENDED}
)

# The legal name of each change, as the case's events say it.
TRANSITION_LABELS: dict[CaseStatus, str] = {
    CaseStatus.OPEN: "恢复执行",
    CaseStatus.SETTLED: "执行和解",
    CaseStatus.CONCLUDED: "执行完毕",
    CaseStatus.TERMINATED: "终结本次执行",
    CaseStatus.ENDED: "终结执行",
}

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

ENFORCEMENT_MONTHS = 6  # statutory period for enforcing a judgment


@dataclass(frozen=True)
class PartyData:
    role: str
    kind: str
    name: str
    id_number: str


@dataclass(frozen=True)
class CaseData:
    number: str
    filed_on: date
    cause: str
    amount_claimed: str | Decimal
    parties: Sequence[PartyData]
    livelihood: str | None = None


@dataclass(frozen=True)
class CaseFilter:
    court: str | None = None
    status: str | None = None
    livelihood: str | None = None
    filed_from: date | None = None
    filed_to: date | None = None
    overdue: bool | None = None
    party_id_number: str | None = None


@dataclass
class CasePage:
    rows: list[Case]
    has_next: bool
    total: int
    cursors: list[str] = field(default_factory=list)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def deadline_for(filed_on: date) -> date:
    return add_months(filed_on, ENFORCEMENT_MONTHS)


def encode_cursor(case_id: int) -> str:
    return cursors.encode("case", [case_id])


def decode_cursor(cursor: str) -> int:
    (value,) = cursors.decode("case", cursor, [int])
    return int(value)


async def known_courts(session: AsyncSession) -> set[str]:
    return set((await session.scalars(select(Court.code))).all())


def _validate_parties(parties: Sequence[PartyData]) -> list[PartyData]:
    if not parties:
        raise BadUserInput("parties", "a case needs at least one applicant and one respondent")
    clean: list[PartyData] = []
    seen: set[tuple[str, str]] = set()
    for i, p in enumerate(parties):
        where = f"parties.{i}"
        if p.role not in ("APPLICANT", "RESPONDENT"):
            raise BadUserInput(f"{where}.role", "role is APPLICANT or RESPONDENT")
        if p.kind not in ("PERSON", "ORGANIZATION"):
            raise BadUserInput(f"{where}.kind", "kind is PERSON or ORGANIZATION")
        id_number = validate_party_id(p.kind, p.id_number, field=f"{where}.idNumber")
        name = require_text(p.name, field=f"{where}.name", max_length=200)
        if (p.role, id_number) in seen:
            raise BadUserInput(f"{where}.idNumber", "the same party is listed twice")
        seen.add((p.role, id_number))
        clean.append(PartyData(p.role, p.kind, name, id_number))
    roles = {p.role for p in clean}
    if roles != {"APPLICANT", "RESPONDENT"}:
        raise BadUserInput("parties", "a case needs at least one applicant and one respondent")
    return clean


async def file_case(db: Database, principal: Principal, data: CaseData) -> Case:
    court = policy.require_court_officer(principal)
    async with db.transaction() as session:
        number = parse_case_number(
            data.number, field="number", known_courts=await known_courts(session)
        )
        if number.court != court:
            raise BadUserInput("number", f"the case number is not of your court {court}")
        if data.filed_on > clock.today():
            raise BadUserInput("filedOn", "the filing date is in the future")
        if data.filed_on.year != number.year:
            raise BadUserInput("filedOn", "the filing year differs from the case number's year")
        cause = require_text(data.cause, field="cause", max_length=200)
        amount = parse_money(data.amount_claimed, field="amountClaimed")
        if data.livelihood is not None and data.livelihood not in Livelihood.__members__:
            raise BadUserInput("livelihood", "unknown livelihood kind")
        parties = _validate_parties(data.parties)
        if await session.scalar(select(Case.id).where(Case.number == number.text)) is not None:
            raise Conflict(f"case {number.text} is already filed")
        case = Case(
            number=number.text,
            court_code=number.court,
            filed_on=data.filed_on,
            deadline=deadline_for(data.filed_on),
            cause=cause,
            livelihood=data.livelihood,
            status=CaseStatus.OPEN.value,
            amount_claimed=amount,
            amount_recovered=Decimal("0.00"),
            created_by=principal.actor,
        )
        case.parties = [
            Party(role=p.role, kind=p.kind, name=p.name, id_number=p.id_number) for p in parties
        ]
        session.add(case)
        try:
            await session.flush()
        except IntegrityError as exc:  # a concurrent filing of the same number
            raise Conflict(f"case {number.text} is already filed") from exc
        session.add(CaseEvent(case_id=case.id, kind="FILED", actor=principal.actor, note=cause))
        await audit.record(
            session, actor=principal, action="case.filed", purpose=case.number, target=case.number
        )
    return case


def _with_parties(stmt: Select[Case]) -> Select[Case]:
    return stmt.options(selectinload(Case.parties))


# The hottest read: a case and its parties in one round trip (a joined load), and
# one statement object, so SQLAlchemy derives its cache key once, not per lookup.
_CASE_BY_NUMBER = (
    select(Case).where(Case.number == bindparam("number")).options(joinedload(Case.parties))
)


async def find_case(session: AsyncSession, number: str, *, field: str = "number") -> Case | None:
    text = parse_case_number(number, field=field).text
    result = await session.execute(_CASE_BY_NUMBER, {"number": text})
    return result.unique().scalar_one_or_none()


_CASES_BY_NUMBER = (
    select(Case)
    .where(Case.number.in_(bindparam("numbers", expanding=True)))
    .options(joinedload(Case.parties))
)


async def find_cases(session: AsyncSession, numbers: Collection[str]) -> dict[str, Case]:
    """The cases of ``numbers`` (as ``parse_case_number`` writes them) that exist, by number."""
    if not numbers:
        return {}
    result = await session.execute(_CASES_BY_NUMBER, {"numbers": list(numbers)})
    return {case.number: case for case in result.unique().scalars()}


def party_of(case: Case, id_number: str | None, *, field: str) -> Party:
    """The party of ``case`` with ``id_number``; ``BadUserInput(field)`` when none is."""
    wanted = (id_number or "").strip().upper()
    party = next((p for p in case.parties if p.id_number == wanted), None)
    if party is None:
        raise BadUserInput(field, "the subject is not a party of this case")
    return party


async def managed_respondent(
    session: AsyncSession,
    principal: Principal,
    case_number: str,
    id_number: str | None,
    *,
    field: str,
) -> tuple[Case, Party]:
    """A case ``principal`` manages and its respondent ``id_number``: what every order,
    clue and confirmation about a debtor's property starts from."""
    case = await find_case(session, case_number, field="caseNumber")
    return respondent_in(principal, case, id_number, field=field)


def respondent_in(
    principal: Principal, case: Case | None, id_number: str | None, *, field: str
) -> tuple[Case, Party]:
    """``managed_respondent`` for a case already read (``None``: there is no such case)."""
    if case is None:
        raise NotFound("no such case")
    policy.require_manage_case(principal, case)
    party = party_of(case, id_number, field=field)
    policy.require_respondent(party)
    return case, party


async def get_case(db: Database, principal: Principal, number: str) -> Case | None:
    """The case, if it exists; ``Forbidden`` when it is outside the caller's scope."""
    async with db.session() as session:
        case = await find_case(session, number)
    if case is not None:
        policy.require_read_case(principal, case)
    return case


def _scoped(stmt: Select[Case], principal: Principal) -> Select[Case]:
    if principal.role is Role.COURT_OFFICER:
        return stmt.where(Case.court_code == principal.scope)
    if principal.role is Role.OBSERVER:
        return stmt.where(Case.number.in_(sorted(principal.case_numbers)))
    if principal.role is Role.ADMIN:
        return stmt
    if principal.role is Role.APPLICANT:
        return stmt.where(Case.number == principal.applicant_case)
    return stmt.where(Case.id.is_(None))  # agency officers reach cases through requests


def _filtered(stmt: Select[Case], f: CaseFilter) -> Select[Case]:
    if f.court:
        stmt = stmt.where(Case.court_code == f.court)
    if f.status:
        stmt = stmt.where(Case.status == f.status)
    if f.livelihood:
        stmt = stmt.where(Case.livelihood == f.livelihood)
    if f.filed_from:
        stmt = stmt.where(Case.filed_on >= f.filed_from)
    if f.filed_to:
        stmt = stmt.where(Case.filed_on <= f.filed_to)
    if f.overdue is not None:
        late = (Case.deadline < clock.today()) & (Case.status == CaseStatus.OPEN.value)
        stmt = stmt.where(late if f.overdue else ~late)
    if f.party_id_number:
        stmt = stmt.where(
            Case.id.in_(select(Party.case_id).where(Party.id_number == f.party_id_number))
        )
    return stmt


async def list_cases(
    db: Database, principal: Principal, f: CaseFilter, first: int, after: str | None
) -> CasePage:
    if first < 0 or first > 500:
        raise BadUserInput("first", "first must be between 0 and 500")
    base = _filtered(_scoped(select(Case), principal), f)
    stmt = base.order_by(Case.id.desc()).limit(first + 1)
    if after:
        stmt = stmt.where(Case.id < decode_cursor(after))
    async with db.session() as session:
        rows = list((await session.scalars(_with_parties(stmt))).all())
        total = await session.scalar(select(func.count()).select_from(base.subquery())) or 0
    has_next = len(rows) > first
    rows = rows[:first]
    return CasePage(rows, has_next, total, [encode_cursor(r.id) for r in rows])


async def update_status(
    db: Database,
    principal: Principal,
    number: str,
    status: str,
    note: str | None,
    effective_on: date | None = None,
) -> Case:
    """Change a case's status, dated ``effective_on`` (default today, China time).

    History may be recorded as it happened, but never in the future, before the
    filing, or before the case's last change (so the dated changes of a case
    stay in order and can be counted by date). Resuming (恢复执行) needs a reason.
    """
    async with db.transaction() as session:
        case = await find_case(session, number)
        if case is None:
            raise NotFound("no such case")
        policy.require_manage_case(principal, case)
        current, wanted = CaseStatus(case.status), CaseStatus(status)
        if wanted not in TRANSITIONS[current]:
            raise Conflict(f"a {current.value} case cannot become {wanted.value}")
        if note is not None:
            note = require_text(note, field="note", max_length=2000)
        if wanted is CaseStatus.OPEN and not note:
            raise BadUserInput("note", "resuming enforcement (恢复执行) needs a reason")
        on = await _effective_on(session, case, effective_on)
        case.status = wanted.value
        label = TRANSITION_LABELS[wanted]
        session.add(
            CaseEvent(
                case_id=case.id,
                kind="STATUS_CHANGED",
                actor=principal.actor,
                # the legal name of the change, as people read it; the codes are in the
                # transition row and the audit entry
                note=f"{label}（{on.isoformat()}）" + (f"：{note}" if note else ""),
            )
        )
        session.add(
            CaseTransition(
                case_id=case.id,
                court_code=case.court_code,
                from_status=current.value,
                to_status=wanted.value,
                effective_on=on,
                deadline=case.deadline,
                claimed_cents=int(case.amount_claimed * 100),
            )
        )
        await audit.record(
            session,
            actor=principal,
            action="case.status",
            purpose=case.number,
            target=case.number,
            detail={"from": current.value, "to": wanted.value, "effective_on": on.isoformat()},
        )
    return case


async def _effective_on(session: AsyncSession, case: Case, wanted: date | None) -> date:
    today = court_today()
    on = wanted or today
    if on > today:
        raise BadUserInput("effectiveOn", "a status change cannot take effect in the future")
    if on < case.filed_on:
        raise BadUserInput("effectiveOn", "a status change cannot take effect before filing")
    last = await session.scalar(
        select(func.max(CaseTransition.effective_on)).where(CaseTransition.case_id == case.id)
    )
    if last is not None and on < last:
        raise BadUserInput(
            "effectiveOn", f"the case's last status change took effect on {last.isoformat()}"
        )
    return on


def court_today() -> date:
    """Today where the courts are (China keeps UTC+8 all year)."""
    return datetime.now(SHANGHAI).date()


async def case_events(db: Database, case_ids: Sequence[int]) -> dict[int, list[CaseEvent]]:
    async with db.session() as session:
        rows = await session.scalars(
            select(CaseEvent).where(CaseEvent.case_id.in_(case_ids)).order_by(CaseEvent.id)
        )
        out: dict[int, list[CaseEvent]] = {cid: [] for cid in case_ids}
        for row in rows:
            out[row.case_id].append(row)
        return out


async def courts(db: Database) -> list[Court]:
    async with db.session() as session:
        return list((await session.scalars(select(Court).order_by(Court.code))).all())


async def add_court(db: Database, code: str, name: str, level: str, division: str | None) -> Court:
    parse_case_number(f"（2000）{code}执1号", field="code")
    name = require_text(name, field="name", max_length=100)
    async with db.transaction() as session:
        if await session.get(Court, code) is not None:
            raise Conflict(f"court {code} exists")
        court = Court(code=code, name=name, level=level, division=division, parent=None)
        session.add(court)
    return court
