"""Assistance requests (协助执行): the state machine every request moves through.

Every move is a ``RequestEvent`` (who, when, why) and an audit entry, written in
the same transaction::

    PENDING ──delivered──▶ DISPATCHED ──▶ ACKNOWLEDGED ──▶ COMPLETED
       │                      │                 └──────────▶ REJECTED
       │                      └────────────────────────────▶ REJECTED
       ├──budget spent──▶ FAILED ──resend──▶ PENDING
       └──▶ CANCELLED        (by the court, from any state before an answer)

Any other move is ``Conflict``. ``overdue`` is derived, never stored: due and still open.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlalchemy.ext.asyncio import AsyncSession

from hub import audit, policy
from hub.errors import Conflict, NotFound
from hub.models import AssistanceRequest, Case, Party, RequestEvent, utcnow
from hub.principal import Principal
from hub.state import HubState, Slot

# set while a dispatcher runs in this process: new work for it
DISPATCHER_WAKE: Slot[asyncio.Event] = Slot("dispatcher.wake")


class RequestStatus(StrEnum):
    PENDING = "PENDING"
    DISPATCHED = "DISPATCHED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


S = RequestStatus
OPEN: frozenset[str] = frozenset({S.PENDING, S.DISPATCHED, S.ACKNOWLEDGED})
ANSWERED: frozenset[str] = frozenset({S.COMPLETED, S.REJECTED})
FINAL: frozenset[str] = ANSWERED | {S.CANCELLED}

TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.DISPATCHED, S.FAILED, S.CANCELLED}),
    S.DISPATCHED: frozenset({S.ACKNOWLEDGED, S.REJECTED, S.CANCELLED}),
    S.ACKNOWLEDGED: frozenset({S.COMPLETED, S.REJECTED, S.CANCELLED}),
    # a failed delivery may have reached the agency after all: its report revives it
    S.FAILED: frozenset({S.PENDING, S.DISPATCHED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}
DISPATCHER_ACTOR = "hub:dispatcher"


@dataclass
class Loaded:
    """A request locked for update, with its case and its subject."""

    row: AssistanceRequest
    case: Case
    party: Party


def is_overdue(row: AssistanceRequest, now: datetime | None = None) -> bool:
    return row.status in OPEN and row.due_at < (now or utcnow())


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    return and_(AssistanceRequest.due_at < now, AssistanceRequest.status.in_(sorted(OPEN)))


def wake_dispatcher(hub: HubState) -> None:
    event = hub.get(DISPATCHER_WAKE)
    if event is not None:
        event.set()


async def move(
    session: AsyncSession,
    loaded: Loaded,
    to: RequestStatus,
    actor: Principal | str,
    note: str | None,
    *,
    kind: str | None = None,
    audit_action: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """One transition: the status, its timestamp, an event and an audit entry."""
    row = loaded.row
    if to not in TRANSITIONS[row.status]:
        raise Conflict(f"a {row.status} request cannot become {to.value}")
    now = utcnow()
    previous = row.status
    row.status = to.value
    row.version = (row.version or 0) + 1
    if to is S.DISPATCHED and row.dispatched_at is None:
        row.dispatched_at = now
    elif to is S.ACKNOWLEDGED:
        row.acknowledged_at = now
    elif to in ANSWERED:
        row.answered_at = now
    kind = kind or to.value
    name = actor.actor if isinstance(actor, Principal) else actor
    session.add(RequestEvent(request_id=row.id, at=now, kind=kind, actor=name, note=note))
    await audit.record(
        session,
        actor=actor,
        action=audit_action or f"request.{kind.lower()}",
        purpose=loaded.case.number,
        subject=loaded.party.id_number,
        target=row.id,
        detail={"from": previous, "to": to.value, **(detail or {})},
    )


async def load_request(
    session: AsyncSession, principal: Principal | None, request_id: str
) -> Loaded:
    """The request locked for update (PostgreSQL) and re-read, with its case and subject.

    Re-read even when the session holds it already: another transaction may have
    moved it between that read and this lock.
    """
    row = await session.get(
        AssistanceRequest, request_id, with_for_update=True, populate_existing=True
    )
    case = await session.get(Case, row.case_id) if row is not None else None
    if row is None or case is None:
        raise NotFound("no such assistance request")
    if principal is not None and not policy.can_read_request(principal, row, case):
        raise NotFound("no such assistance request")
    party = await session.get(Party, row.party_id)
    assert party is not None
    return Loaded(row, case, party)


async def load_for_update(session: AsyncSession, request_id: str) -> Loaded:
    """For the dispatcher and callbacks, which act for the agency, not a principal."""
    return await load_request(session, None, request_id)
