"""The agency's answers: acknowledged, completed (a seal's rank and term kept, a
lift's promotions applied, a renewal's term extended) or rejected."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sdk.declare import Effect
from hub import policy, seals
from hub.errors import BadUserInput, Conflict
from hub.models import AssistanceRequest
from hub.principal import Principal
from hub.request_creation import checked
from hub.request_measures import measure_fields
from hub.request_states import Loaded, S, load_request, move
from hub.state import HubState
from hub.validation import require_text


async def record_completion(
    session: AsyncSession,
    loaded: Loaded,
    outcome: str,
    result: dict[str, Any] | None,
    actor: Principal | str,
    *,
    strict: bool,
) -> None:
    row = loaded.row
    effect = row.effect or Effect.NONE.value
    rank, expires = measure_fields(result, strict=strict)
    if row.status == S.DISPATCHED:  # an answer implies the order was taken
        await move(session, loaded, S.ACKNOWLEDGED, actor, "acknowledged with the answer")
    await move(session, loaded, S.COMPLETED, actor, outcome, detail={"outcome": outcome})
    row.outcome = outcome
    row.result = result
    if effect == Effect.ENCUMBER:
        row.seal_rank = rank
        row.seal_expires_on = seals.effective_term(rank, expires, row.term_years)
    elif effect in (Effect.LIFT, Effect.MOVE_MONEY):
        # lifting a first seal promotes the earliest waiting one: ours, if it is; so does
        # a deduction that takes all the money a first freeze held
        await seals.apply_promotions(session, row, actor if isinstance(actor, str) else actor.actor)
    elif effect == Effect.RENEW:
        # a renewal keeps the measure's rank and extends its term
        measure_id = row.details.get("seal_request_id")
        measure = await session.get(AssistanceRequest, measure_id) if measure_id else None
        if measure is not None and expires is not None:
            measure.seal_expires_on = expires
            measure.version = (measure.version or 0) + 1


async def record_rejection(
    session: AsyncSession, loaded: Loaded, reason: str, actor: Principal | str
) -> None:
    await move(session, loaded, S.REJECTED, actor, reason)
    loaded.row.outcome = reason
    loaded.row.result = None


async def acknowledge(hub: HubState, principal: Principal, request_id: str) -> AssistanceRequest:
    async with hub.db.transaction() as session:
        loaded = await load_request(session, principal, request_id)
        policy.require_answer_request(principal, loaded.row)
        await move(session, loaded, S.ACKNOWLEDGED, principal, None)
    return loaded.row


async def answer(
    hub: HubState,
    principal: Principal,
    request_id: str,
    outcome: str,
    result: dict[str, Any] | None,
) -> AssistanceRequest:
    """The agency's answer (an empty result is an answer); a SEAL's rank and expiry are kept."""
    outcome = require_text(outcome, field="outcome", max_length=200)
    if result is not None and not isinstance(result, dict):
        raise BadUserInput("result", "result must be a JSON object")
    async with hub.db.transaction() as session:
        loaded = await load_request(session, principal, request_id)
        policy.require_answer_request(principal, loaded.row)
        if loaded.row.status not in (S.DISPATCHED, S.ACKNOWLEDGED):
            raise Conflict(f"a {loaded.row.status} request cannot be answered")
        agency = hub.agencies.get(loaded.row.agency_id)
        spec = agency.action(loaded.row.action) if agency is not None else None
        if spec is not None and spec.result is not None:
            result = checked(spec.result, result or {}, "result")
        await record_completion(session, loaded, outcome, result, principal, strict=True)
    return loaded.row


async def reject(
    hub: HubState, principal: Principal, request_id: str, reason: str
) -> AssistanceRequest:
    reason = require_text(reason, field="reason", max_length=2000)
    async with hub.db.transaction() as session:
        loaded = await load_request(session, principal, request_id)
        policy.require_answer_request(principal, loaded.row)
        await record_rejection(session, loaded, reason, principal)
    return loaded.row
