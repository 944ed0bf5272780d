"""Seals about to lapse (续封 in time): completed, running a term, not lifted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import aliased

from adapters.sdk.declare import Effect
from hub import clock
from hub.errors import BadUserInput
from hub.models import AssistanceRequest, Case
from hub.principal import Principal
from hub.request_reads import scoped
from hub.request_states import S
from hub.state import HubState


async def expiring_seals(
    hub: HubState, principal: Principal, within_days: int | None = None
) -> list[AssistanceRequest]:
    """Completed seals lapsing within ``within_days`` (and not lifted): renew (续封) in time.

    ``None`` means the hub's reminder horizon, ``settings.seal_reminder_days``.
    """
    if within_days is None:
        within_days = hub.settings.seal_reminder_days
    if not 0 <= within_days <= 3650:
        raise BadUserInput("withinDays", "withinDays must be between 0 and 3650")
    today = clock.today()
    unseal = aliased(AssistanceRequest)
    lifted = exists().where(unseal.unseals_id == AssistanceRequest.id, unseal.status == S.COMPLETED)
    stmt = (
        select(AssistanceRequest)
        .join(Case, Case.id == AssistanceRequest.case_id)
        .where(
            AssistanceRequest.effect == Effect.ENCUMBER.value,
            AssistanceRequest.status == S.COMPLETED,
            # a waiting seal (轮候) has no term of its own until it is promoted
            or_(AssistanceRequest.seal_rank.is_(None), AssistanceRequest.seal_rank != "WAITING"),
            AssistanceRequest.seal_expires_on >= today,
            AssistanceRequest.seal_expires_on <= today + timedelta(days=within_days),
            ~lifted,
        )
        .order_by(AssistanceRequest.seal_expires_on, AssistanceRequest.id)
    )
    async with hub.db.session() as session:
        return list((await session.scalars(scoped(stmt, principal))).all())
