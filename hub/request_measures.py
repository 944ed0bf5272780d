"""The measures requests put on and take off (a seal, a freeze): which completed
measure a LIFT or RENEW acts on, and a measure's rank and term from an answer.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sdk.declare import Effect
from hub.errors import BadUserInput, Conflict
from hub.models import AssistanceRequest, Case, Party
from hub.request_states import S

if TYPE_CHECKING:
    from hub.request_creation import CleanRequest


SEAL_RANKS = ("FIRST", "WAITING")


async def measure_acted_on(
    session: AsyncSession, case: Case, party: Party, clean: CleanRequest
) -> AssistanceRequest:
    """The completed measure (a seal, a freeze) a LIFT or RENEW acts on: named by its
    request (``details.seal_request_id``) or by the record it encumbers (the reference)."""
    spec = clean.spec
    ref = clean.details.get("seal_request_id") or clean.details.get("sealRequestId")
    reference = clean.details.get(spec.reference) if spec.reference else None
    measure: AssistanceRequest | None = None
    if isinstance(ref, str) and ref:
        measure = await session.get(AssistanceRequest, ref)
    elif isinstance(reference, str) and reference and spec.reference:
        candidates = await session.scalars(
            select(AssistanceRequest)
            .where(
                AssistanceRequest.case_id == case.id,
                AssistanceRequest.party_id == party.id,
                AssistanceRequest.agency_id == clean.agency.id,
                AssistanceRequest.action == spec.lifts,
                AssistanceRequest.status == S.COMPLETED,
            )
            .order_by(AssistanceRequest.created_at.desc())
        )
        measure = next((m for m in candidates if m.details.get(spec.reference) == reference), None)
    else:
        names = "details.seal_request_id" + (
            f" or details.{spec.reference}" if spec.reference else ""
        )
        raise BadUserInput("details", f"{spec.name} names the {spec.lifts} it acts on: {names}")
    if (
        measure is None
        or measure.action != spec.lifts
        or measure.status != S.COMPLETED
        or measure.case_id != case.id
        or measure.party_id != party.id
        or measure.agency_id != clean.agency.id
    ):
        raise BadUserInput(
            "details",
            f"{spec.name} must name a completed {spec.lifts} of this case, subject and agency",
        )
    lifted = await session.scalar(
        select(AssistanceRequest.id).where(
            AssistanceRequest.unseals_id == measure.id,
            AssistanceRequest.status == S.COMPLETED,
        )
    )
    if lifted is not None:
        raise Conflict(f"this {spec.lifts} has been lifted")
    if spec.effect is Effect.LIFT:
        lifting = await session.scalar(
            select(AssistanceRequest.id).where(
                AssistanceRequest.unseals_id == measure.id,
                AssistanceRequest.status.not_in([S.FAILED, S.CANCELLED, S.REJECTED]),
            )
        )
        if lifting is not None:
            raise Conflict("this seal is already being lifted")
    return measure


def measure_fields(
    result: dict[str, Any] | None, *, strict: bool
) -> tuple[str | None, date | None]:
    """A measure's rank and expiry from an answer; agencies' bad values are dropped, users'
    refused."""
    result = result or {}
    rank_raw, expiry_raw = result.get("rank"), result.get("expires_on")
    rank: str | None = None
    expires: date | None = None
    if rank_raw is not None:
        rank = str(rank_raw).strip().upper()
        if rank not in SEAL_RANKS:
            if strict:
                raise BadUserInput("result.rank", "a seal ranks FIRST or WAITING")
            rank = None
    if expiry_raw is not None:
        try:
            expires = date.fromisoformat(str(expiry_raw)[:10])
        except ValueError as exc:
            if strict:
                raise BadUserInput("result.expires_on", "expires_on is a date, YYYY-MM-DD") from exc
    if rank == "WAITING":
        expires = None  # a waiting seal runs no term until it is promoted
    return rank, expires
