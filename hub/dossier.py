"""The debtor's dossier: every agency that can answer, asked at once, partial when it must be.

``read_dossier(hub, principal, case_number, id_number, capabilities, fetcher)``
is the whole service (the graph and the console both call it):

* **Purpose binding.** Only the case's own court officers read it
  (``policy.require_read_dossier``), only about a party of that case, and
  only ``settings.dossier_reads_per_minute`` times a minute (``RateLimited``).
  A refused read writes nothing and calls no agency.
* **Fan-out.** Only agencies that serve one of ``capabilities`` are asked,
  all at once, each under its own deadline (``AgencyConfig.deadline_s``).
  Console-channel agencies have no system to ask: ``NOT_APPLICABLE``.
* **Batching.** Reads go through a ``DossierFetcher``, one per request: loads
  for one (agency, capability) that arrive together become one adapter batch
  call per ``adapter.max_batch`` subjects, so fifty respondents' credit costs
  one upstream call.
* **Partial answers.** A failing agency costs only its own fields: its
  ``SourceStatus`` says ``ERROR`` / ``TIMEOUT`` / ``CIRCUIT_OPEN`` with the
  attempts made, and ``DossierResult.errors`` carries the ``UpstreamError``
  for the caller to report. Every good answer per (agency, capability,
  subject) is kept as a ``DossierSnapshot``; when that agency later fails,
  the snapshot is served as ``STALE`` with its ``fetched_at``.
* **Same-name safety.** Records are re-checked here with
  ``records.match_kind`` whatever the adapter did: another person's records
  never reach the answer, name-only ones are marked ``NAME_ONLY`` and count
  towards no total.
* **Audit.** One ``dossier.read`` entry per read and one ``agency.read`` per
  upstream exchange, written with the snapshots in one transaction per
  request; no answer is returned before its audit entries are committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Coroutine, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from adapters.sdk.connector import track_calls
from adapters.sdk.records import (
    Capability,
    CreditStatus,
    EmploymentRecord,
    MatchKind,
    RealEstateHolding,
    Subject,
    SubjectKind,
    TaxProfile,
    Vehicle,
    WageArrearsCase,
    Whereabouts,
    match_kind,
)
from hub import audit, policy, ratelimit
from hub.agencies import Agency
from hub.auth import Principal
from hub.cases import find_case
from hub.errors import (
    BadUserInput,
    CircuitOpen,
    NotFound,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from hub.models import Case, DossierSnapshot, Party, utcnow
from hub.state import HubState

log = logging.getLogger(__name__)

T = TypeVar("T")
Write = Callable[[AsyncSession], Awaitable[object]]

SETTLE_TICKS = 3  # loop turns without a new load before a batch goes out
SETTLE_MAX_TICKS = 200  # ... but never wait longer than this for stragglers


class SourceState(StrEnum):
    OK = "OK"
    ERROR = "ERROR"
    TIMEOUT = "TIMEOUT"
    CIRCUIT_OPEN = "CIRCUIT_OPEN"
    STALE = "STALE"
    NOT_APPLICABLE = "NOT_APPLICABLE"


FAILED = frozenset({SourceState.ERROR, SourceState.TIMEOUT, SourceState.CIRCUIT_OPEN})

# What each capability's batch method answers per subject: the snapshot codec.
VALUE_TYPES: dict[Capability, Any] = {
    Capability.REAL_ESTATE: list[RealEstateHolding],
    Capability.VEHICLES: list[Vehicle],
    Capability.WHEREABOUTS: Whereabouts | None,
    Capability.TAX: TaxProfile | None,
    Capability.EMPLOYMENT: list[EmploymentRecord],
    Capability.WAGE_ARREARS: list[WageArrearsCase],
    Capability.CREDIT: CreditStatus | None,
}
LIST_VALUED = frozenset(
    {
        Capability.REAL_ESTATE,
        Capability.VEHICLES,
        Capability.EMPLOYMENT,
        Capability.WAGE_ARREARS,
    }
)
# Capabilities that only make sense for one kind of subject (a company has no
# household address; a person has no wage-arrears cases as an employer).
ONLY_FOR: dict[Capability, SubjectKind] = {
    Capability.WHEREABOUTS: SubjectKind.PERSON,
    Capability.EMPLOYMENT: SubjectKind.PERSON,
    Capability.WAGE_ARREARS: SubjectKind.ORGANIZATION,
}
_CODECS: dict[Capability, TypeAdapter[Any]] = {c: TypeAdapter(t) for c, t in VALUE_TYPES.items()}


def empty(capability: Capability) -> Any:
    return [] if capability in LIST_VALUED else None


def applies(capability: Capability, subject: Subject) -> bool:
    only = ONLY_FOR.get(capability)
    return only is None or only is subject.kind


# -- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceResult:
    """One agency's answer for one capability and one subject."""

    agency_id: str
    capability: Capability
    state: SourceState
    value: Any  # the capability's value type; empty when the read failed
    latency_ms: int = 0
    attempts: int = 0
    fetched_at: datetime | None = None
    message: str | None = None
    error: UpstreamError | None = None


