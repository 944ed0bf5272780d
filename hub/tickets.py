"""Applicants' requests (诉求): open, route, number, answer, urge, rate, close, reopen.

A ticket comes in on one of five channels: centre staff log visitors (WINDOW),
12368 callers (HOTLINE), letters (LETTER) and deputies' forwards (DEPUTY);
applicants ask ONLINE themselves. It is numbered per court and year
(``（2026）闽0602诉12号``), routed to the case's court and officer (the case's
assignee, else the officer who filed it) and due by category in working days
(``hub.ticket_due``), counted from when the applicant asked (``received_at``).

The loop: ASSIGNED → REPLIED (the reply is what the applicant reads) → rated
1–5 by the applicant: 1 or 2 reopens it to the same officer (REOPENED, due
again), 3–5 closes it. Anyone who may urge (the court's staff, the applicant)
urges a ticket still waiting for its answer (not a REPLIED one: that is rated);
an urge of an overdue ticket escalates it to the court's head of enforcement
(``ticket_heads`` in the settings). Every step is an event.
Notifications and reminders are jobs of ``hub.ticket_jobs``, written in the
same transaction as the step.

A PROPERTY_CLUE ticket is also a property clue of the case (``hub.clues``),
so the requests it proposes exist at once; the ticket keeps the clue's id. Ticket and
clue are written in one transaction: an open that is refused, or that loses a race for
its idempotency key, leaves no clue behind.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub import audit, policy, ticket_jobs
from hub import clues as clue_service
from hub.cases import find_case
from hub.courts import COURTS_BY_CODE
from hub.errors import BadUserInput, Conflict, NotFound
from hub.models import Case, Ticket, TicketCounter, TicketEvent, utcnow
from hub.principal import Principal, Role
from hub.state import HubState
from hub.ticket_due import SHANGHAI, add_working_days, working_days
from hub.validation import require_text


class TicketChannel(StrEnum):
    WINDOW = "WINDOW"  # 窗口
    HOTLINE = "HOTLINE"  # 12368 热线
    ONLINE = "ONLINE"  # 网上
    LETTER = "LETTER"  # 来信
    DEPUTY = "DEPUTY"  # 代表委员转交


class TicketCategory(StrEnum):
    PROGRESS = "PROGRESS"
    PROPERTY_CLUE = "PROPERTY_CLUE"
    FUNDS = "FUNDS"
    MEET_JUDGE = "MEET_JUDGE"
    COMPLAINT = "COMPLAINT"
    OTHER = "OTHER"


class TicketStatus(StrEnum):
    OPEN = "OPEN"
    ASSIGNED = "ASSIGNED"
    REPLIED = "REPLIED"
    CLOSED = "CLOSED"
    REOPENED = "REOPENED"


OPEN_STATUSES = frozenset({TicketStatus.OPEN, TicketStatus.ASSIGNED, TicketStatus.REOPENED})
REOPEN_BELOW = 3  # a rating of 1 or 2 sends the ticket back
DEFAULT_HEAD = "执行局负责人"
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class ClueRequest:
    """What a PROPERTY_CLUE ticket knows of the property (all optional)."""

    kind: str = "OTHER"
    region: str | None = None
    subject_id_number: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TicketData:
    case_number: str
    channel: str
    category: str
    content: str
    applicant_name: str
    applicant_phone: str | None = None
    received_at: datetime | None = None
    idempotency_key: str | None = None
    clue: ClueRequest | None = None


# -- small rules ----------------------------------------------------------------------------


def is_overdue(row: Ticket, now: datetime | None = None) -> bool:
    """Answered late, or still unanswered past its due time."""
    return row.late or (row.status in OPEN_STATUSES and row.due_at < (now or utcnow()))


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    return or_(
        Ticket.late.is_(True),
        and_(Ticket.status.in_(sorted(OPEN_STATUSES)), Ticket.due_at < now),
    )


def ticket_number(court: str, year: int, seq: int) -> str:
    return f"（{year}）{court}诉{seq}号"


def court_name(code: str) -> str:
    court = COURTS_BY_CODE.get(code)
    return court.name if court else code


def head_of(hub: HubState, court: str) -> str:
    """The court's head of enforcement, as configured; the office's title otherwise."""
    return hub.settings.ticket_heads.get(court) or DEFAULT_HEAD


def due_for(hub: HubState, category: str, start: datetime) -> datetime:
    s = hub.settings
    days = working_days(s.ticket_due_days, category)
    return add_working_days(start, days, holidays=s.ticket_holidays, workdays=s.ticket_workdays)


def _long_text(value: str, *, field: str, max_length: int) -> str:
    """Free text of several lines (a letter): line breaks allowed, other controls not."""
    text = value.replace("\r\n", "\n").strip()
    for line in text.split("\n"):
        if line.strip():
            require_text(line, field=field, max_length=max_length)
    if not text:
        raise BadUserInput(field, "must not be empty")
    if len(text) > max_length:
        raise BadUserInput(field, f"must be at most {max_length} characters")
    return text


def _optional_text(value: str | None, *, field: str, max_length: int) -> str | None:
    if value is None or not value.strip():
        return None
    return _long_text(value, field=field, max_length=max_length)


def normalize_phone(value: str | None) -> str | None:
    """Digits, optionally a leading +, with spaces and dashes dropped: 0596-2345678."""
    if value is None or not value.strip():
        return None
    text = value.strip().replace(" ", "").replace("-", "")
    digits = text[1:] if text.startswith("+") else text
    if not digits.isascii() or not digits.isdigit() or not 5 <= len(digits) <= 15:
        raise BadUserInput("applicantPhone", "a phone number is 5 to 15 digits")
    return text


def _received(value: datetime | None, now: datetime) -> datetime:
    if value is None:
        return now
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)  # as the centre's clock on the wall says
    if value > now + CLOCK_SKEW:
        raise BadUserInput("receivedAt", "a ticket cannot be received in the future")
    return value


def _digest(case: Case, data: TicketData, phone: str | None, content: str, name: str) -> str:
    body = {
        "case": case.number,
        "channel": data.channel,
        "category": data.category,
        "content": content,
        "name": name,
        "phone": phone,
        "received": data.received_at.isoformat() if data.received_at else None,
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def assignee_of(case: Case) -> str | None:
    """The case's officer: its assignee where cases have one, else who filed it."""
    assigned = getattr(case, "assignee", None)
    return str(assigned) if assigned else case.created_by


