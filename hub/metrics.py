"""Prometheus metrics: what operators watch (exposed at ``/metrics``).

Metric objects live here, so every module increments the same ones; the
connector reports through its observer hook, so adapters stay free of
prometheus. Three feeders:

* ``MetricsExtension`` (a strawberry extension, in ``hub.web.app.graph_extensions``)
  times every GraphQL operation by name and outcome;
* ``install_connector_metrics()`` registers one connector observer per
  process: attempts, failures by class, latency and circuit state per agency;
* the dispatcher increments the ``DISPATCH_*`` metrics itself.

Each process (``hub serve``, ``hub worker``) exposes its own figures; a
Prometheus server sums them across processes.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import structlog
from graphql import FieldNode, GraphQLError, OperationDefinitionNode
from prometheus_client import Counter, Gauge, Histogram
from strawberry.extensions import SchemaExtension

from adapters.sdk.connector import AttemptEvent, BreakerEvent, ConnectorEvent, add_observer
from hub.errors import HubError

if TYPE_CHECKING:
    from hub.agencies import AgencyDirectory

log = structlog.get_logger("hub.agency")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

GRAPHQL_OPERATIONS = Counter(
    "hub_graphql_operations_total",
    "GraphQL operations by name and outcome (ok or the first error's code)",
    ["operation", "outcome"],
)
GRAPHQL_LATENCY = Histogram(
    "hub_graphql_latency_seconds",
    "GraphQL operation latency",
    ["operation"],
    buckets=LATENCY_BUCKETS,
)

AGENCY_CALLS = Counter(
    "hub_agency_calls_total",
    "Connector calls (first attempts) by agency and method",
    ["agency", "call"],
)
AGENCY_ATTEMPTS = Counter("hub_agency_attempts_total", "HTTP attempts by agency", ["agency"])
AGENCY_FAILURES = Counter(
    "hub_agency_failures_total",
    "Failed attempts by agency and class (retriable, timeout, fatal, circuit_open)",
    ["agency", "failure"],
)
AGENCY_LATENCY = Histogram(
    "hub_agency_latency_seconds", "Latency of one HTTP attempt", ["agency"], buckets=LATENCY_BUCKETS
)
AGENCY_CIRCUIT = Gauge(
    "hub_agency_circuit_state", "Circuit breaker: 0 closed, 1 half-open, 2 open", ["agency"]
)

DISPATCH_QUEUE_DEPTH = Gauge("hub_dispatch_queue_depth", "Outbox entries waiting for delivery")
DISPATCH_LAG = Histogram(
    "hub_dispatch_lag_seconds",
    "From a request's creation to its delivery",
    buckets=(*LATENCY_BUCKETS, 30.0, 60.0),
)
DISPATCH_DELIVERIES = Counter("hub_dispatch_deliveries_total", "Outbox tasks done", ["task"])
DISPATCH_FAILURES = Counter(
    "hub_dispatch_failures_total", "Outbox task failures", ["task", "final"]
)
CALLBACKS = Counter("hub_callbacks_total", "Agency callbacks by outcome", ["agency", "outcome"])

CIRCUIT_VALUES: dict[str, int] = {"closed": 0, "half_open": 1, "open": 2}


# -- GraphQL operations --------------------------------------------------------------------------

MAX_OPERATION_NAMES = 200  # client-chosen names beyond this share the label "other"
MAX_LABEL_LENGTH = 64
_seen_names: set[str] = set()


def _bounded(name: str) -> str:
    """Keep the label set small: clients choose operation names, Prometheus pays for each."""
    name = name[:MAX_LABEL_LENGTH]
    if name in _seen_names:
        return name
    if len(_seen_names) >= MAX_OPERATION_NAMES:
        return "other"
    _seen_names.add(name)
    return name


def operation_label(name: str | None, operation: OperationDefinitionNode | None) -> str:
    """The operation's name; for an anonymous one, its root fields (``"case"``, ``"me,cases"``)."""
    if name:
        return _bounded(name)
    if operation is None:
        return "invalid"
    fields = [
        sel.name.value for sel in operation.selection_set.selections if isinstance(sel, FieldNode)
    ]
    return _bounded(",".join(fields[:3]) or operation.operation.value)


def error_code(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, HubError):
        return str(original.extensions().get("code", "INTERNAL")).lower()
    if original is None:
        return "bad_user_input"  # parse, validation, coercion: the request itself
    return "internal"


def outcome_of(errors: Iterable[GraphQLError] | None) -> str:
    for error in errors or ():
        return error_code(error)
    return "ok"


class MetricsExtension(SchemaExtension):
    """Times each operation; counts it by name and outcome. No per-field hooks: cheap."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        elapsed = time.perf_counter() - started
        ctx = self.execution_context
        operation = None
        if ctx.graphql_document is not None and not ctx.pre_execution_errors:
            operation = next(
                (
                    d
                    for d in ctx.graphql_document.definitions
                    if isinstance(d, OperationDefinitionNode)
                    and (
                        ctx.operation_name is None
                        or (d.name and d.name.value == ctx.operation_name)
                    )
                ),
                None,
            )
        name = operation_label(ctx.operation_name if operation is not None else None, operation)
        errors = ctx.pre_execution_errors or (ctx.result.errors if ctx.result else None)
        GRAPHQL_OPERATIONS.labels(name, outcome_of(errors)).inc()
        GRAPHQL_LATENCY.labels(name).observe(elapsed)


# -- agencies ------------------------------------------------------------------------------------


def observe_connector(event: ConnectorEvent) -> None:
    """The connector observer: one event per attempt, one per circuit change."""
    if isinstance(event, BreakerEvent):
        AGENCY_CIRCUIT.labels(event.agency_id).set(CIRCUIT_VALUES.get(event.state, 0))
        log.warning(
            "agency circuit changed",
            agency=event.agency_id,
            previous=event.previous,
            state=event.state,
        )
        return
    assert isinstance(event, AttemptEvent)
    agency = event.agency_id
    if event.attempt == 1:
        AGENCY_CALLS.labels(agency, event.method.lower()).inc()
    if event.outcome == "circuit_open":  # failed fast: nothing was sent
        AGENCY_FAILURES.labels(agency, "circuit_open").inc()
        return
    AGENCY_ATTEMPTS.labels(agency).inc()
    AGENCY_LATENCY.labels(agency).observe(event.latency_s)
    if event.outcome != "ok":
        AGENCY_FAILURES.labels(agency, event.outcome).inc()
        log.warning(
            "agency attempt failed",
            agency=agency,
            method=event.method,
            outcome=event.outcome,
            status=event.status,
            attempt=event.attempt,
            latency_ms=round(event.latency_s * 1000, 1),
        )


_installed: list[Any] = []


def install_connector_metrics() -> None:
    """Register ``observe_connector`` once per process (idempotent)."""
    if not _installed:
        _installed.append(add_observer(observe_connector))


def refresh_circuits(agencies: AgencyDirectory) -> None:
    """Set every API agency's circuit gauge from its breaker (a scrape sees them all).

    Reading ``circuit_state`` also moves an open breaker whose pause is over
    to half-open, which nothing else would notice while no call is made.
    """
    for agency in agencies:
        if agency.is_api:
            AGENCY_CIRCUIT.labels(agency.id).set(CIRCUIT_VALUES.get(agency.circuit_state, 0))
