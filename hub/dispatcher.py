"""The durable dispatcher: delivers outbox rows to agency systems, at least once.

Rows are written in the same transaction as the request they serve
(``hub.request_creation``), so nothing is lost between "created" and "sent". A
dispatcher claims due rows atomically with a lease (``claimed_by`` /
``claimed_until``) and counts the attempt in the same statement:

* PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` then ``UPDATE`` in one
  transaction, so any number of ``hub serve`` / ``hub worker`` processes
  share the queue without taking each other's rows;
* SQLite: one ``UPDATE ... WHERE id IN (SELECT ...) RETURNING`` inside the
  write lock (``BEGIN IMMEDIATE``).

A worker that dies (SIGKILL) leaves its rows leased; once the lease lapses
another claim takes them, with ``attempts`` already counted. Before re-sending
such a row the dispatcher asks the agency (``adapter.lookup(key)``) whether the
order arrived and takes that receipt instead, so at-least-once delivery plus
the idempotency key gives exactly-once effect at the agency. Leases of rows in
flight are renewed while they run.

Outages cost nothing. Delivery is bounded by time, not by a count of tries:
a row is retried with exponential backoff (jitter, capped at
``dispatcher_backoff_max_s``) until ``dispatcher_retry_budget_s`` after it
was written (72 h by default). Orders for an agency the probes find down
(``hub.probes``) are not claimed at all, and an order refused by an open
circuit waits a probe period without counting a send; ``attempts`` counts
claims (a crashed worker's too, so the next one asks first), ``sends`` the
orders that really left. Before giving up the dispatcher asks the agency
(``lookup``): FAILED means the agency does not have the order, and the event
says why. After an outage the backlog drains at the agency's ``rate_per_s``
(``hub.pacing``), counted across every dispatcher process on PostgreSQL.

Claims are batched: the rows of one claim are read in one session, and the
deliveries that succeed are recorded together, many rows per transaction
(a group commit), so the database sees a few transactions per batch, not
three per row.

Tasks: ``deliver`` (push the order), ``urge`` (``adapter.urge``), and
``poll`` (one per delivered api request, pushed back by every callback;
when it comes due the agency has been silent for ``poll_after_s``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sdk.records import (
    AssistanceOrder,
    DispatchReceipt,
    OrderProgress,
    Subject,
    SubjectKind,
)
from hub import agency_progress, funds_reminders, metrics, receipts, request_states, ticket_jobs
from hub.errors import CircuitOpen, UpstreamError, UpstreamRejected
from hub.logs import bind_request_id
from hub.models import AssistanceRequest, Case, OutboxEntry, Party, utcnow
from hub.pacing import DispatchClock, Pacer, agency_pacer, dispatch_clock
from hub.probes import AgencyProbes, agency_probes
from hub.state import HubState

log = structlog.get_logger("hub.dispatcher")

DEPTH_EVERY_S = 1.0  # refresh the queue-depth gauge at most this often
RECORD_BATCH = 200  # deliveries recorded in one transaction at most


@dataclass(frozen=True)
class Claim:
    """One claimed outbox row; ``attempts`` (claims) includes this one, ``sends`` does not."""

    id: int
    request_id: str
    task: str
    payload: dict[str, Any]
    attempts: int
    sends: int = 0
    created_at: datetime | None = None


@dataclass(frozen=True)
class _Snapshot:
    row: AssistanceRequest
    case: Case
    party: Party


class Dispatcher:
    """Claims and runs outbox rows until stopped; ``run_once`` does one batch (tests, bench)."""

    def __init__(
        self,
        hub: HubState,
        *,
        poll_s: float | None = None,
        batch: int | None = None,
        lease_s: float | None = None,
        max_attempts: int | None = None,
        backoff_s: float | None = None,
        worker_id: str | None = None,
        clock: DispatchClock | None = None,
        retry_budget_s: float | None = None,
    ) -> None:
        settings = hub.settings
        self.hub = hub
        self.poll_s = settings.dispatcher_poll_s if poll_s is None else poll_s
        self.batch = settings.dispatcher_batch if batch is None else batch
        self.lease_s = settings.dispatcher_lease_s if lease_s is None else lease_s
        self.max_attempts = (
            settings.dispatcher_max_attempts if max_attempts is None else max_attempts
        )
        self.backoff_s = settings.dispatcher_backoff_s if backoff_s is None else backoff_s
        self.backoff_max_s = settings.dispatcher_backoff_max_s
        self.retry_budget_s = (
            settings.dispatcher_retry_budget_s if retry_budget_s is None else retry_budget_s
        )
        self.clock = clock or dispatch_clock(hub)
        self.pacer: Pacer = agency_pacer(hub)  # per agency, across processes on PostgreSQL
        self.probes: AgencyProbes = agency_probes(hub)
        self._recorded: list[tuple[Claim, DispatchReceipt, asyncio.Future[None]]] = []
        self._recorder: asyncio.Task[None] | None = None
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._inflight: set[int] = set()
        self._depth_at = 0.0

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        self._stopping.clear()
        self.hub.put(request_states.DISPATCHER_WAKE, self._wake)
        self._tasks = [
            asyncio.create_task(self._loop(), name=f"dispatcher {self.worker_id}"),
            asyncio.create_task(self._renew_leases(), name=f"leases {self.worker_id}"),
        ]

    async def stop(self) -> None:
        """Finish the rows in hand (for at most a lease), then return."""
        self._stopping.set()
        self._wake.set()
        if self.hub.get(request_states.DISPATCHER_WAKE) is self._wake:
            self.hub.pop(request_states.DISPATCHER_WAKE)
        if not self._tasks:
            return
        loop, renewer = self._tasks
        try:
            await asyncio.wait_for(asyncio.shield(loop), timeout=self.lease_s)
        except TimeoutError:
            loop.cancel()  # its rows' leases lapse and another worker takes them
        renewer.cancel()
        await asyncio.gather(loop, renewer, return_exceptions=True)
        self._tasks = []

    async def _loop(self) -> None:
        """Keep up to ``batch`` rows in flight: a slow row does not hold up the others."""
        running: set[asyncio.Task[None]] = set()
        try:
            while not self._stopping.is_set():
                free = self.batch - len(running)
                claims: list[Claim] = []
                snaps: dict[str, _Snapshot] = {}
                try:
                    ticket_jobs.kick(self.hub)  # applicants' notifications and reminders
                    await self._measure_depth()
                    claims = await self.claim(limit=free)
                    snaps = await self._snapshots(claims)
                except Exception:
                    log.exception("dispatcher claim failed", worker=self.worker_id)
                try:
                    await funds_reminders.maybe_run(self.hub)  # durable; throttled inside
                except Exception:
                    log.exception("funds reminders failed", worker=self.worker_id)
                for claim in claims:
                    task = asyncio.create_task(self._run(claim, snaps.get(claim.request_id)))
                    running.add(task)
                    task.add_done_callback(running.discard)
                if len(running) >= self.batch:
                    await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                elif len(claims) < free:  # the queue is drained for now
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=self.poll_s)
                    self._wake.clear()
            await asyncio.gather(*running, return_exceptions=True)
        except asyncio.CancelledError:
            # stopped past its patience: abandon the rows; their leases lapse
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            raise

    async def _run(self, claim: Claim, snap: _Snapshot | None = None) -> None:
        self._inflight.add(claim.id)
        try:
            await self._handle(claim, snap)
        finally:
            self._inflight.discard(claim.id)

    async def _renew_leases(self) -> None:
        while True:
            await asyncio.sleep(max(self.clock.real_s(self.lease_s) / 3, 0.05))
            if not self._inflight:
                continue
            try:
                async with self.hub.db.transaction() as session:
                    await session.execute(
                        update(OutboxEntry)
                        .where(
                            OutboxEntry.id.in_(sorted(self._inflight)),
                            OutboxEntry.claimed_by == self.worker_id,
                            OutboxEntry.done_at.is_(None),
                        )
                        .values(claimed_until=self.clock.later(self.lease_s))
                    )
            except Exception:
                log.exception("lease renewal failed", worker=self.worker_id)

    # -- one round ------------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim up to ``batch`` due rows and run them all; the number of rows handled."""
        await self._measure_depth()
        claims = await self.claim()
        snaps = await self._snapshots(claims)
        await asyncio.gather(*(self._run(c, snaps.get(c.request_id)) for c in claims))
        return len(claims)

    @staticmethod
    def _due(now: datetime) -> ColumnElement[bool]:
        return and_(
            OutboxEntry.done_at.is_(None),
            OutboxEntry.available_at <= now,
            or_(OutboxEntry.claimed_until.is_(None), OutboxEntry.claimed_until < now),
        )

    async def claim(self, limit: int | None = None) -> list[Claim]:
        """Lease up to ``limit`` (default ``batch``) due rows to this worker, oldest first."""
        limit = self.batch if limit is None else limit
        if limit <= 0:
            return []
        now = self.clock.now()
        db = self.hub.db
        due = self._due(now)
        down = self.probes.down()
        if down:  # their orders wait for the agency without being claimed, within the budget
            waiting = and_(
                OutboxEntry.created_at > now - timedelta(seconds=self.retry_budget_s),
                OutboxEntry.request_id.in_(
                    select(AssistanceRequest.id).where(AssistanceRequest.agency_id.in_(down))
                ),
            )
            due = and_(due, ~waiting)
        # a cheap read first: an idle queue should not take SQLite's write lock
        async with db.session() as session:
            if await session.scalar(select(OutboxEntry.id).where(due).limit(1)) is None:
                return []
        oldest_first = (OutboxEntry.available_at, OutboxEntry.id)
        async with db.transaction() as session:
            if db.is_postgres:
                ids = list(
                    (
                        await session.scalars(
                            select(OutboxEntry.id)
                            .where(due)
                            .order_by(*oldest_first)
                            .limit(limit)
                            .with_for_update(skip_locked=True)
                        )
                    ).all()
                )
                if not ids:
                    return []
                target: ColumnElement[bool] = OutboxEntry.id.in_(ids)
            else:
                chosen = (
                    select(OutboxEntry.id)
                    .where(due)
                    .order_by(*oldest_first)
                    .limit(limit)
                    .scalar_subquery()
                )
                target = and_(OutboxEntry.id.in_(chosen), self._due(now))
            result = await session.execute(
                update(OutboxEntry)
                .where(target)
                .values(
                    claimed_by=self.worker_id,
                    claimed_until=now + timedelta(seconds=self.lease_s),
                    attempts=OutboxEntry.attempts + 1,
                )
                .returning(
                    OutboxEntry.id,
                    OutboxEntry.request_id,
                    OutboxEntry.task,
                    OutboxEntry.payload,
                    OutboxEntry.attempts,
                    OutboxEntry.sends,
                    OutboxEntry.created_at,
                )
                .execution_options(synchronize_session=False)
            )
            claims = [
                Claim(r[0], r[1], r[2], dict(r[3] or {}), r[4], r[5] or 0, r[6])
                for r in result.all()
            ]
        return sorted(claims, key=lambda c: c.id)

    async def _measure_depth(self) -> None:
        if time.monotonic() - self._depth_at < DEPTH_EVERY_S:
            return
        self._depth_at = time.monotonic()
        async with self.hub.db.session() as session:
            depth = await session.scalar(
                select(func.count()).select_from(OutboxEntry).where(self._due(self.clock.now()))
            )
        metrics.DISPATCH_QUEUE_DEPTH.set(depth or 0)

    async def _handle(self, claim: Claim, snap: _Snapshot | None = None) -> None:
        with bind_request_id(claim.payload.get("request_id")):
            try:
                if snap is None:
                    snap = (await self._snapshots([claim])).get(claim.request_id)
                if claim.task == "deliver":
                    await self._deliver(claim, snap)
                elif claim.task == "urge":
                    await self._urge(claim, snap)
                elif claim.task == "poll":
                    await self._poll(claim, snap)
                else:
                    await self._finish(claim, error=f"unknown task {claim.task!r}")
            except Exception:
                # the row stays leased; when the lease lapses it is tried again
                log.exception("outbox task failed", task=claim.task, outbox_id=claim.id)

    # -- tasks ----------------------------------------------------------------------------------

    async def _snapshots(self, claims: list[Claim]) -> dict[str, _Snapshot]:
        """The requests of a claim with their cases and subjects: three reads for the batch."""
        ids = sorted({c.request_id for c in claims})
        if not ids:
            return {}
        async with self.hub.db.session() as session:
            rows = (
                await session.scalars(
                    select(AssistanceRequest).where(AssistanceRequest.id.in_(ids))
                )
            ).all()
            case_ids = sorted({r.case_id for r in rows})
            party_ids = sorted({r.party_id for r in rows})
            cases = {
                c.id: c for c in (await session.scalars(select(Case).where(Case.id.in_(case_ids))))
            }
            parties = {
                p.id: p
                for p in (await session.scalars(select(Party).where(Party.id.in_(party_ids))))
            }
        return {r.id: _Snapshot(r, cases[r.case_id], parties[r.party_id]) for r in rows}

    def _order(self, snap: _Snapshot) -> AssistanceOrder:
        row, party = snap.row, snap.party
        base = self.hub.settings.callback_base
        return AssistanceOrder(
            request_id=row.id,
            idempotency_key=row.idempotency_key,
            action=row.action,
            case_number=snap.case.number,
            court=snap.case.court_code,
            subject=Subject(party.id_number, party.name, SubjectKind(party.kind)),
            document_number=row.document_number,
            details=dict(row.details or {}),
            callback_url=f"{base}/callbacks/{row.agency_id}",
            due_at=row.due_at,
        )

    def _budget_spent(self, claim: Claim) -> bool:
        if claim.created_at is None:
            return False
        age = (self.clock.now() - claim.created_at).total_seconds()
        return age >= self.retry_budget_s

    async def _deliver(self, claim: Claim, snap: _Snapshot | None) -> None:
        if snap is None or snap.row.status != request_states.S.PENDING:
            await self._finish(claim)  # cancelled, or the agency already reported it
            return
        agency = self.hub.agencies.get(snap.row.agency_id)
        if agency is None or not agency.is_api:
            reason = f"{snap.row.agency_id}: no system configured to deliver to"
            await self._delivery_failed(claim, reason, final=True)
            return
        adapter = agency.adapter
        sent = False
        try:
            receipt: DispatchReceipt | None = None
            if claim.attempts > 1 or claim.payload.get("lookup_first"):
                # an earlier attempt may have arrived (a crash, a lost answer): ask first
                with contextlib.suppress(NotImplementedError):
                    receipt = await adapter.lookup(snap.row.idempotency_key)
            if receipt is None:
                await self.pacer.take(agency.id, agency.config.rate_per_s)
                sent = True
                receipt = await adapter.dispatch(self._order(snap))
        except CircuitOpen as exc:
            if self._budget_spent(claim):
                await self._give_up(claim, snap, exc.message, sent=sent and exc.attempts > 0)
                return
            # refused before anything left the hub: wait for the probes, spend nothing
            metrics.DISPATCH_FAILURES.labels("deliver", "false").inc()
            wait = self.hub.settings.probe_every_s * random.uniform(1.0, 2.0)
            await self._retry_later(claim, exc.message, wait, sent=sent and exc.attempts > 0)
            return
        except UpstreamRejected as exc:
            await self._give_up(claim, snap, exc.message, sent=sent)
            return
        except UpstreamError as exc:
            if self._budget_spent(claim):
                await self._give_up(claim, snap, exc.message, sent=sent)
            else:
                metrics.DISPATCH_FAILURES.labels("deliver", "false").inc()
                sends = claim.sends + (1 if sent else 0)
                await self._retry_later(claim, exc.message, self._backoff(sends), sent=sent)
            return
        except Exception as exc:
            log.exception("adapter failed to deliver", agency=agency.id)
            reason = f"{agency.id}: delivery error ({type(exc).__name__})"
            await self._give_up(claim, snap, reason, sent=sent)
            return
        await self._record_delivered(claim, receipt, sent=sent)
        metrics.DISPATCH_DELIVERIES.labels("deliver").inc()
        metrics.DISPATCH_LAG.observe(max((utcnow() - snap.row.created_at).total_seconds(), 0.0))
        log.info("delivered", agency=agency.id, attempts=claim.attempts, worker=self.worker_id)

    async def _give_up(self, claim: Claim, snap: _Snapshot, reason: str, *, sent: bool) -> None:
        """Before FAILED, ask the agency: an order it has is delivered, whatever we saw."""
        sends = claim.sends + (1 if sent else 0)
        agency = self.hub.agencies.get(snap.row.agency_id)
        # an earlier claim (a crashed worker's) may have sent it too, uncounted
        may_have_arrived = sends > 0 or claim.attempts > 1 or claim.payload.get("lookup_first")
        if may_have_arrived and agency is not None and agency.is_api:
            try:
                receipt = await agency.adapter.lookup(snap.row.idempotency_key)
            except NotImplementedError:
                reason = f"{reason}; the agency cannot be asked whether it has the order"
            except UpstreamError as exc:
                reason = f"{reason}; asking the agency failed too ({exc.message})"
            else:
                if receipt is not None:
                    await self._record_delivered(claim, receipt, sent=sent)
                    metrics.DISPATCH_DELIVERIES.labels("deliver").inc()
                    return
                reason = f"{reason}; the agency confirms it has no such order"
        elif not may_have_arrived:
            reason = f"{reason}; never sent"
        await self._delivery_failed(claim, f"not delivered: {reason}", final=True, sends=sends)

    async def _record_delivered(
        self, claim: Claim, receipt: DispatchReceipt, *, sent: bool
    ) -> None:
        """Queue the receipt for the next group commit and wait until it is written."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        sends = claim.sends + (1 if sent else 0)
        self._recorded.append((replace(claim, sends=sends), receipt, future))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._write_recorded())
        await future

    async def _write_recorded(self) -> None:
        # Whoever arrives while one transaction is written goes into the next one.
        while self._recorded:
            batch, self._recorded = self._recorded[:RECORD_BATCH], self._recorded[RECORD_BATCH:]
            try:
                async with self.hub.db.transaction() as session:
                    still_open = await receipts.record_dispatches(
                        session,
                        [receipts.Receipt(c.request_id, r, c.attempts) for c, r, _ in batch],
                    )
                    for sends, group in _by_sends([c for c, _, _ in batch]).items():
                        await session.execute(
                            update(OutboxEntry)
                            .where(
                                OutboxEntry.id.in_([c.id for c in group]),
                                OutboxEntry.claimed_by == self.worker_id,
                                OutboxEntry.done_at.is_(None),
                            )
                            .values(done_at=self.clock.now(), claimed_until=None, sends=sends)
                            .execution_options(synchronize_session=False)
                        )
                    await receipts.schedule_polls(
                        session, still_open, self.hub.settings.poll_after_s, at=self.clock.now()
                    )
            except Exception as exc:
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, _, future in batch:
                    if not future.done():
                        future.set_result(None)

    async def _delivery_failed(
        self, claim: Claim, reason: str, *, final: bool, sends: int | None = None
    ) -> None:
        metrics.DISPATCH_FAILURES.labels("deliver", "true" if final else "false").inc()
        sends = claim.sends if sends is None else sends
        if not final:
            await self._retry_later(claim, reason, self._backoff(sends))
            return
        async with self.hub.db.transaction() as session:
            loaded = await request_states.load_for_update(session, claim.request_id)
            await agency_progress.record_failure(session, loaded, reason, attempts=claim.attempts)
            await self._done(session, claim, error=reason, sends=sends)
        log.warning("delivery failed for good", reason=reason, attempts=sends)

    async def _urge(self, claim: Claim, snap: _Snapshot | None) -> None:
        agency = self.hub.agencies.get(snap.row.agency_id) if snap else None
        if snap is None or agency is None or not agency.is_api:
            await self._finish(claim)
            return
        if snap.row.status in request_states.FINAL or snap.row.status == request_states.S.FAILED:
            await self._finish(claim, error=f"request is {snap.row.status}")
            return
        if not snap.row.agency_ref:  # not delivered yet: the urge waits for the order
            if self._budget_spent(claim):
                await self._finish(claim, error="never delivered")
            else:
                await self._retry_later(claim, "not delivered yet", self._backoff(claim.attempts))
            return
        try:
            await agency.adapter.urge(snap.row.agency_ref, claim.payload.get("note"))
        except Exception as exc:
            reason = exc.message if isinstance(exc, UpstreamError) else type(exc).__name__
            final = not isinstance(exc, UpstreamError) or isinstance(exc, UpstreamRejected)
            final = final or (claim.sends + 1 >= self.max_attempts and self._budget_spent(claim))
            metrics.DISPATCH_FAILURES.labels("urge", "true" if final else "false").inc()
            if final:
                await self._finish(claim, error=reason)
            else:
                sent = not isinstance(exc, CircuitOpen)
                wait = self._backoff(claim.sends + (1 if sent else 0))
                await self._retry_later(claim, reason, wait, sent=sent)
            return
        await self._finish(claim)
        metrics.DISPATCH_DELIVERIES.labels("urge").inc()

    async def _poll(self, claim: Claim, snap: _Snapshot | None) -> None:
        agency = self.hub.agencies.get(snap.row.agency_id) if snap else None
        if (
            snap is None
            or agency is None
            or not agency.is_api
            or not snap.row.agency_ref
            or snap.row.status not in (request_states.S.DISPATCHED, request_states.S.ACKNOWLEDGED)
        ):
            await self._finish(claim)
            return
        try:
            progress: OrderProgress = await agency.adapter.poll(snap.row.agency_ref)
        except NotImplementedError:
            await self._finish(claim, error="the agency cannot be polled")
            return
        except Exception as exc:
            reason = exc.message if isinstance(exc, UpstreamError) else type(exc).__name__
            metrics.DISPATCH_FAILURES.labels("poll", "false").inc()
            wait = min(self._backoff(claim.attempts), self.hub.settings.poll_after_s)
            await self._retry_later(claim, reason, wait)
            return
        async with self.hub.db.transaction() as session:
            loaded = await request_states.load_for_update(session, claim.request_id)
            await agency_progress.apply_progress(
                session, loaded, progress, actor=f"agency:{loaded.row.agency_id}"
            )
            if loaded.row.status in (request_states.S.DISPATCHED, request_states.S.ACKNOWLEDGED):
                await self._retry_later(
                    claim, None, self.hub.settings.poll_after_s, session=session, reset=True
                )
            else:
                await self._done(session, claim)
        metrics.DISPATCH_DELIVERIES.labels("poll").inc()

    # -- row bookkeeping ------------------------------------------------------------------------

    def _backoff(self, sends: int) -> float:
        """Exponential with jitter: about backoff_s, 2×, 4× ... never over backoff_max_s."""
        base = self.backoff_s * 2 ** min(max(sends - 1, 0), 30)
        return float(min(base * random.uniform(0.5, 1.5), self.backoff_max_s))

    def _mine(self, claim: Claim) -> ColumnElement[bool]:
        # fenced by the lease: a worker that lost its row must not finish another's claim
        return and_(
            OutboxEntry.id == claim.id,
            OutboxEntry.claimed_by == self.worker_id,
            OutboxEntry.done_at.is_(None),
        )

    async def _done(
        self,
        session: AsyncSession,
        claim: Claim,
        *,
        error: str | None = None,
        sends: int | None = None,
    ) -> None:
        values: dict[str, Any] = {"done_at": self.clock.now(), "claimed_until": None}
        if error is not None:
            values["last_error"] = error
        if sends is not None:
            values["sends"] = sends
        await session.execute(update(OutboxEntry).where(self._mine(claim)).values(**values))

    async def _finish(self, claim: Claim, *, error: str | None = None) -> None:
        async with self.hub.db.transaction() as session:
            await self._done(session, claim, error=error)

    async def _retry_later(
        self,
        claim: Claim,
        error: str | None,
        wait_s: float,
        *,
        session: AsyncSession | None = None,
        reset: bool = False,
        sent: bool = False,
    ) -> None:
        values: dict[str, Any] = {
            "available_at": self.clock.later(wait_s),
            "claimed_by": None,
            "claimed_until": None,
            "last_error": error,
        }
        if reset:
            values["attempts"] = 0
        if sent:
            values["sends"] = OutboxEntry.sends + 1
        stmt = update(OutboxEntry).where(self._mine(claim)).values(**values)
        if session is not None:
            await session.execute(stmt)
            return
        async with self.hub.db.transaction() as own:
            await own.execute(stmt)


def _by_sends(claims: list[Claim]) -> dict[int, list[Claim]]:
    groups: dict[int, list[Claim]] = {}
    for claim in claims:
        groups.setdefault(claim.sends, []).append(claim)
    return groups


async def schedule_poll(
    session: AsyncSession, request_id: str, after_s: float, *, at: datetime
) -> None:
    """(Re)arm the request's poll row ``after_s`` from ``at``: news from the agency pushes it
    back. ``at`` is the dispatcher clock's now (``dispatch_clock(hub).now()``), the clock the
    loop that runs the row judges it due by."""
    when = at + timedelta(seconds=after_s)
    result = await session.execute(
        update(OutboxEntry)
        .where(
            OutboxEntry.request_id == request_id,
            OutboxEntry.task == "poll",
            OutboxEntry.done_at.is_(None),
        )
        .values(available_at=when)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        session.add(OutboxEntry(request_id=request_id, task="poll", payload={}, available_at=when))
