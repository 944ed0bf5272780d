"""The tickets' durable scheduler: due jobs in a table, run by whichever worker polls first.

A job is written in the same transaction as the change it follows (a reply's
SMS, a new ticket's reminder), so nothing is lost when a process dies. Any
number of workers poll the table: each job is claimed by a conditional update
(a lease, as the dispatcher's outbox), run, and marked done; a failed job is
tried again later with a growing wait, and given up after ``MAX_ATTEMPTS``.

The dispatcher loop calls ``kick`` on every round; ``kick`` never waits: it
starts a background pass when none is running and the last began at least
``POLL_S`` ago, so a slow SMS gateway cannot hold up the delivery of
assistance requests.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Ticket, TicketEvent, TicketJob, utcnow
from hub.notify import NotificationFailed, notifier_for
from hub.state import HubState, Slot

log = structlog.get_logger("hub.ticket_jobs")

POLL_S = 1.0
LEASE_S = 60.0
BATCH = 20
MAX_ATTEMPTS = 10
BACKOFF_S = 5.0  # 5 s, 10 s, 20 s ... capped at an hour
SYSTEM = "hub:tickets"
_TASK: Slot[asyncio.Task[int]] = Slot("tickets.jobs.task")
_LAST: Slot[float] = Slot("tickets.jobs.last")  # time.monotonic()


async def schedule(
    session: AsyncSession,
    ticket_id: str,
    kind: str,
    at: datetime | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Add a job in the caller's transaction."""
    now = utcnow()
    session.add(
        TicketJob(
            ticket_id=ticket_id,
            kind=kind,
            payload=payload or {},
            created_at=now,
            available_at=at or now,
        )
    )


def _due(now: datetime) -> Any:
    return and_(
        TicketJob.done_at.is_(None),
        TicketJob.available_at <= now,
        or_(TicketJob.claimed_until.is_(None), TicketJob.claimed_until < now),
    )


async def _claim(hub: HubState, limit: int) -> list[int]:
    now = utcnow()
    async with hub.db.session() as session:
        ids = list(
            (
                await session.scalars(
                    select(TicketJob.id)
                    .where(_due(now))
                    .order_by(TicketJob.available_at, TicketJob.id)
                    .limit(limit)
                )
            ).all()
        )
    claimed: list[int] = []
    for job_id in ids:
        # one conditional update per job: whoever moves the lease first runs it
        async with hub.db.transaction() as session:
            result = await session.execute(
                update(TicketJob)
                .where(TicketJob.id == job_id, _due(now))
                .values(
                    claimed_until=now + timedelta(seconds=LEASE_S),
                    attempts=TicketJob.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0):
                claimed.append(job_id)
    return claimed


async def run_due(hub: HubState, limit: int = BATCH) -> int:
    """Run up to ``limit`` due jobs; the number run (failed ones included)."""
    ids = await _claim(hub, limit)
    for job_id in ids:
        await _run(hub, job_id)
    return len(ids)


async def _run(hub: HubState, job_id: int) -> None:
    async with hub.db.session() as session:
        job = await session.get(TicketJob, job_id)
        ticket = await session.get(Ticket, job.ticket_id) if job else None
    if job is None or ticket is None:
        return
    try:
        note = await _perform(hub, job, ticket)
    except NotificationFailed as exc:
        await _failed(hub, job, str(exc))
        return
    except Exception as exc:  # a bug must not stop the other jobs; the job is kept
        log.exception("ticket job failed", job=job.id, kind=job.kind)
        await _failed(hub, job, f"{type(exc).__name__}")
        return
    async with hub.db.transaction() as session:
        await session.execute(
            update(TicketJob)
            .where(TicketJob.id == job.id)
            .values(done_at=utcnow(), claimed_until=None, last_error=None)
        )
        if note is not None:
            session.add(TicketEvent(ticket_id=ticket.id, kind=note[0], actor=SYSTEM, note=note[1]))


async def _perform(hub: HubState, job: TicketJob, ticket: Ticket) -> tuple[str, str] | None:
    """Do the job; the event it leaves on the ticket, if any."""
    from hub.tickets import OPEN_STATUSES

    if job.kind == "notify":
        phone = str(job.payload.get("phone") or "")
        text = str(job.payload.get("text") or "")
        if not phone:
            return None
        await notifier_for(hub).send(phone, text, reference=f"ticket-job-{job.id}")
        return ("NOTIFIED", text)
    if ticket.status not in OPEN_STATUSES or ticket.due_at != _at(job.payload.get("due_at")):
        return None  # answered, or due again later (reopened): a newer job covers it
    if job.kind == "remind":
        return ("REMINDED", f"将于 {_local(ticket.due_at)} 到期，请及时答复")
    if job.kind == "overdue":
        return ("OVERDUE", f"已于 {_local(ticket.due_at)} 到期，尚未答复")
    return None


def _at(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _local(value: datetime) -> str:
    from hub.ticket_due import SHANGHAI

    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


async def _failed(hub: HubState, job: TicketJob, error: str) -> None:
    attempts = job.attempts  # already counted when claimed
    give_up = attempts >= MAX_ATTEMPTS
    wait = min(BACKOFF_S * 2 ** max(attempts - 1, 0), 3600.0)
    async with hub.db.transaction() as session:
        await session.execute(
            update(TicketJob)
            .where(TicketJob.id == job.id)
            .values(
                claimed_until=None,
                last_error=error,
                available_at=utcnow() + timedelta(seconds=wait),
                done_at=utcnow() if give_up else None,
            )
        )
        if give_up:
            session.add(
                TicketEvent(
                    ticket_id=job.ticket_id,
                    kind="NOTIFY_FAILED",
                    actor=SYSTEM,
                    note=f"短信 {attempts} 次发送未成功，已停止重试",
                )
            )
    log.warning("ticket job failed", job=job.id, kind=job.kind, attempts=attempts, error=error)


def kick(hub: HubState) -> None:
    """Start a pass in the background unless one is running or began under ``POLL_S`` ago."""
    task = hub.get(_TASK)
    if task is not None and not task.done():
        return
    now = time.monotonic()
    if now - (hub.get(_LAST) or 0.0) < POLL_S:
        return
    hub.put(_LAST, now)
    hub.put(_TASK, asyncio.get_running_loop().create_task(_pass(hub)))


async def _pass(hub: HubState) -> int:
    try:
        return await run_due(hub)
    except Exception:
        log.exception("ticket jobs pass failed")
        return 0


async def settle(hub: HubState) -> None:
    """Wait for a pass in flight (a stopping worker calls this)."""
    task = hub.get(_TASK)
    if task is not None:
        await asyncio.gather(task, return_exceptions=True)
