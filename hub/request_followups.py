"""The court's follow-ups on a request: urge (催办), evaluate, cancel, re-send."""

from __future__ import annotations

from sqlalchemy import update

from hub import audit, policy
from hub.errors import BadUserInput, Conflict
from hub.logs import current_request_id
from hub.models import AssistanceRequest, OutboxEntry, RequestEvent, utcnow
from hub.principal import Principal
from hub.request_states import ANSWERED, FINAL, S, load_request, move, wake_dispatcher
from hub.state import HubState
from hub.validation import require_text


async def urge(
    hub: HubState, principal: Principal, request_id: str, note: str | None
) -> AssistanceRequest:
    """催办: counted; pushed to an api agency's system, highlighted in a console inbox."""
    if note is not None:
        note = require_text(note, field="note", max_length=2000)
    async with hub.db.transaction() as session:
        loaded = await load_request(session, principal, request_id)
        row = loaded.row
        policy.require_manage_case(principal, loaded.case)
        if row.status in FINAL or row.status == S.FAILED:
            raise Conflict(f"a {row.status} request cannot be urged")
        now = utcnow()
        row.urge_count = (row.urge_count or 0) + 1
        row.last_urged_at = now
        row.version = (row.version or 0) + 1
        session.add(
            RequestEvent(request_id=row.id, at=now, kind="URGED", actor=principal.actor, note=note)
        )
        await audit.record(
            session,
            actor=principal,
            action="request.urged",
            purpose=loaded.case.number,
            subject=loaded.party.id_number,
            target=row.id,
            detail={"urge_count": row.urge_count},
        )
        agency = hub.agencies.get(row.agency_id)
        if agency is not None and agency.is_api:
            payload = {"note": note, "request_id": current_request_id()}
            session.add(
                OutboxEntry(request_id=row.id, task="urge", payload=payload, available_at=now)
            )
    wake_dispatcher(hub)
    return row


async def evaluate(
    hub: HubState, principal: Principal, request_id: str, rating: int, comment: str | None
) -> AssistanceRequest:
    """The court's rating of the agency's answer: once, 1 to 5, only after an answer."""
    if not 1 <= rating <= 5:
        raise BadUserInput("rating", "rating is 1 to 5")
    if comment is not None:
        comment = require_text(comment, field="comment", max_length=2000)
    async with hub.db.transaction() as session:
        loaded = await load_request(session, principal, request_id)
        row = loaded.row
        policy.require_manage_case(principal, loaded.case)
        if row.status not in ANSWERED:
            raise Conflict("a request is evaluated only after its answer")
        if row.rating is not None:
            raise Conflict("this request is already evaluated")
        row.rating, row.comment = rating, comment
        row.version = (row.version or 0) + 1
        session.add(
            RequestEvent(
                request_id=row.id, kind="EVALUATED", actor=principal.actor, note=f"{rating}/5"
            )
        )
        await audit.record(
            session,
            actor=principal,
            action="request.evaluated",
            purpose=loaded.case.number,
            subject=loaded.party.id_number,
            target=row.id,
            detail={"rating": rating},
        )
    return row


async def cancel(
    hub: HubState, principal: Principal, request_id: str, reason: str
) -> AssistanceRequest:
    reason = require_text(reason, field="reason", max_length=2000)
    async with hub.db.transaction() as session:
        loaded = await load_request(session, principal, request_id)
        policy.require_manage_case(principal, loaded.case)
        await move(session, loaded, S.CANCELLED, principal, reason)
        await session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.request_id == request_id, OutboxEntry.done_at.is_(None))
            .values(done_at=utcnow(), last_error="cancelled")
        )
    return loaded.row


async def resend(hub: HubState, principal: Principal, request_id: str) -> AssistanceRequest:
    """A FAILED request goes out again, with its idempotency key (the agency dedupes)."""
    async with hub.db.transaction() as session:
        loaded = await load_request(session, principal, request_id)
        policy.require_manage_case(principal, loaded.case)
        if loaded.row.status != S.FAILED:
            raise Conflict(f"a {loaded.row.status} request cannot be re-sent")
        agency = hub.agencies.get(loaded.row.agency_id)
        if agency is None or not agency.is_api:
            raise Conflict("this agency is no longer reachable by the hub")
        await move(session, loaded, S.PENDING, principal, None, kind="RESENT")
        loaded.row.failure = None
        # an earlier attempt may have reached the agency: ask before sending
        session.add(
            OutboxEntry(
                request_id=request_id,
                task="deliver",
                payload={"lookup_first": True, "request_id": current_request_id()},
                available_at=utcnow(),
            )
        )
    wake_dispatcher(hub)
    return loaded.row
