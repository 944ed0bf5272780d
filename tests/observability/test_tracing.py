"""OpenTelemetry: a dossier read is one trace — the GraphQL operation, the service's root
field, each agency call and each attempt — and each attempt sends the agency its own W3C
``traceparent``; a caller's ``traceparent`` is continued."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.sdk import observe
from hub import tracing
from hub.auth import Role
from hub.settings import Settings
from mocks.runner import MockCluster
from tests.observability.conftest import CASE, CASE_INPUT, DEBTOR, FILE_CASE, agency_configs
from tests.support import free_port, start_hub

DOSSIER = """query D($c: String!, $i: String!) {
  dossier(caseNumber: $c, idNumber: $i) { credit { listed } } }"""
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


class Recording(httpx.AsyncBaseTransport):
    """The real network, remembering the headers of every request sent; the first
    ``unavailable`` requests get a 503 instead (an agency with a hiccup)."""

    def __init__(self, unavailable: int = 0) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[httpx.Headers] = []
        self.unavailable = unavailable

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "HEAD":  # the hub's health probes, outside any operation
            return await self.inner.handle_async_request(request)
        self.sent.append(httpx.Headers(request.headers))
        if self.unavailable:
            self.unavailable -= 1
            return httpx.Response(503, json={"error": "busy"})
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    try:
        yield exporter
    finally:
        tracing.uninstall()
        provider.shutdown()


def named(spans: tuple[ReadableSpan, ...], prefix: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name.startswith(prefix)]


async def test_a_dossier_read_is_one_trace(
    spans: InMemorySpanExporter, cluster: MockCluster, database_url: str
) -> None:
    agencies = agency_configs(cluster, max_attempts=3)
    credit_id = next(a.id for a in agencies if a.kind == "credit")
    recorder = Recording()
    async with start_hub(database_url, agencies=agencies, transports={credit_id: recorder}) as hub:
        token = await hub.token(Role.COURT_OFFICER, "闽0602")
        assert "errors" not in await hub.gql(FILE_CASE, {"input": CASE_INPUT}, token=token)
        recorder.unavailable = 1  # the credit call takes two attempts
        spans.clear()

        response = await hub.client.post(
            "/graphql",
            json={"query": DOSSIER, "variables": {"c": CASE, "i": DEBTOR}},
            headers={
                "Authorization": f"Bearer {token}",
                "traceparent": f"00-{CALLER_TRACE}-00f067aa0ba902b7-01",
            },
        )
        assert response.status_code == 200 and "errors" not in response.json(), response.text

    finished = spans.get_finished_spans()
    [operation] = named(finished, "graphql.operation")
    [field] = named(finished, "graphql.field dossier")
    calls = [s for s in named(finished, "agency credit") if not s.name.endswith("attempt")]
    attempts = named(finished, "agency credit attempt")
    assert calls and len(attempts) >= 2

    # one trace, continuing the caller's
    assert {format(s.context.trace_id, "032x") for s in finished} == {CALLER_TRACE}
    assert field.parent is not None and field.parent.span_id == operation.context.span_id
    call_ids = {c.context.span_id for c in calls}
    assert all(a.parent is not None and a.parent.span_id in call_ids for a in attempts)
    assert all(a.kind is SpanKind.CLIENT for a in attempts)
    statuses = [a.attributes.get("http.response.status_code") for a in attempts if a.attributes]
    assert 503 in statuses and 200 in statuses
    assert any(a.status.status_code is StatusCode.ERROR for a in attempts)

    # each attempt told the agency which span it was
    sent = [h["traceparent"] for h in recorder.sent if "traceparent" in h]
    assert len(sent) == len(recorder.sent) >= 2
    attempt_ids = {format(a.context.span_id, "016x") for a in attempts}
    for header in sent:
        version, trace_id, span_id, _flags = header.split("-")
        assert (version, trace_id) == ("00", CALLER_TRACE)
        assert span_id in attempt_ids


async def test_no_tracing_no_traceparent(cluster: MockCluster, database_url: str) -> None:
    assert not tracing.enabled()
    agencies = agency_configs(cluster)
    credit_id = next(a.id for a in agencies if a.kind == "credit")
    recorder = Recording()
    async with start_hub(database_url, agencies=agencies, transports={credit_id: recorder}) as hub:
        token = await hub.token(Role.COURT_OFFICER, "闽0602")
        assert "errors" not in await hub.gql(FILE_CASE, {"input": CASE_INPUT}, token=token)
        body = await hub.gql(DOSSIER, {"c": CASE, "i": DEBTOR}, token=token)
        assert "errors" not in body, body
    assert recorder.sent and not any("traceparent" in h for h in recorder.sent)


async def test_spans_go_out_over_otlp() -> None:
    """With ``otel_endpoint`` set, spans reach an OTLP/HTTP collector (a fake one here)."""
    received: list[bytes] = []

    async def traces(request: Request) -> Response:
        assert request.headers["content-type"] == "application/x-protobuf"
        received.append(await request.body())
        return Response(b"", media_type="application/x-protobuf")

    collector = Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(collector, port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        settings = Settings(otel_endpoint=f"http://127.0.0.1:{port}/v1/traces")
        assert tracing.configure(settings)
        with observe.traced_call("credit-fujian", "credit", "GET"):
            with observe.traced_attempt("credit-fujian", "credit", {}) as attempt:
                attempt.status(200)
        await asyncio.to_thread(tracing.shutdown)  # flushes the batch
    finally:
        tracing.uninstall()
        server.should_exit = True
        await task
    assert not tracing.enabled()
    exported = ExportTraceServiceRequest()
    exported.ParseFromString(b"".join(received[:1]))
    [resource] = exported.resource_spans
    service = {a.key: a.value.string_value for a in resource.resource.attributes}
    assert service["service.name"] == "linkage-hub"
    names = {s.name for scope in resource.scope_spans for s in scope.spans}
    assert names == {"agency credit GET", "agency credit attempt"}