@dataclass(frozen=True)
class SourceStatus:
    """How one agency's part of a dossier went (all its capabilities together)."""

    agency: Agency
    state: SourceState
    latency_ms: int = 0
    attempts: int = 0
    fetched_at: datetime | None = None
    message: str | None = None
    error: UpstreamError | None = None


@dataclass(frozen=True)
class Sourced(Generic[T]):
    """A record and the agency that holds it (three registries answer for real estate)."""

    record: T
    agency: Agency


@dataclass(frozen=True)
class DossierResult:
    case: Case
    party: Party
    subject: Subject
    capabilities: frozenset[Capability]
    sources: list[SourceStatus]
    real_estate: list[Sourced[RealEstateHolding]] = field(default_factory=list)
    vehicles: list[Sourced[Vehicle]] = field(default_factory=list)
    whereabouts: Whereabouts | None = None
    tax: TaxProfile | None = None
    employment: list[EmploymentRecord] = field(default_factory=list)
    wage_arrears: list[WageArrearsCase] = field(default_factory=list)
    credit: CreditStatus | None = None

    @property
    def real_estate_count(self) -> int:
        """Holdings matched by ID number: a name-only match is not the subject's until verified."""
        return sum(1 for h in self.real_estate if h.record.matched_by is MatchKind.ID_NUMBER)

    @property
    def errors(self) -> list[UpstreamError]:
        """One per agency whose fresh read failed (also when a stale answer stands in)."""
        return [s.error for s in self.sources if s.error is not None]


# -- same-name safety and merging -----------------------------------------------------------------


def screen(capability: Capability, subject: Subject, value: Any) -> Any:
    """``value`` without records of anyone else, name-only ones marked as such."""
    if value is None:
        return empty(capability)
    if capability is Capability.REAL_ESTATE:
        return _screened(value, lambda h: match_kind(subject, h.owner_id, h.owner_name))
    if capability is Capability.VEHICLES:
        return _screened(value, lambda v: match_kind(subject, v.owner_id, None))
    return value  # the other records are keyed by the subject's ID number at the agency


def _screened(records: Iterable[Any], judge: Callable[[Any], MatchKind | None]) -> list[Any]:
    kept = []
    dropped = 0
    for record in records:
        matched = judge(record)
        if matched is None:
            dropped += 1
        else:
            kept.append(
                record if record.matched_by is matched else replace(record, matched_by=matched)
            )
    if dropped:
        log.warning("dropped %d record(s) an adapter gave for another subject", dropped)
    return kept


def _merge_whereabouts(values: list[Whereabouts]) -> Whereabouts | None:
    if not values:
        return None
    return Whereabouts(
        household_address=next((v.household_address for v in values if v.household_address), None),
        residence=next((v.residence for v in values if v.residence), None),
        travel=tuple(dict.fromkeys(t for v in values for t in v.travel)),
    )