def desk(court: str) -> Principal:
    """The court's service desk, as which a PROPERTY_CLUE ticket files its clue: the clue is
    the court's record, made on the applicant's word (the ticket names who said it)."""
    return Principal(0, "诉求服务中心", Role.COURT_OFFICER, court)


# -- opening ---------------------------------------------------------------------------------


async def _next_seq(session: AsyncSession, court: str, year: int) -> int:
    dialect = session.get_bind().dialect.name
    first = {"court_code": court, "year": year, "last": 0}
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        await session.execute(
            postgresql.insert(TicketCounter).values(**first).on_conflict_do_nothing()
        )
    else:
        from sqlalchemy.dialects import sqlite

        await session.execute(sqlite.insert(TicketCounter).values(**first).on_conflict_do_nothing())
    value = await session.scalar(
        update(TicketCounter)
        .where(TicketCounter.court_code == court, TicketCounter.year == year)
        .values(last=TicketCounter.last + 1)
        .returning(TicketCounter.last)
    )
    assert value is not None
    return int(value)


async def _by_key(session: AsyncSession, key: str, digest: str) -> Ticket | None:
    row = await session.scalar(select(Ticket).where(Ticket.idempotency_key == key))
    if row is not None and row.body_hash != digest:
        raise Conflict("this idempotency key was used for another ticket")
    return row


def _clue_of(case: Case, data: TicketData, content: str) -> clue_service.ClueData:
    wanted = data.clue or ClueRequest()
    respondents = [p for p in case.parties if p.role == "RESPONDENT"]
    subject = wanted.subject_id_number or (respondents[0].id_number if respondents else "")
    return clue_service.ClueData(
        case_number=case.number,
        subject_id_number=subject,
        kind=wanted.kind,
        description=content,
        region=wanted.region,
        details=dict(wanted.details),
    )


def _as_ticket_field(exc: BadUserInput) -> BadUserInput:
    """A clue's refusal named as the ticket's input names it."""
    name = "content" if exc.field == "description" else f"clue.{exc.field}"
    return BadUserInput(name, exc.message)


async def _file_clue(
    session: AsyncSession, hub: HubState, court: str, clue: clue_service.ClueData
) -> int:
    """The ticket's clue, in the ticket's transaction: a ticket that is not written (a
    refusal, or another open with the same key that won) leaves no clue behind."""
    try:
        row = await clue_service.submit_clue_in(session, hub, desk(court), clue)
    except BadUserInput as exc:
        raise _as_ticket_field(exc) from exc
    return row.id


def _sms(court: str, text: str) -> str:
    return f"【{court_name(court)}】{text}"


