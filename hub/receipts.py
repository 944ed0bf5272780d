"""Receipts recorded in bulk: many deliveries, one transaction, a handful of statements.

One receipt recorded alone (a row lock, one event, one audit entry) takes
about eight round trips. The dispatcher delivers hundreds a second, so its
receipts are written here together: the requests locked and read in one
statement, the events and audit entries (``audit.record_many``: one id
allocation, one insert) inserted together, and the poll rows armed together. What
is written per request is what a single move (``request_states.move`` to
DISPATCHED, ``agency.dispatch`` in the audit) writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sdk.records import DispatchReceipt
from hub import audit
from hub.models import AssistanceRequest, Case, OutboxEntry, Party, RequestEvent, utcnow
from hub.request_states import DISPATCHER_ACTOR, OPEN, TRANSITIONS, S


@dataclass(frozen=True)
class Receipt:
    request_id: str
    receipt: DispatchReceipt
    attempts: int


async def record_dispatches(session: AsyncSession, receipts: Sequence[Receipt]) -> list[str]:
    """Record each agency's receipt; the ids of requests still open (to be polled)."""
    if not receipts:
        return []
    ids = sorted({r.request_id for r in receipts})
    stmt = (
        select(AssistanceRequest, Case.number, Party.id_number)
        .join(Case, Case.id == AssistanceRequest.case_id)
        .join(Party, Party.id == AssistanceRequest.party_id)
        .where(AssistanceRequest.id.in_(ids))
        .order_by(AssistanceRequest.id)  # one lock order for every writer: no deadlocks
        .with_for_update(of=AssistanceRequest)
        .execution_options(populate_existing=True)
    )
    result = await session.execute(stmt)
    loaded = {row.id: (row, number, id_number) for row, number, id_number in result}
    now = utcnow()
    events: list[RequestEvent] = []
    entries: list[audit.AuditRecord] = []
    still_open: list[str] = []
    for item in receipts:
        found = loaded.get(item.request_id)
        if found is None:
            continue
        row, case_number, id_number = found
        ref = item.receipt.agency_ref
        if not row.agency_ref:
            row.agency_ref = ref
        if row.status in (S.PENDING, S.FAILED) and S.DISPATCHED in TRANSITIONS[row.status]:
            previous = row.status
            row.status = S.DISPATCHED.value
            row.version = (row.version or 0) + 1
            if row.dispatched_at is None:
                row.dispatched_at = now
            row.failure = None
            note = f"delivered to {row.agency_id} as {ref}"
            events.append(
                RequestEvent(
                    request_id=row.id, at=now, kind="DISPATCHED", actor=DISPATCHER_ACTOR, note=note
                )
            )
            entries.append(
                audit.AuditRecord(
                    DISPATCHER_ACTOR,
                    "agency.dispatch",
                    purpose=case_number,
                    subject=id_number,
                    target=row.id,
                    detail={
                        "from": previous,
                        "to": S.DISPATCHED.value,
                        "attempts": item.attempts,
                        "agency_ref": ref,
                    },
                )
            )
        if row.status in OPEN:
            still_open.append(row.id)
    session.add_all(events)
    await audit.record_many(session, entries)
    return still_open


async def schedule_polls(
    session: AsyncSession, request_ids: Sequence[str], after_s: float, *, at: datetime | None = None
) -> None:
    """``dispatcher.schedule_poll`` for many requests: re-arm open poll rows, add the missing."""
    if not request_ids:
        return
    when = (at or utcnow()) + timedelta(seconds=after_s)
    armed = set(
        (
            await session.execute(
                update(OutboxEntry)
                .where(
                    OutboxEntry.request_id.in_(sorted(set(request_ids))),
                    OutboxEntry.task == "poll",
                    OutboxEntry.done_at.is_(None),
                )
                .values(available_at=when)
                .returning(OutboxEntry.request_id)
                .execution_options(synchronize_session=False)
            )
        )
        .scalars()
        .all()
    )
    missing = [rid for rid in dict.fromkeys(request_ids) if rid not in armed]
    if missing:
        await session.execute(
            insert(OutboxEntry),
            [
                {"request_id": rid, "task": "poll", "payload": {}, "available_at": when}
                for rid in missing
            ],
        )
