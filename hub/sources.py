"""One agency's answer for one capability and one subject: how it went, what it holds.

The vocabulary ``hub.fetcher`` (which asks) and ``hub.dossier`` (which
assembles) share:

* ``SourceState`` says how the read went; ``FAILED`` are the states in which
  nothing fresh came back.
* each capability answers a list of its records (``many``) or one record or
  ``None`` per subject: snapshots keep that shape (``encode`` / ``decode``),
  and ``empty`` stands in for an answer that never came.
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

from adapters.sdk.declare import CapabilitySpec
from adapters.sdk.records import MatchKind, Subject, match_kind
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

_CODECS: dict[str, TypeAdapter[Any]] = {}


def _codec(capability: CapabilitySpec) -> TypeAdapter[Any]:
    # What a capability's batch method answers per subject, as a pydantic codec:
    # built on first use, once per capability.
    codec = _CODECS.get(capability.name)
    if codec is None:
        record: Any = capability.record
        shape = list[record] if capability.many else record | None
        codec = _CODECS[capability.name] = TypeAdapter(shape)
    return codec


def empty(capability: CapabilitySpec) -> Any:
    return capability.empty()


def applies(capability: CapabilitySpec, subject: Subject) -> bool:
    return capability.applies(subject.kind)


def encode(capability: CapabilitySpec, value: Any) -> Any:
    """``value`` as JSON-ready data, the form a snapshot keeps."""
    return _codec(capability).dump_python(value, mode="json")


def decode(capability: CapabilitySpec, payload: Any) -> Any:
    """A snapshot's payload back as the capability's value type."""
    return _codec(capability).validate_python(payload)


@dataclass(frozen=True)
class SourceResult:
    """One agency's answer for one capability and one subject."""

    agency_id: str
    capability: CapabilitySpec
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


def screen(capability: CapabilitySpec, subject: Subject, value: Any) -> Any:
    """``value`` without records of anyone else, name-only ones marked as such."""
    if value is None:
        return capability.empty()
    if capability.screened and capability.many:
        return _screened(
            value,
            lambda r: match_kind(subject, r.owner_id, getattr(r, "owner_name", None)),
        )
    return value  # the agency keyed these records by the subject's ID number


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