def _merge_tax(values: list[TaxProfile]) -> TaxProfile | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    records = tuple(dict.fromkeys(r for v in values for r in v.records))
    return TaxProfile(records=records, arrears=sum((v.arrears for v in values), Decimal("0.00")))


def _merge_credit(values: list[CreditStatus]) -> CreditStatus | None:
    if not values:
        return None
    entries = tuple(dict.fromkeys(e for v in values for e in v.entries))
    return CreditStatus(listed=any(v.listed for v in values), entries=entries)


def _state_of(error: UpstreamError) -> SourceState:
    if isinstance(error, CircuitOpen):
        return SourceState.CIRCUIT_OPEN
    if isinstance(error, UpstreamTimeout):
        return SourceState.TIMEOUT
    return SourceState.ERROR


def _status(agency: Agency, results: list[SourceResult]) -> SourceStatus:
    failed = [r for r in results if r.state in FAILED]
    stale = [r for r in results if r.state is SourceState.STALE]
    state = failed[0].state if failed else SourceState.STALE if stale else SourceState.OK
    times = [r.fetched_at for r in results if r.fetched_at is not None]
    messages = list(dict.fromkeys(r.message for r in results if r.message))
    return SourceStatus(
        agency=agency,
        state=state,
        latency_ms=max((r.latency_ms for r in results), default=0),
        attempts=sum(r.attempts for r in results),
        fetched_at=min(times) if times else None,
        message="; ".join(messages) or None,
        error=next((r.error for r in results if r.error is not None), None),
    )


