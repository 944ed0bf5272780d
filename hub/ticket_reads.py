"""Reading tickets: one, a filtered page, their events, and finding a visitor's case.

A ticket outside the caller's scope does not exist for them (``None``, left
out of lists): the rules are ``hub.policy``'s, as for the loop in
``hub.tickets``.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy import case as when
from sqlalchemy.orm import selectinload

from hub import policy
from hub.cases import find_case
from hub.errors import BadUserInput
from hub.models import Case, Party, Ticket, TicketEvent, utcnow
from hub.principal import Principal, Role
from hub.state import HubState
from hub.storage import Database
from hub.tickets import OPEN_STATUSES, overdue_clause
from hub.validation import normalize_case_number


@dataclass(frozen=True)
class TicketFilter:
    case_number: str | None = None
    court: str | None = None
    status: str | None = None
    category: str | None = None
    channel: str | None = None
    overdue: bool | None = None
    assignee: str | None = None  # an actor string: "my tickets"


@dataclass
class TicketPage:
    rows: list[Ticket]
    cursors: list[str]
    has_next: bool
    total: int


# -- reading ---------------------------------------------------------------------------------


async def get_ticket(hub: HubState, principal: Principal, ticket_id: str) -> Ticket | None:
    """The ticket, or ``None`` when it does not exist for the caller."""
    async with hub.db.session() as session:
        row = await session.get(Ticket, ticket_id)
        case = await session.get(Case, row.case_id) if row is not None else None
    if row is None or case is None or not policy.can_read_ticket(principal, case):
        return None
    return row


def _scoped(stmt: Select[Any], principal: Principal) -> Select[Any]:
    if principal.role is Role.COURT_OFFICER:
        return stmt.where(Ticket.court_code == principal.scope)
    if principal.role is Role.APPLICANT:
        return stmt.where(Ticket.case_number == principal.applicant_case)
    if principal.role is Role.OBSERVER:
        return stmt.where(Ticket.case_number.in_(sorted(principal.case_numbers)))
    if principal.role is Role.ADMIN:
        return stmt
    return stmt.where(Ticket.id.is_(None))


def _filtered(stmt: Select[Any], f: TicketFilter, now: datetime) -> Select[Any]:
    if f.case_number:
        number = normalize_case_number(f.case_number, field="caseNumber")
        stmt = stmt.where(Ticket.case_number == number)
    if f.court:
        stmt = stmt.where(Ticket.court_code == f.court)
    if f.status:
        stmt = stmt.where(Ticket.status == f.status)
    if f.category:
        stmt = stmt.where(Ticket.category == f.category)
    if f.channel:
        stmt = stmt.where(Ticket.channel == f.channel)
    if f.assignee:
        stmt = stmt.where(Ticket.assignee == f.assignee)
    if f.overdue is not None:
        late = overdue_clause(now)
        stmt = stmt.where(late if f.overdue else ~late)
    return stmt


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"ticket:{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "ticket" or int(value) < 0:
            raise ValueError(kind)
        return int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadUserInput("after", "not a cursor from this list") from exc


async def list_tickets(
    hub: HubState, principal: Principal, f: TicketFilter, first: int, after: str | None
) -> TicketPage:
    """Tickets the caller may see: open ones first, the soonest due first, then the newest."""
    if not 0 <= first <= 500:
        raise BadUserInput("first", "first must be between 0 and 500")
    now = utcnow()
    base = _filtered(_scoped(select(Ticket), principal), f, now)
    offset = decode_cursor(after) + 1 if after else 0
    waiting = when((Ticket.status.in_(sorted(OPEN_STATUSES)), 0), else_=1)
    stmt = (
        base.order_by(waiting, Ticket.due_at, Ticket.received_at.desc(), Ticket.id)
        .offset(offset)
        .limit(first + 1)
    )
    async with hub.db.session() as session:
        rows = list((await session.scalars(stmt)).all())
        total = await session.scalar(select(func.count()).select_from(base.subquery())) or 0
    has_next = len(rows) > first
    rows = rows[:first]
    return TicketPage(rows, [encode_cursor(offset + i) for i in range(len(rows))], has_next, total)


async def ticket_events(db: Database, ticket_ids: Sequence[str]) -> dict[str, list[TicketEvent]]:
    by_ticket: dict[str, list[TicketEvent]] = {i: [] for i in ticket_ids}
    async with db.session() as session:
        rows = await session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id.in_(list(ticket_ids)))
            .order_by(TicketEvent.at, TicketEvent.id)
        )
        for row in rows:
            by_ticket[row.ticket_id].append(row)
    return by_ticket


async def find_cases(hub: HubState, principal: Principal, text: str) -> list[Case]:
    """Centre staff find the visitor's case by its number or a party's name (their court's)."""
    court = policy.require_court_officer(principal)
    text = text.strip()
    if not text:
        return []
    async with hub.db.session() as session:
        if text.startswith(("（", "(")):
            case = await find_case(session, text, field="q")
            return [case] if case is not None and case.court_code == court else []
        like = f"%{text[:50]}%"
        stmt = (
            select(Case)
            .where(
                Case.court_code == court,
                Case.id.in_(select(Party.case_id).where(Party.name.like(like))),
            )
            .options(selectinload(Case.parties))
            .order_by(Case.id.desc())
            .limit(20)
        )
        return list((await session.scalars(stmt)).all())
