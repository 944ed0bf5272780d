"""Per request, the agencies' reads batched, their answers kept, their exchanges audited.

A ``DossierFetcher`` is made once per request (the graph keeps it in the
context; ``hub.dossier`` makes its own when given none):

* **Batching.** Loads for one (agency, capability) that arrive together become
  one adapter batch call per ``adapter.max_batch`` subjects, so fifty
  respondents' credit costs one upstream call; a subject asked twice in one
  request is fetched once. Each call runs under the agency's own deadline
  (``AgencyConfig.deadline_s``).
* **Failures are answers.** A failed call answers ``ERROR`` / ``TIMEOUT`` /
  ``CIRCUIT_OPEN`` with the attempts made and the ``UpstreamError``; where a
  snapshot of an earlier good answer exists (``hub.snapshots``) it stands in
  as ``STALE``.
* **Writes.** Snapshots, one ``agency.read`` audit entry per exchange and the
  readers' own entries (``queue``) go out together, one transaction per
  flush, the audit entries behind one chain-head bump
  (``audit.record_many``); ``commit`` returns once they are written.
* **One flush per request.** While someone ``hold``s the fetcher (a reader
  between its loads and its ``commit``; the request itself when made with
  ``commit_at_end``, until ``close``) finished exchanges leave their writes
  queued for that commit instead of each flushing on its own. Once nobody
  holds it (every reader done, cancelled or failed), whatever is still queued
  or still to come is written without anyone waiting for it: an exchange
  made is an exchange audited.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sdk.connector import track_calls
from adapters.sdk.declare import CapabilitySpec
from adapters.sdk.records import Subject
from hub import audit, snapshots
from hub.agencies import Agency
from hub.errors import NotFound, UpstreamError, UpstreamTimeout, UpstreamUnavailable
from hub.models import utcnow
from hub.principal import Principal
from hub.sources import SourceResult, SourceState, empty, screen, state_of
from hub.state import HubState

log = logging.getLogger(__name__)

# A write of the caller's own for the next flush. Audit entries are queued as
# ``audit.AuditRecord``s instead, so that one flush appends them all behind one head bump.
Write = Callable[[AsyncSession], Awaitable[object]]

SETTLE_TICKS = 3  # loop turns without a new load before a batch goes out
SETTLE_MAX_TICKS = 200  # ... but never wait longer than this for stragglers


@dataclass
class _Pending:
    subject: Subject
    future: asyncio.Future[SourceResult]
    purposes: set[str] = field(default_factory=set)


class DossierFetcher:
    """Per request: concurrent loads per (agency, capability) become one batch call.

    ``await fetcher.load(agency_id, capability, subject)`` answers a
    ``SourceResult`` (never raises for an upstream failure). Loads that arrive
    while the event loop is still busy starting the request's other resolvers
    are gathered; the batch goes out once a few loop turns pass without a new
    one. A subject asked twice in one request is fetched once.
    """

    def __init__(self, hub: HubState, principal: Principal, *, commit_at_end: bool = False) -> None:
        self.hub = hub
        self.principal = principal
        # made for one request whose end commits (``close``); its readers don't
        self.commit_at_end = commit_at_end
        self._holds = 1 if commit_at_end else 0
        self._results: dict[tuple[str, CapabilitySpec, str], _Pending] = {}
        self._pending: dict[tuple[str, CapabilitySpec], dict[str, _Pending]] = {}
        self._writes: list[Write | audit.AuditRecord] = []
        self._snapshots_due: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._snapshot_batches = 0
        self._queued = 0  # writes queued so far
        self._committed = 0  # ... and written (or failed: see _broken)
        self._broken: Exception | None = None
        self._flushing: asyncio.Future[None] | None = None
        self._arrivals = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def load(
        self,
        agency_id: str,
        capability: CapabilitySpec,
        subject: Subject,
        *,
        purpose: str | None = None,
    ) -> SourceResult:
        agency = self.hub.agencies.get(agency_id)
        if agency is None:
            raise NotFound(f"no agency {agency_id!r} is configured")
        key = (agency.id, capability, subject.id_number)
        pending = self._results.get(key)
        if pending is None:
            future = asyncio.get_running_loop().create_future()
            pending = self._results[key] = _Pending(subject, future)
            batch = self._pending.get((agency.id, capability))
            if batch is None:
                batch = self._pending[(agency.id, capability)] = {}
                self._spawn(self._dispatch(agency, capability))
            batch[subject.id_number] = pending
        if purpose:
            pending.purposes.add(purpose)
        self._arrivals += 1
        # Shielded: one reader giving up must not cancel the answer others wait for.
        return await asyncio.shield(pending.future)

    async def commit(self) -> None:
        """Return once every write queued so far is committed.

        Writes go out in one transaction per flush and flushes one after the
        other, so readers that commit at about the same time share one
        transaction; a failed flush fails every later commit of the request.
        """
        target = self._queued
        while self._committed < target:
            if self._flushing is None:
                self._flushing = asyncio.get_running_loop().create_future()
                self._spawn(self._flush(self._flushing))
            await asyncio.shield(self._flushing)
        if self._broken is not None:
            raise self._broken

    def hold(self) -> None:
        """Someone will ``commit`` later: finished exchanges leave their writes to it."""
        self._holds += 1

    def release(self) -> None:
        """Undo one ``hold``; with no holder left, writes still queued go out by themselves."""
        self._holds -= 1
        if self._holds == 0 and self._committed < self._queued:
            self._spawn(self._commit_unattended())

    async def close(self, records: Iterable[audit.AuditRecord] = ()) -> None:
        """The request's end (``commit_at_end``): queue ``records``, commit everything queued."""
        try:
            for record in records:
                self.queue(record)
            await self.commit()
        finally:
            self.release()

    def queue(self, write: Write | audit.AuditRecord) -> None:
        """Add a write or an audit entry to the next flush; ``commit`` waits for it."""
        self._writes.append(write)
        self._queued += 1
        self._arrivals += 1  # a flush waits for writes still on their way, too

    # -- internals --------------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _settle(self) -> None:
        """Yield to the loop until no new load has arrived for a few turns."""
        seen, quiet = self._arrivals, 0
        for _ in range(SETTLE_MAX_TICKS):
            await asyncio.sleep(0)
            if self._arrivals != seen:
                seen, quiet = self._arrivals, 0
            else:
                quiet += 1
                if quiet >= SETTLE_TICKS:
                    return

    async def _dispatch(self, agency: Agency, capability: CapabilitySpec) -> None:
        await self._settle()
        batch = list(self._pending.pop((agency.id, capability)).values())
        size = max(1, agency.adapter.max_batch)
        chunks = [batch[i : i + size] for i in range(0, len(batch), size)]
        await asyncio.gather(*(self._exchange(agency, capability, c) for c in chunks))
        if self._holds == 0:
            # Nobody will commit for this exchange (its readers are gone, or loaded
            # without holding): written now all the same.
            await self._commit_unattended()

    async def _commit_unattended(self) -> None:
        # a failure reaches the readers through their own commit, if any is left
        with contextlib.suppress(Exception):
            await self.commit()

    async def _exchange(
        self, agency: Agency, capability: CapabilitySpec, items: list[_Pending]
    ) -> None:
        try:
            results = await self._call(agency, capability, [p.subject for p in items])
        except Exception as exc:  # a bug or a dead database: every waiter hears of it
            for p in items:
                if not p.future.done():
                    p.future.set_exception(exc)
            return
        except BaseException:
            for p in items:
                p.future.cancel()
            raise
        purposes = sorted({purpose for p in items for purpose in p.purposes})
        first = next(iter(results.values()))
        self.queue(self._audit_exchange(agency, capability, first, items, purposes))
        for p in items:
            p.future.set_result(results[p.subject.id_number])

    async def _call(
        self, agency: Agency, capability: CapabilitySpec, subjects: list[Subject]
    ) -> dict[str, SourceResult]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        error: UpstreamError | None = None
        answers: dict[str, Any] = {}
        with track_calls() as stats:
            try:
                async with asyncio.timeout(agency.config.deadline_s):
                    answers = await agency.adapter.fetch(capability, subjects)
            except UpstreamError as exc:
                error = exc
            except TimeoutError:
                error = UpstreamTimeout(
                    agency.id,
                    f"no answer within the deadline of {agency.config.deadline_s:g} s",
                    attempts=stats.attempts,
                )
            except Exception:
                log.exception("agency %s: %s read failed in the adapter", agency.id, capability)
                error = UpstreamUnavailable(agency.id, f"{capability.value} read failed")
        latency_ms = round((loop.time() - started) * 1000)
        if error is None:
            now = utcnow()
            values = {
                s.id_number: screen(capability, s, answers.get(s.id_number)) for s in subjects
            }
            self._keep_snapshots(agency.id, capability, values, now)
            return {
                key: SourceResult(
                    agency.id, capability, SourceState.OK, value, latency_ms, stats.attempts, now
                )
                for key, value in values.items()
            }
        failed = SourceResult(
            agency.id,
            capability,
            state_of(error),
            empty(capability),
            latency_ms,
            stats.attempts,
            message=error.message,
            error=error,
        )
        kept = await snapshots.last_good(
            self.hub.db, agency.id, capability, [s.id_number for s in subjects]
        )
        results: dict[str, SourceResult] = {}
        for s in subjects:
            snap = kept.get(s.id_number)
            results[s.id_number] = failed if snap is None else snapshots.stand_in(failed, snap, s)
        return results

    def _keep_snapshots(
        self, agency_id: str, capability: CapabilitySpec, values: dict[str, Any], at: datetime
    ) -> None:
        """Queue the good answers as snapshots; the next flush upserts them all at once."""
        for subject_id, value in values.items():
            self._snapshots_due[(agency_id, capability.value, subject_id)] = snapshots.row(
                agency_id, capability, subject_id, value, at
            )
        self._snapshot_batches += 1
        self._queued += 1
        self._arrivals += 1

    def _audit_exchange(
        self,
        agency: Agency,
        capability: CapabilitySpec,
        result: SourceResult,
        items: list[_Pending],
        purposes: list[str],
    ) -> audit.AuditRecord:
        return audit.AuditRecord(
            actor=self.principal,
            action="agency.read",
            purpose=purposes[0] if len(purposes) == 1 else None,
            subject=items[0].subject.id_number if len(items) == 1 else None,
            target=agency.id,
            detail={
                "agency": agency.id,
                "capability": capability.value,
                "state": "OK" if result.state is SourceState.OK else _failed_state(result),
                "attempts": result.attempts,
                "latency_ms": result.latency_ms,
                "subjects": len(items),
                **({"cases": purposes} if len(purposes) > 1 else {}),
            },
        )

    async def _flush(self, done: asyncio.Future[None]) -> None:
        try:
            await self._settle()
            queued, self._writes = self._writes, []
            # In key order: concurrent readers of one subject upsert the same rows, and
            # rows locked in whatever order agencies answered deadlocked them.
            due, self._snapshots_due = self._snapshots_due, {}
            rows = [due[key] for key in sorted(due)]
            units, self._snapshot_batches = len(queued) + self._snapshot_batches, 0
            entries = [w for w in queued if isinstance(w, audit.AuditRecord)]
            writes = [w for w in queued if not isinstance(w, audit.AuditRecord)]
            try:
                if queued or rows:
                    async with self.hub.db.transaction() as session:
                        if rows:
                            await snapshots.upsert(self.hub.db, session, rows)
                        for write in writes:
                            await write(session)
                        await audit.record_many(session, entries)
            except Exception as exc:
                self._broken = exc
            except BaseException:
                self._broken = RuntimeError("the dossier's writes were cancelled")
                raise
            finally:
                self._committed += units
        finally:
            self._flushing = None
            if not done.done():
                done.set_result(None)


def _failed_state(result: SourceResult) -> str:
    # A stale answer stands in for a failed exchange; the exchange itself failed.
    return state_of(result.error).value if result.error else result.state.value


__all__ = ["SETTLE_MAX_TICKS", "SETTLE_TICKS", "DossierFetcher", "Write"]