async def _schedule_due(session: AsyncSession, hub: HubState, row: Ticket) -> None:
    """A reminder before the ticket is due and a notice when it is overdue."""
    payload = {"due_at": row.due_at.isoformat()}
    before = row.due_at - timedelta(hours=hub.settings.ticket_remind_hours)
    await ticket_jobs.schedule(session, row.id, "remind", max(before, utcnow()), payload)
    await ticket_jobs.schedule(session, row.id, "overdue", row.due_at, payload)


async def _notify(session: AsyncSession, row: Ticket, text: str) -> None:
    if row.applicant_phone:
        payload = {"phone": row.applicant_phone, "text": _sms(row.court_code, text)}
        await ticket_jobs.schedule(session, row.id, "notify", None, payload)


async def open_ticket(hub: HubState, principal: Principal, data: TicketData) -> Ticket:
    if data.channel not in TicketChannel.__members__:
        raise BadUserInput("channel", "unknown channel")
    if data.category not in TicketCategory.__members__:
        raise BadUserInput("category", "unknown category")
    content = _long_text(data.content, field="content", max_length=2000)
    name = require_text(data.applicant_name, field="applicantName", max_length=100)
    phone = normalize_phone(data.applicant_phone)
    now = utcnow()
    if data.channel == TicketChannel.ONLINE and data.received_at is not None:
        raise BadUserInput("receivedAt", "an online ticket is received when it is submitted")
    received = _received(data.received_at, now)
    key = data.idempotency_key.strip() if data.idempotency_key else None
    if key is not None and not 0 < len(key) <= 200:
        raise BadUserInput("idempotencyKey", "an idempotency key is 1 to 200 characters")
    async with hub.db.session() as session:
        case = await find_case(session, data.case_number, field="caseNumber")
        if case is None:
            raise BadUserInput("caseNumber", "no such case")
        policy.require_open_ticket(principal, case, data.channel)
        digest = _digest(case, data, phone, content, name)
        if key is not None:
            existing = await _by_key(session, key, digest)
            if existing is not None:
                return existing
    clue = None
    if data.category == TicketCategory.PROPERTY_CLUE:
        clue = _clue_of(case, data, content)
        try:
            clue_service.check_clue(clue)
        except BadUserInput as exc:
            raise _as_ticket_field(exc) from exc
    try:
        return await _insert(
            hub, principal, case, data, content, name, phone, received, key, digest, clue
        )
    except IntegrityError:
        if key is None:
            raise
        async with hub.db.session() as session:  # the same key, opened concurrently
            existing = await _by_key(session, key, digest)
        if existing is None:
            raise
        return existing


async def _insert(
    hub: HubState,
    principal: Principal,
    case: Case,
    data: TicketData,
    content: str,
    name: str,
    phone: str | None,
    received: datetime,
    key: str | None,
    digest: str,
    clue: clue_service.ClueData | None,
) -> Ticket:
    """The ticket, its events, jobs and audit entry, and a PROPERTY_CLUE ticket's clue: one
    transaction. The ticket goes in first, so that an open losing a race for its key fails
    (``IntegrityError``) before it has filed anything."""
    year = received.astimezone(SHANGHAI).year
    assignee = assignee_of(case)
    async with hub.db.transaction() as session:
        seq = await _next_seq(session, case.court_code, year)
        row = Ticket(
            number=ticket_number(case.court_code, year, seq),
            court_code=case.court_code,
            year=year,
            seq=seq,
            case_id=case.id,
            case_number=case.number,
            channel=data.channel,
            category=data.category,
            content=content,
            applicant_name=name,
            applicant_phone=phone,
            status=TicketStatus.ASSIGNED if assignee else TicketStatus.OPEN,
            assignee=assignee,
            received_at=received,
            created_at=utcnow(),
            created_by=principal.actor,
            due_at=due_for(hub, data.category, received),
            late=False,
            urge_count=0,
            idempotency_key=key,
            body_hash=digest,
        )
        session.add(row)
        await session.flush()
        _event(session, row, "OPENED", principal.actor, f"{data.channel}: {content}")
        if assignee:
            _event(session, row, "ASSIGNED", ticket_jobs.SYSTEM, assignee)
        if clue is not None:
            row.clue_id = await _file_clue(session, hub, case.court_code, clue)
            _event(session, row, "CLUE_LINKED", ticket_jobs.SYSTEM, f"财产线索 {row.clue_id}")
        await _schedule_due(session, hub, row)
        due = row.due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d")
        await _notify(session, row, f"您的诉求已登记，编号{row.number}，我们将于{due}前答复。")
        await audit.record(
            session,
            actor=principal,
            action="ticket.opened",
            purpose=case.number,
            target=f"ticket:{row.id}",
            detail={"number": row.number, "channel": data.channel, "category": data.category},
        )
    return row


