"""One agency's answer for one capability and one subject: how it went, what it holds.

The vocabulary ``hub.fetcher`` (which asks) and ``hub.dossier`` (which
assembles) share:

* ``SourceState`` says how the read went; ``FAILED`` are the states in which
  nothing fresh came back.
* ``VALUE_TYPES`` is what each capability answers per subject, and the codec
  snapshots are stored in (``encode`` / ``decode``); ``empty`` stands in for
  an answer that never came.
* ``screen`` re-checks records with ``records.match_kind`` whatever the
  adapter did: another person's records never pass, name-only ones come out
  marked ``NAME_ONLY``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import TypeAdapter

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
from hub.errors import CircuitOpen, UpstreamError, UpstreamTimeout

log = logging.getLogger(__name__)


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


def encode(capability: Capability, value: Any) -> Any:
    """``value`` as JSON-ready data, the form a snapshot keeps."""
    return _CODECS[capability].dump_python(value, mode="json")


def decode(capability: Capability, payload: Any) -> Any:
    """A snapshot's payload back as the capability's value type."""
    return _CODECS[capability].validate_python(payload)


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


def state_of(error: UpstreamError) -> SourceState:
    if isinstance(error, CircuitOpen):
        return SourceState.CIRCUIT_OPEN
    if isinstance(error, UpstreamTimeout):
        return SourceState.TIMEOUT
    return SourceState.ERROR


# -- same-name safety -----------------------------------------------------------------------------


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
