"""Reminders that an effective seal or freeze is about to lapse: renew (续行) in time.

``expiringSeals`` answers when asked; this writes the reminder where the
officer works, once per term: an ``EXPIRY_REMINDER`` event on the measure's
request ``settings.seal_reminder_days`` before it lapses (a renewal or a
promotion starts a new term, and a new reminder). Run by the worker's
scheduler (``hub.rechecks.Rechecker``) with the clock as a parameter.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import aliased

from adapters.sdk.declare import Effect
from hub import audit, clock
from hub.models import AssistanceRequest, Case, RequestEvent
from hub.state import HubState

SHANGHAI = ZoneInfo("Asia/Shanghai")
KIND = "EXPIRY_REMINDER"
ACTOR = "hub:reminders"


async def remind_expiring(hub: HubState, now: datetime | None = None) -> int:
    """Remind of the measures lapsing within the reminder window; how many were reminded."""
    now = now or clock.now()
    today = now.astimezone(SHANGHAI).date()
    horizon = today + timedelta(days=hub.settings.seal_reminder_days)
    lift = aliased(AssistanceRequest)
    lifted = exists().where(lift.unseals_id == AssistanceRequest.id, lift.status == "COMPLETED")
    reminded = 0
    async with hub.db.transaction() as session:
        rows = await session.execute(
            select(AssistanceRequest, Case)
            .join(Case, Case.id == AssistanceRequest.case_id)
            .where(
                AssistanceRequest.effect == Effect.ENCUMBER.value,
                AssistanceRequest.status == "COMPLETED",
                or_(
                    AssistanceRequest.seal_rank.is_(None),
                    AssistanceRequest.seal_rank != "WAITING",
                ),
                AssistanceRequest.seal_expires_on >= today,
                AssistanceRequest.seal_expires_on <= horizon,
                ~lifted,
            )
        )
        for measure, case in rows.all():
            assert measure.seal_expires_on is not None
            when = measure.seal_expires_on.isoformat()
            note = f"将于 {when} 到期，请及时续行"
            done = await session.scalar(
                select(RequestEvent.id).where(
                    RequestEvent.request_id == measure.id,
                    RequestEvent.kind == KIND,
                    RequestEvent.note == note,
                )
            )
            if done is not None:
                continue
            session.add(
                RequestEvent(request_id=measure.id, at=now, kind=KIND, actor=ACTOR, note=note)
            )
            await audit.record(
                session,
                actor=ACTOR,
                action="request.expiry_reminder",
                purpose=case.number,
                target=measure.id,
                detail={"expires_on": when},
            )
            reminded += 1
    return reminded
