"""Standing watches (布控): each sighting an agency reports is an event of the request.

A request whose action has the effect ``WATCH`` stays open after the agency
takes it; the agency reports sightings (by callback or when polled) as
progress that carries ``result.sightings`` without changing the status. Each
sighting not seen before becomes a ``SIGHTING`` event of the request, an audit
entry, and an alert for the case's court officers (``watch_alerts``) for as
long as the watch stays open. Cancelling the request ends the watch: reports
for a final request change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sdk.declare import Effect
from adapters.sdk.records import OrderProgress
from hub import audit
from hub.models import AssistanceRequest, Case, Party, RequestEvent, utcnow
from hub.principal import Principal, Role
from hub.state import HubState

if TYPE_CHECKING:
    from hub.request_states import Loaded

SHANGHAI = ZoneInfo("Asia/Shanghai")
SIGHTING = "SIGHTING"
OPEN_STATUSES = ("PENDING", "DISPATCHED", "ACKNOWLEDGED")


def _key(sighting: dict[str, Any]) -> tuple[str, str, str]:
    return (
        str(sighting.get("plate") or ""),
        str(sighting.get("at") or ""),
        str(sighting.get("place") or ""),
    )


def _shown(at: object) -> str:
    try:
        when = datetime.fromisoformat(str(at))
    except ValueError:
        return str(at)
    if when.tzinfo is not None:
        when = when.astimezone(SHANGHAI)
    return when.strftime("%Y-%m-%d %H:%M")


def sighting_note(sighting: dict[str, Any]) -> str:
    """The alert as an officer reads it."""
    what = sighting.get("plate") or sighting.get("name") or "布控对象"
    return f"{what} 于 {_shown(sighting.get('at'))} 出现在{sighting.get('place') or '未知地点'}"


async def record_reports(
    session: AsyncSession, loaded: Loaded, progress: OrderProgress, actor: str
) -> bool:
    """The sightings in ``progress`` not recorded yet, as events; ``True`` when any was new."""
    row = loaded.row
    if row.effect != Effect.WATCH.value or row.status not in OPEN_STATUSES:
        return False
    reported = (progress.result or {}).get("sightings")
    if not isinstance(reported, list):
        return False
    known = [s for s in (row.result or {}).get("sightings") or [] if isinstance(s, dict)]
    seen = {_key(s) for s in known}
    fresh = [s for s in reported if isinstance(s, dict) and _key(s) not in seen]
    if not fresh:
        return False
    now = utcnow()
    for sighting in fresh:
        seen.add(_key(sighting))
        session.add(
            RequestEvent(
                request_id=row.id, at=now, kind=SIGHTING, actor=actor, note=sighting_note(sighting)
            )
        )
    row.result = {**(row.result or {}), "sightings": [*known, *fresh]}
    row.version = (row.version or 0) + 1
    await audit.record(
        session,
        actor=actor,
        action="request.sighting",
        purpose=loaded.case.number,
        subject=loaded.party.id_number,
        target=row.id,
        detail={"sightings": len(fresh)},
    )
    return True


@dataclass(frozen=True)
class WatchAlert:
    request_id: str
    case_number: str
    subject_name: str
    agency_id: str
    at: datetime
    note: str


async def watch_alerts(
    hub: HubState, principal: Principal, case_number: str | None = None
) -> list[WatchAlert]:
    """Sightings of the open watches of the caller's court, newest first."""
    if principal.role is not Role.COURT_OFFICER:
        return []
    stmt = (
        select(RequestEvent, AssistanceRequest, Case, Party)
        .join(AssistanceRequest, AssistanceRequest.id == RequestEvent.request_id)
        .join(Case, Case.id == AssistanceRequest.case_id)
        .join(Party, Party.id == AssistanceRequest.party_id)
        .where(
            RequestEvent.kind == SIGHTING,
            AssistanceRequest.effect == Effect.WATCH.value,
            AssistanceRequest.status.in_(OPEN_STATUSES),
            Case.court_code == principal.scope,
        )
        .order_by(RequestEvent.at.desc(), RequestEvent.id.desc())
    )
    if case_number:
        stmt = stmt.where(Case.number == case_number)
    async with hub.db.session() as session:
        rows = (await session.execute(stmt)).all()
    return [
        WatchAlert(
            request_id=request.id,
            case_number=case.number,
            subject_name=party.name,
            agency_id=request.agency_id,
            at=event.at,
            note=event.note or "",
        )
        for event, request, case, party in rows
    ]
