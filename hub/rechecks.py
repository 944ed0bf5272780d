"""终本 re-checks: a TERMINATED case's respondents are searched again on a schedule.

After 终结本次执行 the court must query the debtor's property again at least
every six months for five years, and resume when something turns up. Each
TERMINATED case gets a durable ``RecheckSchedule`` row (like the outbox: it
survives restarts, and several workers share it by claiming rows), counted
from the day the termination took effect (``effectiveOn``), not from when a
worker first saw it: a 终本 recorded late is due at once, one recorded after
its five years is never run. A tick
(``tick``, driven by ``Rechecker`` in the worker) re-reads the dossier of
every respondent of each case that is due, compares the property found with
what the court knew (the references of the last check; at the start, the
dossier snapshots), and raises an alert on the case (a ``RECHECK_FOUND``
event, audited) for anything new. A case no longer TERMINATED (恢复执行)
loses its schedule (terminated again, it gets a new one); the five years end
it too.

The clock is a parameter: tests pass their own ``now``.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date, datetime, time, timedelta

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from adapters.sdk.records import Subject, SubjectKind
from hub import audit, clock, dossier, reminders, seals
from hub.errors import HubError
from hub.models import (
    Case,
    CaseEvent,
    CaseTransition,
    DossierSnapshot,
    Party,
    RecheckSchedule,
)
from hub.principal import Principal, Role
from hub.sources import decode, screen
from hub.state import HubState

log = structlog.get_logger("hub.rechecks")

TERMINATED = "TERMINATED"
RESPONDENT = "RESPONDENT"
ACTOR = "hub:recheck"
LEASE = timedelta(hours=1)  # a claimed check not finished by then is due again
BATCH = 20  # cases per tick: dossier reads are rate-limited like anyone's


def _principal(case: Case) -> Principal:
    """The hub re-reads for the case's own court, as the officer who terminated it would."""
    return Principal(id=0, name="终本定期复查", role=Role.COURT_OFFICER, scope=case.court_code)


def _references(result: dossier.DossierResult) -> set[str]:
    found = set()
    for item in result.assets:
        view = item.capability.asset
        if view is not None:
            found.add(f"{item.capability.name}:{getattr(item.record, view.reference)}")
    return found


async def _snapshot_references(session: AsyncSession, hub: HubState, party: Party) -> set[str]:
    """What the court knew of the respondent's property: its dossier snapshots."""
    assets = {c.name: c for a in hub.agencies for c in a.capabilities if c.asset is not None}
    subject = Subject(party.id_number, party.name, SubjectKind(party.kind))
    rows = await session.scalars(
        select(DossierSnapshot).where(
            DossierSnapshot.subject_id == party.id_number,
            DossierSnapshot.capability.in_(sorted(assets)),
        )
    )
    found: set[str] = set()
    for row in rows:
        capability = assets[row.capability]
        assert capability.asset is not None
        try:
            records = screen(capability, subject, decode(capability, row.payload))
        except ValueError:
            continue
        for record in records or ():
            found.add(f"{capability.name}:{getattr(record, capability.asset.reference)}")
    return found


async def _terminated_on(session: AsyncSession, case_ids: list[int]) -> dict[int, date]:
    """The day each case's latest termination took effect (``effectiveOn``)."""
    if not case_ids:
        return {}
    rows = await session.execute(
        select(CaseTransition.case_id, func.max(CaseTransition.effective_on))
        .where(CaseTransition.case_id.in_(case_ids), CaseTransition.to_status == TERMINATED)
        .group_by(CaseTransition.case_id)
    )
    return {case_id: on for case_id, on in rows if on is not None}


def _start_of(day: date) -> datetime:
    """The first moment of ``day`` where the courts are."""
    return datetime.combine(day, time(0), tzinfo=seals.SHANGHAI)


