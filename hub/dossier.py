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
* **Batching.** Reads go through a ``DossierFetcher`` (``hub.fetcher``), one
  per request: loads for one (agency, capability) that arrive together become
  one adapter batch call per ``adapter.max_batch`` subjects, so fifty
  respondents' credit costs one upstream call.
* **Partial answers.** A failing agency costs only its own fields: its
  ``SourceStatus`` says ``ERROR`` / ``TIMEOUT`` / ``CIRCUIT_OPEN`` with the
  attempts made, and ``DossierResult.errors`` carries the ``UpstreamError``
  for the caller to report. Every good answer per (agency, capability,
  subject) is kept as a ``DossierSnapshot``; when that agency later fails,
  the snapshot is served as ``STALE`` with its ``fetched_at``
  (``hub.snapshots``).
* **Same-name safety.** Records are re-checked with ``records.match_kind``
  (``hub.sources.screen``) whatever the adapter did: another person's records
  never reach the answer, name-only ones are marked ``NAME_ONLY`` and count
  towards no total.
* **Audit.** One ``dossier.read`` entry per read and one ``agency.read`` per
  upstream exchange, written with the snapshots in one transaction per
  request and appended behind one chain-head bump (``audit.record_many``);
  no answer is returned before its audit entries are committed: here, or, for
  a fetcher made ``commit_at_end`` (the graph's), by the request before it
  answers (with the request's other audited reads, in the same transaction).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from adapters.sdk.declare import CapabilitySpec
from adapters.sdk.records import MatchKind, Subject, SubjectKind
from hub import audit, policy, ratelimit
from hub.agencies import Agency
from hub.cases import find_case, party_of
from hub.errors import BadUserInput, NotFound, UpstreamError
from hub.fetcher import DossierFetcher
from hub.models import Case, Party
from hub.principal import Principal
from hub.sources import FAILED, SourceResult, SourceState, applies, screen
from hub.state import HubState


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
class Sourced:
    """A record and the agency that holds it (three registries answer for real estate).

    Reads through to the record's own attributes, so the graph can show it as it is.
    """

    record: Any
    agency: Agency
    capability: CapabilitySpec

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.record, name)


@dataclass(frozen=True)
class DossierResult:
    """A dossier as read: per capability asked, a list of ``Sourced`` records (``many``) or
    the agencies' answers merged into one value."""

    case: Case
    party: Party
    subject: Subject
    capabilities: frozenset[CapabilitySpec]
    sources: list[SourceStatus]
    values: dict[str, Any] = field(default_factory=dict)

    def value(self, capability: CapabilitySpec) -> Any:
        return self.values.get(capability.name, capability.empty())

    def count(self, capability: CapabilitySpec) -> int:
        """Records matched by ID number: a name-only match is not the subject's until verified."""
        return sum(1 for r in self.value(capability) if r.record.matched_by is MatchKind.ID_NUMBER)

    @property
    def assets(self) -> list[Sourced]:
        """Every asset of every kind asked for, in capability order."""
        return [
            found
            for capability in sorted(self.capabilities)
            if capability.asset is not None
            for found in self.value(capability)
        ]

    @property
    def errors(self) -> list[UpstreamError]:
        """One per agency whose fresh read failed (also when a stale answer stands in)."""
        return [s.error for s in self.sources if s.error is not None]


# -- merging -------------------------------------------------------------------------------------


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


# -- the service ---------------------------------------------------------------------------------


async def read_dossier(
    hub: HubState,
    principal: Principal,
    case_number: str,
    id_number: str,
    capabilities: Collection[CapabilitySpec],
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
    party = party_of(case, id_number, field="idNumber")
    return await read_party_dossier(hub, principal, case, party, capabilities, fetcher)


async def read_party_dossier(
    hub: HubState,
    principal: Principal,
    case: Case,
    party: Party,
    capabilities: Collection[CapabilitySpec],
    fetcher: DossierFetcher | None = None,
) -> DossierResult:
    """``read_dossier`` for rows already loaded (``Party.dossier`` in a list of cases)."""
    policy.require_read_dossier(principal, case)
    if party.case_id != case.id:
        raise BadUserInput("idNumber", "the subject is not a party of this case")
    policy.require_respondent(party)
    await ratelimit.take_dossier_read(hub, principal.id)
    fetcher = fetcher or DossierFetcher(hub, principal)
    subject = Subject(party.id_number, party.name, SubjectKind(party.kind))
    wanted = frozenset(capabilities)
    asked = [a for a in hub.agencies if a.capabilities & wanted]
    fetcher.hold()  # this read's commit writes its exchanges' entries too
    try:
        answers = await asyncio.gather(
            *(
                _ask(fetcher, a, sorted(a.capabilities & wanted), subject, case.number)
                for a in asked
            )
        )
        result = _assemble(case, party, subject, wanted, answers)
        fetcher.queue(_audit_read(principal, result))
        if not fetcher.commit_at_end:  # else the request commits before it answers
            await fetcher.commit()
    finally:
        fetcher.release()
    return result


async def _ask(
    fetcher: DossierFetcher,
    agency: Agency,
    capabilities: list[CapabilitySpec],
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
    capabilities: frozenset[CapabilitySpec],
    answers: list[tuple[SourceStatus, list[SourceResult]]],
) -> DossierResult:
    found: dict[str, list[tuple[Agency, Any]]] = {c.name: [] for c in capabilities}
    for status, results in answers:
        for r in results:
            if r.value is not None:
                found[r.capability.name].append((status.agency, r.value))
    values: dict[str, Any] = {}
    for capability in capabilities:
        answered = found[capability.name]
        if capability.many:
            values[capability.name] = [
                Sourced(record, agency, capability)
                for agency, value in answered
                for record in value
            ]
        elif capability.merge is not None:
            values[capability.name] = capability.merge([value for _, value in answered])
        else:
            values[capability.name] = answered[0][1] if answered else None
    return DossierResult(
        case=case,
        party=party,
        subject=subject,
        capabilities=capabilities,
        sources=[status for status, _ in answers],
        values=values,
    )


def _audit_read(principal: Principal, result: DossierResult) -> audit.AuditRecord:
    return audit.AuditRecord(
        actor=principal,
        action="dossier.read",
        purpose=result.case.number,
        subject=result.subject.id_number,
        target=result.case.number,
        detail={
            "capabilities": sorted(c.name for c in result.capabilities),
            "sources": {s.agency.id: s.state.value for s in result.sources},
        },
    )


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
