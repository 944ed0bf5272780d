"""The shared mock machinery, through a tiny agency built on it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mocks._common import (
    DEFAULT_FAULTS,
    DEV_SECRETS,
    MockAgency,
    Order,
    OrderOutcome,
    aclose_app,
    basic_ok,
    bearer_ok,
    build_app,
    callback_signature,
    hmac_ok,
    json_order_routes,
    load_world,
    sign_hmac,
)

WORLD = {"persons": [{"id_number": "X1", "name": "甲"}], "credit": []}


def _execute(agency: MockAgency, order: Order) -> OrderOutcome:
    if order.details.get("explode"):
        raise RuntimeError("boom")
    if order.details.get("reject"):
        return OrderOutcome("REJECTED", "cannot", None)
    agency.world.setdefault("credit", []).append({"subject_id": order.subject.get("id_number")})
    return OrderOutcome("COMPLETED", "done", {"n": len(agency.world["credit"])})


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "action": body["action"],
        "request_id": body.get("request_id"),
        "subject": body.get("subject") or {},
        "details": body.get("details") or {},
        "callback_url": body.get("callback_url"),
    }


def _render(order: Order) -> dict[str, Any]:
    return order.as_dict()


def make_app() -> Starlette:
    agency = MockAgency("police", WORLD, secret="s3cret", ref_prefix="T", execute=_execute)

    async def auth(request: Request) -> bool:
        return bearer_ok(request, agency.secret)

    async def hello(request: Request) -> Response:
        agency.state["hellos"] = agency.state.get("hellos", 0) + 1
        return JSONResponse({"hello": True})

    routes = [
        Route("/hello", hello, methods=["GET", "POST"]),
        *json_order_routes(
            agency, "/orders", auth=auth, to_fields=_fields, render=_render, actions=("QUERY",)
        ),
    ]
    return build_app(agency, routes, openapi={"openapi": "3.1.0", "paths": {}})


@pytest.fixture
async def app() -> AsyncIterator[Starlette]:
    app = make_app()
    yield app
    await aclose_app(app)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": "Bearer s3cret"}
    async with httpx.AsyncClient(transport=transport, base_url="http://m", headers=headers) as c:
        yield c


def agency_of(app: Starlette) -> MockAgency:
    agency: MockAgency = app.state.agency
    return agency


async def order(client: httpx.AsyncClient, key: str | None, **body: Any) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return await client.post("/orders", json={"action": "QUERY", **body}, headers=headers)


async def wait_for(predicate: Any, limit_s: float = 3.0) -> None:
    """Let background tasks run until ``predicate()`` holds (bounded, not a speed check)."""
    deadline = time.monotonic() + limit_s
    while not predicate():
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.005)


def test_dev_secrets_and_default_world() -> None:
    assert DEV_SECRETS["credit"] == "dev-credit-secret"
    assert set(DEV_SECRETS) == {"police", "realestate", "tax", "hr", "credit", "bank"}
    world = load_world()
    assert {"persons", "real_estate", "vehicles", "credit", "bank_accounts"} <= set(world)


async def test_admin_faults_merge_and_reject_unknown_keys(client: httpx.AsyncClient) -> None:
    got = (await client.put("/_admin/faults", json={"latency_ms": 1})).json()
    assert got["latency_ms"] == 1 and got["status"] == 503
    got = (await client.put("/_admin/faults", json={"error_rate": 0.0})).json()
    assert got["latency_ms"] == 1, "a PUT merges, it does not replace"
    assert (await client.get("/_admin/faults")).json() == got
    bad = await client.put("/_admin/faults", json={"eror_rate": 1})
    assert bad.status_code == 400 and "eror_rate" in bad.text
    assert (await client.put("/_admin/faults", content=b"[1]")).status_code == 400


async def test_requests_counted_but_admin_calls_are_not(client: httpx.AsyncClient) -> None:
    await client.get("/hello")
    await client.post("/hello")
    await client.get("/_admin/faults")
    stats = (await client.get("/_admin/stats")).json()
    assert stats["requests"] == 2
    assert stats["by_path"] == {"/hello": 2}
    assert set(stats) >= {
        "assistance_received",
        "assistance_duplicates",
        "urges",
        "callbacks_sent",
        "callbacks_failed",
    }


async def test_down_answers_503_before_the_handler(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    await client.put("/_admin/faults", json={"down": True, "retry_after": 2})
    response = await client.get("/hello")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert (await order(client, "k1")).status_code == 503
    # admin calls are never faulted
    assert (await client.get("/_admin/stats")).status_code == 200
    stats = (await client.get("/_admin/stats")).json()
    assert stats["requests"] == 2, "faulted calls are counted"
    assert stats["assistance_received"] == 0, "a faulted order was not received"
    assert "hellos" not in agency_of(app).state


async def test_error_rate_uses_the_configured_status(client: httpx.AsyncClient) -> None:
    await client.put("/_admin/faults", json={"error_rate": 1.0, "status": 500})
    response = await client.get("/hello")
    assert response.status_code == 500
    assert "retry-after" not in response.headers
    await client.put("/_admin/faults", json={"error_rate": 0.0})
    assert (await client.get("/hello")).status_code == 200


async def test_error_rate_is_reproducible_with_a_seed(client: httpx.AsyncClient) -> None:
    async def run() -> list[int]:
        await client.put("/_admin/faults", json={"error_rate": 0.5, "seed": 7})
        return [(await client.get("/hello")).status_code for _ in range(20)]

    first = await run()
    assert first == await run()
    assert {200, 503} == set(first)


async def test_timeout_fault_answers_504_without_running_the_handler(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    await client.put("/_admin/faults", json={"timeout_rate": 1.0, "timeout_ms": 5})
    assert (await client.post("/hello")).status_code == 504
    assert (await order(client, "k")).status_code == 504
    assert "hellos" not in agency_of(app).state
    assert (await client.get("/_admin/stats")).json()["assistance_received"] == 0


async def test_rate_limit_answers_429_with_retry_after(client: httpx.AsyncClient) -> None:
    await client.put("/_admin/faults", json={"rate_limit_per_s": 2})
    statuses = [(await client.get("/hello")) for _ in range(4)]
    assert [r.status_code for r in statuses[:2]] == [200, 200]
    assert statuses[3].status_code == 429
    assert statuses[3].headers["retry-after"] == "1"


async def test_openapi_route_is_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/openapi.json")).json()["openapi"] == "3.1.0"


async def test_order_needs_an_idempotency_key_and_auth(client: httpx.AsyncClient) -> None:
    assert (await order(client, None)).status_code == 400
    response = await client.post(
        "/orders", json={"action": "QUERY"}, headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401
    assert (await order(client, "k", action="SEAL")).status_code == 400
    bad = await client.post("/orders", json={"no": "action"}, headers={"Idempotency-Key": "k2"})
    assert bad.status_code == 400


async def test_repeated_key_returns_the_first_order(client: httpx.AsyncClient) -> None:
    await client.put("/_admin/faults", json={"complete_after_ms": 60000})
    first = await order(client, "same", request_id="r1")
    again = await order(client, "same", request_id="r2")
    other = await order(client, "other")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["reference"] == first.json()["reference"] == "T-000001"
    assert again.json()["request_id"] == "r1"
    assert other.json()["reference"] == "T-000002"
    stats = (await client.get("/_admin/stats")).json()
    assert (stats["assistance_received"], stats["assistance_duplicates"]) == (2, 1)
    found = await client.get("/orders", params={"idempotency_key": "same"})
    assert found.json()["reference"] == "T-000001"
    missing = await client.get("/orders", params={"idempotency_key": "never"})
    assert missing.status_code == 404
    assert (await client.get("/orders/T-999999")).status_code == 404


async def test_lifecycle_with_instant_completion_changes_the_world(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    await client.put("/_admin/faults", json={"complete_after_ms": 0})
    ref = (await order(client, "k", subject={"id_number": "X1"})).json()["reference"]
    progress = (await client.get(f"/orders/{ref}")).json()
    assert (progress["status"], progress["outcome"], progress["result"]) == (
        "COMPLETED",
        "done",
        {"n": 1},
    )
    assert agency_of(app).world["credit"] == [{"subject_id": "X1"}]
    # completion runs once, however often the order is read
    await client.get(f"/orders/{ref}")
    assert len(agency_of(app).world["credit"]) == 1


async def test_lifecycle_steps_through_acknowledged(client: httpx.AsyncClient) -> None:
    await client.put("/_admin/faults", json={"complete_after_ms": 60000})
    ref = (await order(client, "k")).json()["reference"]
    assert (await client.get(f"/orders/{ref}")).json()["status"] == "RECEIVED"


async def test_rejection_and_executor_errors(client: httpx.AsyncClient) -> None:
    await client.put("/_admin/faults", json={"complete_after_ms": 0})
    ref1 = (await order(client, "a", details={"reject": True})).json()["reference"]
    ref2 = (await order(client, "b", details={"explode": True})).json()["reference"]
    one = (await client.get(f"/orders/{ref1}")).json()
    two = (await client.get(f"/orders/{ref2}")).json()
    assert (one["status"], one["outcome"]) == ("REJECTED", "cannot")
    assert (two["status"], two["outcome"]) == ("REJECTED", "error")


async def test_urge_counts(client: httpx.AsyncClient) -> None:
    ref = (await order(client, "k")).json()["reference"]
    urged = await client.post(f"/orders/{ref}/urge", json={"note": "please"})
    assert urged.json()["urges"] == 1
    await client.post(f"/orders/{ref}/urge")
    assert (await client.get("/_admin/stats")).json()["urges"] == 2
    assert (await client.post("/orders/T-999/urge")).status_code == 404


async def test_signed_callbacks_follow_each_status_change(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    agency = agency_of(app)
    agency.callback_transport = httpx.MockTransport(receiver)
    await client.put("/_admin/faults", json={"complete_after_ms": 30})
    url = "http://hub.test/callbacks/police-fujian"
    ref = (await order(client, "k", request_id="req-1", callback_url=url)).json()["reference"]
    await wait_for(lambda: agency.stats["callbacks_sent"] == 2)
    bodies = [json.loads(r.content) for r in received]
    assert [b["status"] for b in bodies] == ["ACKNOWLEDGED", "COMPLETED"]
    last = bodies[-1]
    assert last["agency_ref"] == ref and last["request_id"] == "req-1"
    assert last["idempotency_key"] == "k"
    assert (last["outcome"], last["result"]) == ("done", {"n": 1})
    assert bodies[0]["outcome"] is None and bodies[0]["event_id"] != last["event_id"]
    for request in received:
        assert str(request.url) == url
        digest = hmac.new(b"s3cret", request.content, hashlib.sha256).hexdigest()
        assert request.headers["x-hub-signature"] == f"sha256={digest}"
        assert callback_signature("s3cret", request.content) == f"sha256={digest}"


async def test_failed_callbacks_are_retried_then_counted(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    calls: list[int] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("refused")
        return httpx.Response(500 if len(calls) == 2 else 200)

    agency = agency_of(app)
    agency.callback_transport = httpx.MockTransport(receiver)
    await client.put("/_admin/faults", json={"complete_after_ms": 60000})
    await order(client, "k", callback_url="http://hub.test/cb")
    agency.orders["T-000001"].ack_due = 0  # acknowledge now, complete much later
    await client.get("/orders/T-000001")
    await wait_for(lambda: agency.stats["callbacks_sent"] == 1)
    assert agency.stats["callbacks_failed"] == 2
    assert len(calls) == 3


async def test_callbacks_can_be_switched_off(client: httpx.AsyncClient, app: Starlette) -> None:
    received: list[httpx.Request] = []
    agency = agency_of(app)
    agency.callback_transport = httpx.MockTransport(
        lambda r: received.append(r) or httpx.Response(200)
    )
    await client.put("/_admin/faults", json={"complete_after_ms": 0, "callbacks": False})
    ref = (await order(client, "k", callback_url="http://hub.test/cb")).json()["reference"]
    assert (await client.get(f"/orders/{ref}")).json()["status"] == "COMPLETED"
    await asyncio.sleep(0.02)
    assert received == [] and agency.stats["callbacks_sent"] == 0


async def test_reset_restores_everything(client: httpx.AsyncClient, app: Starlette) -> None:
    await client.put("/_admin/world", json={"persons": []})
    assert (await client.get("/_admin/world")).json() == {"persons": []}
    await client.put("/_admin/faults", json={"latency_ms": 3, "complete_after_ms": 60000})
    await order(client, "k")
    await client.get("/hello")
    assert len((await client.get("/_admin/orders")).json()["orders"]) == 1
    assert (await client.post("/_admin/reset")).status_code == 200
    assert (await client.get("/_admin/world")).json() == WORLD
    assert (await client.get("/_admin/faults")).json() == DEFAULT_FAULTS
    stats = (await client.get("/_admin/stats")).json()
    assert stats["requests"] == 0 and stats["assistance_received"] == 0 and stats["by_path"] == {}
    assert agency_of(app).state == {}
    assert (await client.get("/orders", params={"idempotency_key": "k"})).status_code == 404
    # numbering starts again
    assert (await order(client, "k")).json()["reference"] == "T-000001"


async def test_world_put_rejects_non_objects(client: httpx.AsyncClient) -> None:
    assert (await client.put("/_admin/world", json=[1, 2])).status_code == 400


async def test_aclose_cancels_background_work(app: Starlette, client: httpx.AsyncClient) -> None:
    await client.put("/_admin/faults", json={"complete_after_ms": 60000})
    await order(client, "k")
    agency = agency_of(app)
    assert agency._tasks
    await agency.aclose()
    assert not agency._tasks


async def test_lifespan_shutdown_closes_the_agency() -> None:
    app = make_app()
    agency = agency_of(app)
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def submit_one() -> None:
        agency.submit_order("k", {"action": "QUERY"})

    await submit_one()
    assert agency._tasks
    await app({"type": "lifespan", "state": {}}, receive, send)
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert not agency._tasks


def _request(headers: dict[str, str], *, method: str = "GET", path: str = "/x") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    scope = {"type": "http", "method": method, "path": path, "query_string": b"", "headers": raw}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    return Request(scope, receive)


def test_bearer_and_basic_checks() -> None:
    assert bearer_ok(_request({"Authorization": "Bearer abc"}), "abc")
    assert not bearer_ok(_request({"Authorization": "Bearer abd"}), "abc")
    assert not bearer_ok(_request({}), "abc")
    good = base64.b64encode(b"hub:pw").decode()
    assert basic_ok(_request({"Authorization": f"Basic {good}"}), "hub", "pw")
    assert not basic_ok(_request({"Authorization": f"Basic {good}"}), "hub", "other")
    assert not basic_ok(_request({"Authorization": "Basic !!!"}), "hub", "pw")


async def test_hmac_check() -> None:
    stamp = str(int(time.time()))
    signature = sign_hmac("k", stamp, "POST", "/batch/query", b"")
    headers = {"X-Credit-Timestamp": stamp, "X-Credit-Signature": signature}
    assert await hmac_ok(_request(headers, method="POST", path="/batch/query"), "Credit", "k")
    assert not await hmac_ok(_request(headers, method="GET", path="/batch/query"), "Credit", "k")
    assert not await hmac_ok(_request(headers, method="POST", path="/batch/query"), "Tax", "k")
    old = str(int(time.time()) - 301)
    stale = {"X-Credit-Timestamp": old, "X-Credit-Signature": sign_hmac("k", old, "POST", "/", b"")}
    assert not await hmac_ok(_request(stale, method="POST", path="/"), "Credit", "k")
