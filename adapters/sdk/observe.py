"""Counting and observing connector attempts.

Every attempt a ``Connector`` makes is counted for whoever asks:
``track_calls()`` for the code around a call (a dossier counting its upstream
calls), ``add_observer()`` for metrics::

    with track_calls() as stats:
        await adapter.query(subjects)
    stats.attempts, stats.calls, stats.failures, stats.errors

    remove = add_observer(lambda event: print(event))

An observer that raises is logged and ignored: metrics never break a call.

``set_tracer()`` installs what the connector runs each call and each attempt
inside (the hub's OpenTelemetry spans, hub/tracing.py); without one, nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal, Protocol

from adapters.sdk.breaker import BreakerState

log = logging.getLogger(__name__)

Outcome = Literal["ok", "retriable", "fatal", "timeout", "circuit_open"]


@dataclass
class CallStats:
    """What ``track_calls`` saw: attempts sent, calls made, attempts and calls that failed."""

    attempts: int = 0
    calls: int = 0
    failures: int = 0  # attempts that did not succeed
    errors: int = 0  # calls that raised


@dataclass(frozen=True)
class AttemptEvent:
    """One attempt (or one call failed fast by the breaker, with ``outcome="circuit_open"``)."""

    agency_id: str
    kind: str
    method: str
    outcome: Outcome
    status: int | None
    latency_s: float
    attempt: int


@dataclass(frozen=True)
class BreakerEvent:
    agency_id: str
    kind: str
    previous: BreakerState
    state: BreakerState


ConnectorEvent = AttemptEvent | BreakerEvent
Observer = Callable[[ConnectorEvent], None]

_observers: list[Observer] = []
# The id of the hub request (or delivery) a call serves: the connector sends it as
# ``X-Request-Id`` so an agency's logs correlate with the hub's. The hub sets it.
correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)

_trackers: contextvars.ContextVar[tuple[CallStats, ...]] = contextvars.ContextVar(
    "hub_call_trackers", default=()
)


def add_observer(fn: Observer) -> Callable[[], None]:
    """Call ``fn`` with every ``AttemptEvent`` and ``BreakerEvent``; returns a remover."""
    _observers.append(fn)
    return lambda: remove_observer(fn)


def remove_observer(fn: Observer) -> None:
    with contextlib.suppress(ValueError):
        _observers.remove(fn)


def _emit(event: ConnectorEvent) -> None:
    for fn in list(_observers):
        try:
            fn(event)
        except Exception:  # metrics must never break a call
            log.exception("connector observer failed")


@contextlib.contextmanager
def track_calls() -> Iterator[CallStats]:
    """Count the connector calls made inside the block, including in tasks it starts.

    Tasks copy the context, so they share the (mutable) ``CallStats``; nested
    blocks each count everything inside them.
    """
    stats = CallStats()
    token = _trackers.set((*_trackers.get(), stats))
    try:
        yield stats
    finally:
        _trackers.reset(token)


def _count(**deltas: int) -> None:
    for stats in _trackers.get():
        for name, delta in deltas.items():
            setattr(stats, name, getattr(stats, name) + delta)


# -- tracing: contexts around calls and attempts (the SDK needs no tracing library)


class AttemptTrace(Protocol):
    def status(self, code: int) -> None:
        """The agency answered with ``code``."""


class CallTracer(Protocol):
    def call(self, agency_id: str, kind: str, method: str) -> AbstractContextManager[None]:
        """Around one logical call (every attempt of it)."""

    def attempt(
        self, agency_id: str, kind: str, headers: MutableMapping[str, str]
    ) -> AbstractContextManager[AttemptTrace]:
        """Around one attempt; may add headers (``traceparent``) to what is sent."""


class _NoAttempt:
    def status(self, code: int) -> None:
        return None


_NO_ATTEMPT = _NoAttempt()
_tracer: CallTracer | None = None


def set_tracer(tracer: CallTracer | None) -> None:
    global _tracer
    _tracer = tracer


def traced_call(agency_id: str, kind: str, method: str) -> AbstractContextManager[None]:
    return _tracer.call(agency_id, kind, method) if _tracer else contextlib.nullcontext()


def traced_attempt(
    agency_id: str, kind: str, headers: MutableMapping[str, str]
) -> AbstractContextManager[AttemptTrace]:
    if _tracer is None:
        return contextlib.nullcontext(_NO_ATTEMPT)
    return _tracer.attempt(agency_id, kind, headers)
