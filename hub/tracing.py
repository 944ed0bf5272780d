"""OpenTelemetry tracing, when the ``otel`` extra is installed and tracing is wanted.

Spans: the GraphQL operation (continuing a caller's ``traceparent``), each
root field — the service it calls — and, through the SDK's tracer hook
(adapters.sdk.observe), each agency call and each attempt of it; every
attempt sends its own W3C ``traceparent``, so an agency's spans hang under
the attempt that reached it. With ``otel_endpoint`` set the spans go out
over OTLP/HTTP in batches. Without the extra, or with tracing off, nothing
here runs and nothing is imported.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import structlog
from strawberry.extensions import SchemaExtension

from adapters.sdk import observe
from hub.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

log = structlog.get_logger("hub.tracing")
SCOPE = "linkage-hub"

_tracer: Tracer | None = None
_exporting: TracerProvider | None = None  # the provider ``configure`` made, to flush at exit
_attempts: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "agency_attempts", default=None
)


def enabled() -> bool:
    return _tracer is not None


def install(provider: TracerProvider | None = None) -> None:
    """Trace from now on, into ``provider`` (else the global one)."""
    from opentelemetry import trace

    global _tracer
    _tracer = trace.get_tracer(SCOPE, tracer_provider=provider)
    observe.set_tracer(_AgencyTracer(_tracer))


def uninstall() -> None:
    global _tracer
    _tracer = None
    observe.set_tracer(None)


def configure(settings: Settings) -> bool:
    """Export over OTLP when ``otel_endpoint`` is set; True when tracing is on."""
    if enabled() or not settings.otel_endpoint:
        return enabled()
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning("otel_endpoint is set but the otel extra is not installed: no tracing")
        return False
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.otel_service_name})
    )
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otel_endpoint))
    )
    install(provider)
    global _exporting
    _exporting = provider
    return True


def shutdown() -> None:
    """Send what is still buffered and stop tracing (at process exit)."""
    global _exporting
    provider, _exporting = _exporting, None
    if provider is not None:
        uninstall()
        provider.shutdown()


def graph_extensions() -> list[Any]:
    return [TracingExtension] if enabled() else []


class _Attempt:
    def __init__(self, span: Span) -> None:
        self.span = span

    def status(self, code: int) -> None:
        from opentelemetry.trace import Status, StatusCode

        self.span.set_attribute("http.response.status_code", code)
        if code >= 500 or code == 429:
            self.span.set_status(Status(StatusCode.ERROR, f"HTTP {code}"))


class _AgencyTracer:
    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer

    @contextmanager
    def call(self, agency_id: str, kind: str, method: str) -> Iterator[None]:
        token = _attempts.set([0])
        try:
            with self.tracer.start_as_current_span(
                f"agency {kind} {method}",
                attributes={"hub.agency.id": agency_id, "hub.agency.kind": kind},
            ):
                yield
        finally:
            _attempts.reset(token)

    @contextmanager
    def attempt(
        self, agency_id: str, kind: str, headers: MutableMapping[str, str]
    ) -> Iterator[_Attempt]:
        from opentelemetry import propagate
        from opentelemetry.trace import SpanKind

        counter = _attempts.get()
        number = 1
        if counter is not None:
            counter[0] += 1
            number = counter[0]
        with self.tracer.start_as_current_span(
            f"agency {kind} attempt",
            kind=SpanKind.CLIENT,
            attributes={"hub.agency.id": agency_id, "hub.agency.attempt": number},
        ) as span:
            propagate.inject(headers)  # traceparent (and tracestate) of this attempt
            yield _Attempt(span)


class TracingExtension(SchemaExtension):
    """A span per GraphQL operation, and one per root field (the service it calls)."""

    async def on_operation(self) -> AsyncIterator[None]:
        from opentelemetry import propagate

        assert _tracer is not None
        context = self.execution_context.context
        request = getattr(context, "request", None)
        parent = propagate.extract(dict(request.headers)) if request is not None else None
        with _tracer.start_as_current_span("graphql.operation", context=parent) as span:
            yield
            ctx = self.execution_context
            if ctx.operation_name:
                span.set_attribute("graphql.operation.name", ctx.operation_name)
            operation_type = getattr(ctx, "operation_type", None)
            if operation_type is not None:
                span.set_attribute("graphql.operation.type", operation_type.value)
            result = ctx.result
            if result is not None and result.errors:
                from opentelemetry.trace import Status, StatusCode

                span.set_status(Status(StatusCode.ERROR, "errors in the result"))

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
    ) -> Any:
        if info.path.prev is not None:  # only root fields: they are the service calls
            return _next(root, info, *args, **kwargs)
        return self._root_field(_next, root, info, *args, **kwargs)

    async def _root_field(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
    ) -> Any:
        assert _tracer is not None
        with _tracer.start_as_current_span(f"graphql.field {info.field_name}"):
            result = _next(root, info, *args, **kwargs)
            if isinstance(result, Awaitable):
                result = await result
            return result