def _event(session: AsyncSession, row: Ticket, kind: str, actor: str, note: str | None) -> None:
    session.add(TicketEvent(ticket_id=row.id, at=utcnow(), kind=kind, actor=actor, note=note))


# -- the loop ----------------------------------------------------------------------------------


async def _load_for_update(session: AsyncSession, ticket_id: str) -> tuple[Ticket, Case]:
    row = await session.get(Ticket, ticket_id, with_for_update=True)
    case = await session.get(Case, row.case_id) if row is not None else None
    if row is None or case is None:
        raise NotFound("no such ticket")
    return row, case


async def reply_ticket(hub: HubState, principal: Principal, ticket_id: str, reply: str) -> Ticket:
    text = _long_text(reply, field="reply", max_length=2000)
    async with hub.db.transaction() as session:
        row, case = await _load_for_update(session, ticket_id)
        policy.require_reply_ticket(principal, case)
        if row.status not in OPEN_STATUSES:
            raise Conflict("this ticket is not waiting for an answer")
        now = utcnow()
        row.reply, row.replied_at, row.replied_by = text, now, principal.actor
        row.late = row.late or now > row.due_at
        row.assignee = row.assignee or principal.actor
        row.status = TicketStatus.REPLIED
        _event(session, row, "REPLIED", principal.actor, text)
        await _notify(session, row, f"您的诉求{row.number}已答复，请登录查看并评价。")
        await audit.record(
            session,
            actor=principal,
            action="ticket.replied",
            purpose=case.number,
            target=f"ticket:{row.id}",
        )
    return row


async def urge_ticket(
    hub: HubState, principal: Principal, ticket_id: str, note: str | None
) -> Ticket:
    text = _optional_text(note, field="note", max_length=500)
    async with hub.db.transaction() as session:
        row, case = await _load_for_update(session, ticket_id)
        policy.require_urge_ticket(principal, case)
        # urging asks for an answer: once answered, the applicant rates it instead (1 or 2
        # sends it back, and the reopened ticket may be urged again)
        if row.status == TicketStatus.CLOSED:
            raise Conflict("this ticket is closed")
        if row.status not in OPEN_STATUSES:
            raise Conflict("this ticket is answered: rate the answer instead")
        row.urge_count += 1
        _event(session, row, "URGED", principal.actor, text)
        if row.status in OPEN_STATUSES and row.due_at < utcnow() and row.escalated_to is None:
            row.escalated_to = head_of(hub, row.court_code)
            _event(
                session, row, "ESCALATED", ticket_jobs.SYSTEM, f"已超期，转{row.escalated_to}督办"
            )
        await audit.record(
            session,
            actor=principal,
            action="ticket.urged",
            purpose=case.number,
            target=f"ticket:{row.id}",
            detail={"count": row.urge_count, "escalated": row.escalated_to is not None},
        )
    return row


async def rate_ticket(
    hub: HubState, principal: Principal, ticket_id: str, rating: int, comment: str | None
) -> Ticket:
    if not 1 <= rating <= 5:
        raise BadUserInput("rating", "a rating is 1 to 5")
    text = _optional_text(comment, field="comment", max_length=500)
    async with hub.db.transaction() as session:
        row, case = await _load_for_update(session, ticket_id)
        policy.require_rate_ticket(principal, case)
        if row.status != TicketStatus.REPLIED:
            raise Conflict("only an answered ticket is rated")
        row.rating, row.rating_comment = rating, text
        _event(
            session, row, "RATED", principal.actor, f"{rating}分" + (f"：{text}" if text else "")
        )
        if rating < REOPEN_BELOW:
            _reopen(session, hub, row, text)
            await _schedule_due(session, hub, row)
        else:
            row.status, row.closed_at = TicketStatus.CLOSED, utcnow()
            _event(session, row, "CLOSED", ticket_jobs.SYSTEM, None)
        await audit.record(
            session,
            actor=principal,
            action="ticket.rated",
            purpose=case.number,
            target=f"ticket:{row.id}",
            detail={"rating": rating, "status": row.status},
        )
    return row


def _reopen(session: AsyncSession, hub: HubState, row: Ticket, comment: str | None) -> None:
    """Back to the same officer, with the applicant's comment, due again from now."""
    row.status = TicketStatus.REOPENED
    row.due_at = due_for(hub, row.category, utcnow())
    _event(session, row, "REOPENED", ticket_jobs.SYSTEM, comment or "申请人不满意")