# -- the per-request fetcher ----------------------------------------------------------------------


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

    def __init__(self, hub: HubState, principal: Principal) -> None:
        self.hub = hub
        self.principal = principal
        self._results: dict[tuple[str, Capability, str], _Pending] = {}
        self._pending: dict[tuple[str, Capability], dict[str, _Pending]] = {}
        self._writes: list[Write] = []
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
        capability: Capability,
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

    def queue(self, write: Write) -> None:
        """Add a write (an audit entry, say) to the next flush; ``commit`` waits for it."""
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

    async def _dispatch(self, agency: Agency, capability: Capability) -> None:
        await self._settle()
        batch = list(self._pending.pop((agency.id, capability)).values())
        size = max(1, agency.adapter.max_batch)
        chunks = [batch[i : i + size] for i in range(0, len(batch), size)]
        await asyncio.gather(*(self._exchange(agency, capability, c) for c in chunks))
        # Written now, while slower agencies are still answering (and even if every
        # reader has gone); a failure reaches the readers through their own commit.
        with contextlib.suppress(Exception):
            await self.commit()

    async def _exchange(
        self, agency: Agency, capability: Capability, items: list[_Pending]
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
        self, agency: Agency, capability: Capability, subjects: list[Subject]
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
            _state_of(error),
            empty(capability),
            latency_ms,
            stats.attempts,
            message=error.message,
            error=error,
        )
        snapshots = await self._snapshots(agency.id, capability, [s.id_number for s in subjects])
        results: dict[str, SourceResult] = {}
        for s in subjects:
            snap = snapshots.get(s.id_number)
            results[s.id_number] = (
                failed
                if snap is None
                else replace(
                    failed,
                    state=SourceState.STALE,
                    value=screen(capability, s, _CODECS[capability].validate_python(snap.payload)),
                    fetched_at=snap.fetched_at,
                    message=f"{error.message}; showing the last good answer",
                )
            )
        return results

    async def _snapshots(
        self, agency_id: str, capability: Capability, subject_ids: list[str]
    ) -> dict[str, DossierSnapshot]:
        async with self.hub.db.session() as session:
            rows = await session.scalars(
                select(DossierSnapshot).where(
                    DossierSnapshot.agency_id == agency_id,
                    DossierSnapshot.capability == capability.value,
                    DossierSnapshot.subject_id.in_(subject_ids),
                )
            )
            return {row.subject_id: row for row in rows}

    def _keep_snapshots(
        self, agency_id: str, capability: Capability, values: dict[str, Any], at: datetime
    ) -> None:
        """Queue the good answers as snapshots; the next flush upserts them all at once."""
        codec = _CODECS[capability]
        for subject_id, value in values.items():
            self._snapshots_due[(agency_id, capability.value, subject_id)] = {
                "agency_id": agency_id,
                "capability": capability.value,
                "subject_id": subject_id,
                "payload": codec.dump_python(value, mode="json"),
                "fetched_at": at,
            }
        self._snapshot_batches += 1
        self._queued += 1
        self._arrivals += 1

    async def _upsert_snapshots(self, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        db = self.hub.db
        if db.is_sqlite or db.is_postgres:
            insert = sqlite_insert if db.is_sqlite else pg_insert
            stmt = insert(DossierSnapshot).values(rows)
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["agency_id", "capability", "subject_id"],
                    set_={
                        "payload": stmt.excluded.payload,
                        "fetched_at": stmt.excluded.fetched_at,
                    },
                )
            )
        else:  # pragma: no cover - the hub runs on SQLite and PostgreSQL
            for row in rows:
                await session.merge(DossierSnapshot(**row))

    def _audit_exchange(
        self,
        agency: Agency,
        capability: Capability,
        result: SourceResult,
        items: list[_Pending],
        purposes: list[str],
    ) -> Write:
        def write(session: AsyncSession) -> Awaitable[object]:
            return audit.record(
                session,
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

        return write

    async def _flush(self, done: asyncio.Future[None]) -> None:
        try:
            await self._settle()
            writes, self._writes = self._writes, []
            rows, self._snapshots_due = list(self._snapshots_due.values()), {}
            units, self._snapshot_batches = len(writes) + self._snapshot_batches, 0
            try:
                if writes or rows:
                    async with self.hub.db.transaction() as session:
                        if rows:
                            await self._upsert_snapshots(session, rows)
                        for write in writes:
                            await write(session)
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
    return _state_of(result.error).value if result.error else result.state.value


# -- the service ----------------------------------------------------------------------------------


async def read_dossier(
    hub: HubState,
    principal: Principal,
    case_number: str,
    id_number: str,
    capabilities: Collection[Capability],
    fetcher: DossierFetcher | None = None,
) -> DossierResult:
    """The dossier of the party ``id_number`` of case ``case_number``.

    ``NotFound`` for an unknown case, ``Forbidden`` outside the case's own
    court, ``BadUserInput(field="idNumber")`` when the subject is not a party
    of the case, ``RateLimited`` past the caller's budget.
    """
    async with hub.db.session() as session:
        case = await find_case(session, case_number, field="caseNumber")
    if case is None:
        raise NotFound("no such case")
    policy.require_read_dossier(principal, case)
    wanted = id_number.strip().upper()
    party = next((p for p in case.parties if p.id_number == wanted), None)
    if party is None:
        raise BadUserInput("idNumber", "the subject is not a party of this case")
    return await read_party_dossier(hub, principal, case, party, capabilities, fetcher)


async def read_party_dossier(
    hub: HubState,
    principal: Principal,
    case: Case,
    party: Party,
    capabilities: Collection[Capability],
    fetcher: DossierFetcher | None = None,
) -> DossierResult:
    """``read_dossier`` for rows already loaded (``Party.dossier`` in a list of cases)."""
    policy.require_read_dossier(principal, case)
    if party.case_id != case.id:
        raise BadUserInput("idNumber", "the subject is not a party of this case")
    ratelimit.dossier_reads(hub.extras, hub.settings.dossier_reads_per_minute).take(principal.id)
    fetcher = fetcher or DossierFetcher(hub, principal)
    subject = Subject(party.id_number, party.name, SubjectKind(party.kind))
    wanted = frozenset(capabilities)
    asked = [a for a in hub.agencies if a.capabilities & wanted]
    answers = await asyncio.gather(
        *(_ask(fetcher, a, sorted(a.capabilities & wanted), subject, case.number) for a in asked)
    )
    result = _assemble(case, party, subject, wanted, answers)
    fetcher.queue(_audit_read(principal, result))
    await fetcher.commit()
    return result


async def _ask(
    fetcher: DossierFetcher,
    agency: Agency,
    capabilities: list[Capability],
    subject: Subject,
    purpose: str,
) -> tuple[SourceStatus, list[SourceResult]]:
    if not agency.is_api:
        return SourceStatus(agency, SourceState.NOT_APPLICABLE, message="answered by staff"), []
    usable = [c for c in capabilities if applies(c, subject)]
    if not usable:
        message = f"nothing to ask about a {subject.kind.value.lower()}"
        return SourceStatus(agency, SourceState.NOT_APPLICABLE, message=message), []
    results = await asyncio.gather(
        *(fetcher.load(agency.id, c, subject, purpose=purpose) for c in usable)
    )
    # A value fetched for a namesake in the same batch is re-checked for this subject.
    checked = [replace(r, value=screen(r.capability, subject, r.value)) for r in results]
    return _status(agency, checked), checked


def _assemble(
    case: Case,
    party: Party,
    subject: Subject,
    capabilities: frozenset[Capability],
    answers: list[tuple[SourceStatus, list[SourceResult]]],
) -> DossierResult:
    by_capability: dict[Capability, list[tuple[Agency, Any]]] = {c: [] for c in Capability}
    for status, results in answers:
        for r in results:
            if r.value is not None:
                by_capability[r.capability].append((status.agency, r.value))

    def flat(capability: Capability) -> list[Any]:
        return [record for _, value in by_capability[capability] for record in value]

    def sourced(capability: Capability) -> list[Sourced[Any]]:
        return [
            Sourced(rec, agency) for agency, value in by_capability[capability] for rec in value
        ]

    def single(capability: Capability) -> list[Any]:
        return [value for _, value in by_capability[capability]]

    return DossierResult(
        case=case,
        party=party,
        subject=subject,
        capabilities=capabilities,
        sources=[status for status, _ in answers],
        real_estate=sourced(Capability.REAL_ESTATE),
        vehicles=sourced(Capability.VEHICLES),
        whereabouts=_merge_whereabouts(single(Capability.WHEREABOUTS)),
        tax=_merge_tax(single(Capability.TAX)),
        employment=flat(Capability.EMPLOYMENT),
        wage_arrears=flat(Capability.WAGE_ARREARS),
        credit=_merge_credit(single(Capability.CREDIT)),
    )


def _audit_read(principal: Principal, result: DossierResult) -> Write:
    def write(session: AsyncSession) -> Awaitable[object]:
        return audit.record(
            session,
            actor=principal,
            action="dossier.read",
            purpose=result.case.number,
            subject=result.subject.id_number,
            target=result.case.number,
            detail={
                "capabilities": sorted(c.value for c in result.capabilities),
                "sources": {s.agency.id: s.state.value for s in result.sources},
            },
        )

    return write


async def find_party(hub: HubState, principal: Principal, party_id: int) -> tuple[Party, Case]:
    """A party and its case by the party's id (federation's ``Party`` entity)."""
    async with hub.db.session() as session:
        party = await session.get(Party, party_id)
        case = None
        if party is not None:
            case = await session.scalar(
                select(Case).where(Case.id == party.case_id).options(selectinload(Case.parties))
            )
    if party is None or case is None:
        raise NotFound("no such party")
    policy.require_read_case(principal, case)
    return party, case


__all__ = [
    "DossierFetcher",
    "DossierResult",
    "SourceResult",
    "SourceState",
    "SourceStatus",
    "Sourced",
    "find_party",
    "read_dossier",
    "read_party_dossier",
    "screen",
]