async def _schedule_new(hub: HubState, now: datetime) -> int:
    """A schedule for each TERMINATED case without one, counted from the day the
    termination took effect (when it was recorded without a date: from ``now``)."""
    interval = timedelta(days=hub.settings.recheck_interval_days)
    async with hub.db.transaction() as session:
        scheduled = select(RecheckSchedule.case_id)
        cases = list(
            await session.scalars(
                select(Case)
                .where(Case.status == TERMINATED, Case.id.not_in(scheduled))
                .options(selectinload(Case.parties))
            )
        )
        effective = await _terminated_on(session, [c.id for c in cases])
        made = 0
        for case in cases:
            on = effective.get(case.id)
            started = _start_of(on) if on is not None else now
            first = max(started + interval, now)  # recorded late: due at once
            ends = started + timedelta(days=365 * hub.settings.recheck_years + 1)
            note = (
                f"终结本次执行后每 {hub.settings.recheck_interval_days} 天复查财产，"
                f"首次 {first.astimezone(seals.SHANGHAI).date().isoformat()}"
            )
            if now >= ends:
                note = f"终结本次执行已满 {hub.settings.recheck_years} 年，不再定期复查"
            known: set[str] = set()
            for party in case.parties:
                if party.role == RESPONDENT:
                    known |= await _snapshot_references(session, hub, party)
            session.add(
                RecheckSchedule(
                    case_id=case.id,
                    started_at=started,
                    next_due_at=started + interval,
                    ends_at=ends,
                    known=sorted(known),
                    runs=0,
                    active=now < ends,
                )
            )
            session.add(
                CaseEvent(
                    case_id=case.id,
                    at=now,
                    kind="RECHECK_SCHEDULED",
                    actor=ACTOR,
                    note=note,
                )
            )
            made += 1
    return made


async def _claim(hub: HubState, now: datetime) -> list[int]:
    """Due schedules, claimed for ``LEASE``; ended ones are closed on the way."""
    async with hub.db.transaction() as session:
        rows = await session.scalars(
            select(RecheckSchedule)
            .where(RecheckSchedule.active.is_(True), RecheckSchedule.next_due_at <= now)
            .order_by(RecheckSchedule.next_due_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
        claimed = []
        for row in rows:
            case = await session.get(Case, row.case_id)
            if case is None or case.status != TERMINATED:
                # enforcement resumed (恢复执行): a later 终本 starts a schedule of its own
                await session.delete(row)
                continue
            if now >= row.ends_at:
                row.active = False  # the five years are over
                continue
            row.next_due_at = now + LEASE
            claimed.append(row.id)
    return claimed


async def _run(hub: HubState, schedule_id: int, now: datetime) -> None:
    async with hub.db.session() as session:
        schedule = await session.get(RecheckSchedule, schedule_id)
        assert schedule is not None
        case = await session.scalar(
            select(Case).where(Case.id == schedule.case_id).options(selectinload(Case.parties))
        )
    assert case is not None
    principal = _principal(case)
    capabilities = sorted({c for a in hub.agencies for c in a.capabilities if c.asset is not None})
    found: set[str] = set()
    for party in case.parties:
        if party.role == RESPONDENT:
            result = await dossier.read_party_dossier(hub, principal, case, party, capabilities)
            found |= _references(result)
    async with hub.db.transaction() as session:
        schedule = await session.get(RecheckSchedule, schedule_id, with_for_update=True)
        assert schedule is not None
        new = sorted(found - set(schedule.known or []))
        schedule.known = sorted(set(schedule.known or []) | found)
        schedule.runs = (schedule.runs or 0) + 1
        schedule.last_run_at = now
        schedule.next_due_at = now + timedelta(days=hub.settings.recheck_interval_days)
        kind = "RECHECK_FOUND" if new else "RECHECKED"
        listed = "、".join(ref.split(":", 1)[1] for ref in new)
        note = f"复查发现新财产：{listed}，请及时恢复执行" if new else "复查未发现新财产"
        session.add(CaseEvent(case_id=case.id, at=now, kind=kind, actor=ACTOR, note=note))
        await audit.record(
            session,
            actor=ACTOR,
            action="case.rechecked",
            purpose=case.number,
            target=str(schedule.id),
            detail={"new": new, "run": schedule.runs},
        )


async def tick(hub: HubState, now: datetime | None = None) -> int:
    """Schedule new TERMINATED cases and run the due checks; how many checks ran."""
    now = now or clock.now()
    await _schedule_new(hub, now)
    ran = 0
    for schedule_id in await _claim(hub, now):
        try:
            await _run(hub, schedule_id, now)
        except HubError as exc:  # rate-limited, or the case changed: due again after the lease
            log.warning("re-check postponed", schedule=schedule_id, error=exc.code)
            continue
        ran += 1
    return ran


class Rechecker:
    """``tick`` (and the seal expiry reminders) every ``period_s`` in the background, for the
    worker."""

    def __init__(self, hub: HubState, period_s: float = 600.0) -> None:
        self.hub = hub
        self.period_s = period_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                await tick(self.hub)
                await reminders.remind_expiring(self.hub)
                await seals.promote_from_snapshots(self.hub)
            except Exception:  # a bad tick must not end the schedule: logged, tried again
                log.exception("re-check tick failed")
            await asyncio.sleep(self.period_s)
