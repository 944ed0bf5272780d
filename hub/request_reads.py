"""Reading assistance requests: one, a filtered page (keyset cursors, the agency
inbox's order), their events, and per-case lists and counts; reads of answers are audited.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from hub import cursors, policy, read_audit
from hub.errors import BadUserInput, NotFound
from hub.models import AssistanceRequest, Case, RequestEvent, utcnow
from hub.principal import Principal, Role
from hub.request_states import ANSWERED, OPEN, RequestStatus, is_overdue, overdue_clause
from hub.state import HubState
from hub.storage import Database
from hub.validation import normalize_case_number


@dataclass(frozen=True)
class RequestFilter:
    case_number: str | None = None
    agency_id: str | None = None
    status: str | None = None
    action: str | None = None
    overdue: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


@dataclass
class RequestPage:
    rows: list[AssistanceRequest]
    cursors: list[str]
    has_next: bool
    total: int


async def get_request(
    hub: HubState, principal: Principal, request_id: str
) -> tuple[AssistanceRequest, Case]:
    """The request and its case; ``NotFound`` also when it is outside the caller's scope."""
    async with hub.db.session() as session:
        row = await session.get(AssistanceRequest, request_id)
        case = await _case_with_parties(session, row.case_id) if row is not None else None
    if row is None or case is None or not policy.can_read_request(principal, row, case):
        raise NotFound("no such assistance request")
    await read_audit.requests_read(hub.db, principal, [row], answered=_answered([row]))
    return row, case


def _answered(rows: Sequence[AssistanceRequest]) -> set[str]:
    return {r.id for r in rows if r.status in ANSWERED and r.outcome is not None}


async def _case_with_parties(session: AsyncSession, case_id: int) -> Case | None:
    return await session.scalar(
        select(Case).where(Case.id == case_id).options(selectinload(Case.parties))
    )


async def cases_by_id(db: Database, case_ids: Iterable[int]) -> dict[int, Case]:
    """Cases (with parties) for rows already read: for the graph's and console's loaders."""
    ids = sorted(set(case_ids))
    async with db.session() as session:
        rows = await session.scalars(
            select(Case).where(Case.id.in_(ids)).options(selectinload(Case.parties))
        )
        return {c.id: c for c in rows}


def scoped(stmt: Select[Any], principal: Principal) -> Select[Any]:
    if principal.role is Role.COURT_OFFICER:
        return stmt.where(Case.court_code == principal.scope)
    if principal.role is Role.AGENCY_OFFICER:
        return stmt.where(AssistanceRequest.agency_id == principal.scope)
    if principal.role is Role.OBSERVER:
        return stmt.where(Case.number.in_(sorted(principal.case_numbers)))
    if principal.role is Role.APPLICANT:
        return stmt.where(Case.number == principal.applicant_case)
    if principal.role is Role.ADMIN:
        return stmt
    return stmt.where(AssistanceRequest.id.is_(None))  # supervisors see figures, not requests


def _filtered(stmt: Select[Any], f: RequestFilter, now: datetime) -> Select[Any]:
    if f.case_number:
        stmt = stmt.where(Case.number == normalize_case_number(f.case_number, field="caseNumber"))
    if f.agency_id:
        stmt = stmt.where(AssistanceRequest.agency_id == f.agency_id)
    if f.status:
        if f.status not in RequestStatus.__members__:
            raise BadUserInput("status", "unknown status")
        stmt = stmt.where(AssistanceRequest.status == f.status)
    if f.action:
        stmt = stmt.where(AssistanceRequest.action == f.action)
    if f.overdue is not None:
        late = overdue_clause(now)
        stmt = stmt.where(late if f.overdue else ~late)
    if f.created_from:
        stmt = stmt.where(AssistanceRequest.created_at >= _aware(f.created_from, "createdFrom"))
    if f.created_to:
        stmt = stmt.where(AssistanceRequest.created_at <= _aware(f.created_to, "createdTo"))
    return stmt


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise BadUserInput(name, "give the time with its UTC offset")
    return value


def _cursor_order(order: str, now: datetime) -> list[tuple[Any, bool]]:
    """The sort keys of a list of requests, ``(expression, descending)``; the id last."""
    if order == "inbox":
        pressing = and_(
            AssistanceRequest.status.in_(sorted(OPEN)),
            (AssistanceRequest.due_at < now) | (AssistanceRequest.urge_count > 0),
        )
        return [
            (case((pressing, 0), else_=1), False),
            (AssistanceRequest.due_at, False),
            (AssistanceRequest.created_at, False),
            (AssistanceRequest.id, False),
        ]
    return [(AssistanceRequest.created_at, True), (AssistanceRequest.id, True)]


def encode_cursor(order: str, row: AssistanceRequest, now: datetime) -> str:
    """The keyset cursor after ``row``: its sort key in ``order``, as of ``now``."""
    if order == "inbox":
        rank = 0 if is_overdue(row, now) or (row.status in OPEN and row.urge_count > 0) else 1
        return cursors.encode("req.inbox", [rank, row.due_at, row.created_at, row.id])
    return cursors.encode("req", [row.created_at, row.id])


def decode_cursor(order: str, cursor: str) -> list[Any]:
    if order == "inbox":
        return cursors.decode("req.inbox", cursor, [int, datetime, datetime, str])
    return cursors.decode("req", cursor, [datetime, str])


async def list_requests(
    hub: HubState,
    principal: Principal,
    f: RequestFilter,
    first: int,
    after: str | None,
    *,
    order: str = "newest",
) -> RequestPage:
    """Requests the caller may see, filtered; ``order="inbox"``: overdue and urged
    first, then the oldest due first (what an agency officer works through)."""
    if not 0 <= first <= 500:
        raise BadUserInput("first", "first must be between 0 and 500")
    if order not in ("newest", "inbox"):
        raise BadUserInput("order", "order is newest or inbox")
    now = utcnow()
    base = select(AssistanceRequest).join(Case, Case.id == AssistanceRequest.case_id)
    base = _filtered(scoped(base, principal), f, now)
    keys = _cursor_order(order, now)
    stmt = base.order_by(*(e.desc() if desc else e for e, desc in keys)).limit(first + 1)
    if after:
        stmt = stmt.where(cursors.after(keys, decode_cursor(order, after)))
    async with hub.db.session() as session:
        rows = list((await session.scalars(stmt)).all())
        total = await session.scalar(select(func.count()).select_from(base.subquery())) or 0
    has_next = len(rows) > first
    rows = rows[:first]
    await read_audit.requests_read(hub.db, principal, rows, answered=_answered(rows))
    return RequestPage(rows, [encode_cursor(order, r, now) for r in rows], has_next, total)


async def request_events(db: Database, request_ids: Sequence[str]) -> dict[str, list[RequestEvent]]:
    out: dict[str, list[RequestEvent]] = {rid: [] for rid in request_ids}
    async with db.session() as session:
        rows = await session.scalars(
            select(RequestEvent)
            .where(RequestEvent.request_id.in_(list(request_ids)))
            .order_by(RequestEvent.id)
        )
        for row in rows:
            out[row.request_id].append(row)
    return out


async def requests_for_cases(
    db: Database, case_ids: Sequence[int]
) -> dict[int, list[AssistanceRequest]]:
    """Every request of these cases (callers have already checked the cases are theirs)."""
    out: dict[int, list[AssistanceRequest]] = {cid: [] for cid in case_ids}
    async with db.session() as session:
        rows = await session.scalars(
            select(AssistanceRequest)
            .where(AssistanceRequest.case_id.in_(list(case_ids)))
            .order_by(AssistanceRequest.created_at, AssistanceRequest.id)
        )
        for row in rows:
            out[row.case_id].append(row)
    return out


async def status_counts(
    db: Database, case_ids: Sequence[int]
) -> dict[int, dict[str, tuple[int, int]]]:
    """Per case: status → (requests, of which overdue)."""
    now = utcnow()
    late = case((overdue_clause(now), 1), else_=0)
    out: dict[int, dict[str, tuple[int, int]]] = {cid: {} for cid in case_ids}
    async with db.session() as session:
        rows = await session.execute(
            select(
                AssistanceRequest.case_id,
                AssistanceRequest.status,
                func.count(),
                func.coalesce(func.sum(late), 0),
            )
            .where(AssistanceRequest.case_id.in_(list(case_ids)))
            .group_by(AssistanceRequest.case_id, AssistanceRequest.status)
        )
        for case_id, status, count, overdue in rows:
            out[case_id][status] = (int(count), int(overdue))
    return out
