"""Shared machinery for the mock agencies: world, faults, stats, orders, callbacks.

Every ``mocks/<kind>.py`` is a small Starlette app built the same way::

    from mocks._common import DEV_SECRETS, MockAgency, OrderOutcome, Order, build_app, load_world

    def _execute(agency: MockAgency, order: Order) -> OrderOutcome:
        # runs once, when the order completes; may change agency.world
        return OrderOutcome("COMPLETED", "done", {...})  # or "REJECTED"

    def create_app(world: dict | None = None, *, secret: str | None = None) -> Starlette:
        agency = MockAgency("police", world, secret=secret, ref_prefix="PL", execute=_execute)
        routes = [Route("/api/v1/persons/search", partial(_persons, agency), methods=["POST"])]
        return build_app(agency, routes, openapi=OPENAPI)

    app = create_app()

What the kind writes: its own routes (auth with ``bearer_ok`` / ``basic_ok`` /
``hmac_ok`` and answer ``agency.error_response(401, ...)`` when they fail), its
order handlers in its own style on top of the order book
(``agency.submit_order(key, fields)``, ``agency.get_order(ref)``,
``agency.order_by_key(key)``, ``agency.urge_order(ref)``; JSON mocks can take
all four routes from ``json_order_routes``), and ``execute``.
``fields`` uses the hub's names: request_id, action, case_number, court,
document_number, subject {id_number, name, kind}, details, callback_url, due_at.

What ``build_app`` adds, identical on every mock:

* the admin surface (never counted, never faulted): ``PUT /_admin/world``,
  ``GET /_admin/world``, ``PUT|GET /_admin/faults`` (merge; keys in
  ``DEFAULT_FAULTS``, unknown keys are a 400), ``GET /_admin/stats``,
  ``GET /_admin/orders``, ``POST /_admin/reset``;
* fault injection BEFORE any handler runs, so a faulted call has no effect:
  every other call is counted in ``requests`` / ``by_path``; then ``down`` →
  503; ``rate_limit_per_s`` exceeded → 429 ``Retry-After: 1`` (shared here, so
  every kind could be limited; tax is the one that uses it); latency + jitter;
  ``timeout_rate`` → sleeps ``timeout_ms`` then 504 (or nothing, if the client
  has gone); ``error_rate`` → ``status`` (503 by default). 503/``status``
  answers carry ``Retry-After`` when ``retry_after`` is set. Bodies come from
  ``agency.error_response`` (JSON by default; pass ``error_response=`` for
  another style, e.g. XML);
* the order lifecycle: RECEIVED at once, ACKNOWLEDGED after
  ``complete_after_ms / 3``, COMPLETED or REJECTED after ``complete_after_ms``
  (then ``execute`` runs, once). Orders advance in a background task and also
  whenever the mock is called (before faults and handlers run), so with
  ``complete_after_ms = 0`` the next call of any kind sees the order done and
  its effect on the world, without waiting;
* signed callbacks in the hub's format to the order's ``callback_url`` on each
  status change (``X-Hub-Signature: sha256=<hex HMAC(secret, body)>``), three
  attempts with short backoff, through one ``httpx.AsyncClient`` per mock.
  ``stats.callbacks_sent`` counts delivered callbacks, ``callbacks_failed``
  failed attempts. Tests may set ``agency.callback_transport`` first;
* a lifespan that cancels background tasks and closes the client on shutdown.
  ``httpx.ASGITransport`` runs no lifespan: call ``await app.state.agency.aclose()``
  (or ``aclose_app(app)``) at the end of such a test.

``app.state.agency`` is the ``MockAgency`` behind an app; ``agency.state`` is a
dict for the kind's own bookkeeping (the HR mock's jobs), emptied by a reset.
The ``seed`` fault re-seeds the fault dice, for runs that must repeat.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import hmac
import json
import random
import time
import uuid
from collections import Counter, deque
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Coroutine,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KINDS: tuple[str, ...] = ("police", "realestate", "tax", "hr", "credit")
DEV_SECRETS: dict[str, str] = {kind: f"dev-{kind}-secret" for kind in KINDS}
WORLD_PATH = Path(__file__).with_name("world.json")
ADMIN_PREFIX = "/_admin"

DEFAULT_FAULTS: dict[str, Any] = {
    "error_rate": 0.0,
    "status": 503,
    "retry_after": None,
    "latency_ms": 0,
    "jitter_ms": 0,
    "timeout_rate": 0.0,
    "timeout_ms": 10000,
    "down": False,
    "complete_after_ms": 300,
    "callbacks": True,
    "rate_limit_per_s": None,
    "seed": None,  # re-seeds the fault dice, for reproducible runs
}

STAT_KEYS: tuple[str, ...] = (
    "requests",
    "assistance_received",
    "assistance_duplicates",
    "urges",
    "callbacks_sent",
    "callbacks_failed",
)

# Waits between callback attempts; the first attempt is immediate.
CALLBACK_BACKOFF_S: tuple[float, ...] = (0.0, 0.05, 0.2)

ORDER_STATUSES = ("RECEIVED", "ACKNOWLEDGED", "COMPLETED", "REJECTED")  # as stored in Order.status


def load_world(path: Path | str | None = None) -> dict[str, Any]:
    """The world document at ``path`` (default: ``mocks/world.json``)."""
    text = Path(path or WORLD_PATH).read_text(encoding="utf-8")
    world = json.loads(text)
    if not isinstance(world, dict):
        raise ValueError("a world document is a JSON object")
    return world


def utcnow() -> datetime:
    return datetime.now(UTC)


# -- auth helpers ----------------------------------------------------------------------------


def bearer_ok(request: Request, secret: str) -> bool:
    header = request.headers.get("authorization", "")
    return hmac.compare_digest(header.encode(), f"Bearer {secret}".encode())


def basic_ok(request: Request, user: str, secret: str) -> bool:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return False
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except ValueError:
        return False
    return hmac.compare_digest(decoded.encode(), f"{user}:{secret}".encode())


def sign_hmac(secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``f"{timestamp}\\n{METHOD}\\n{path}\\n" + body``."""
    message = f"{timestamp}\n{method.upper()}\n{path}\n".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


async def hmac_ok(request: Request, prefix: str, secret: str, *, max_age_s: int = 300) -> bool:
    """Check ``X-<prefix>-Timestamp`` / ``X-<prefix>-Signature`` (tax: "Tax", credit: "Credit").

    The signed path is the URL path; a signature over path + "?" + query is
    accepted too, since clients differ on that.
    """
    stamp = request.headers.get(f"x-{prefix.lower()}-timestamp", "")
    given = request.headers.get(f"x-{prefix.lower()}-signature", "")
    try:
        age = abs(time.time() - int(stamp))
    except ValueError:
        return False
    if age > max_age_s or not given:
        return False
    body = await request.body()
    paths = [request.url.path]
    if request.url.query:
        paths.append(f"{request.url.path}?{request.url.query}")
    return any(
        hmac.compare_digest(given.lower(), sign_hmac(secret, stamp, request.method, p, body))
        for p in paths
    )


def callback_signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature`` value for a callback body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def read_json(request: Request) -> Any:
    """The request's JSON body, or ``None`` when it is missing or malformed."""
    body = await request.body()
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def json_error(status: int, message: str) -> Response:
    """The default error body of the JSON mocks."""
    return JSONResponse({"error": {"code": status, "message": message}}, status_code=status)


# -- orders ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderOutcome:
    """What ``execute`` decides for an order: COMPLETED or REJECTED, outcome, result."""

    status: str
    outcome: str
    result: dict[str, Any] | None = None


@dataclass
class OrderEvent:
    event_id: str
    status: str
    at: datetime


@dataclass
class Order:
    """One assistance order in a mock's book; ``fields`` holds the hub's names."""

    ref: str
    idempotency_key: str
    fields: dict[str, Any]
    created_at: datetime
    ack_due: float
    complete_due: float
    status: str = "RECEIVED"
    outcome: str | None = None
    result: dict[str, Any] | None = None
    urges: int = 0
    notes: list[str] = field(default_factory=list)
    events: list[OrderEvent] = field(default_factory=list)
    updated_at: datetime | None = None

    @property
    def action(self) -> str:
        return str(self.fields.get("action") or "")

    @property
    def request_id(self) -> str | None:
        value = self.fields.get("request_id")
        return str(value) if value is not None else None

    @property
    def callback_url(self) -> str | None:
        value = self.fields.get("callback_url")
        return str(value) if value else None

    @property
    def subject(self) -> dict[str, Any]:
        value = self.fields.get("subject")
        return value if isinstance(value, dict) else {}

    @property
    def details(self) -> dict[str, Any]:
        value = self.fields.get("details")
        return value if isinstance(value, dict) else {}

    @property
    def terminal(self) -> bool:
        return self.status in ("COMPLETED", "REJECTED")

    def as_dict(self) -> dict[str, Any]:
        """A hub-neutral view; kinds reshape it into their own style."""
        return {
            "reference": self.ref,
            "idempotency_key": self.idempotency_key,
            "request_id": self.request_id,
            "action": self.action,
            "status": self.status,
            "outcome": self.outcome,
            "result": self.result,
            "urges": self.urges,
            "created_at": self.created_at.isoformat(),
            "updated_at": (self.updated_at or self.created_at).isoformat(),
        }


Executor = Callable[["MockAgency", Order], OrderOutcome]


def _default_execute(agency: MockAgency, order: Order) -> OrderOutcome:
    return OrderOutcome("COMPLETED", "done", {})


# -- the agency state ------------------------------------------------------------------------


class MockAgency:
    """One mock's state: world, faults, stats, order book, background tasks."""

    def __init__(
        self,
        kind: str,
        world: Mapping[str, Any] | None = None,
        *,
        secret: str | None = None,
        ref_prefix: str = "ORD",
        execute: Executor = _default_execute,
        error_response: Callable[[int, str], Response] = json_error,
    ) -> None:
        self.kind = kind
        self.secret = secret if secret is not None else DEV_SECRETS.get(kind, f"dev-{kind}-secret")
        self.ref_prefix = ref_prefix
        self.execute = execute
        self.error_response = error_response
        self._initial_world: dict[str, Any] = copy.deepcopy(
            dict(world) if world is not None else load_world()
        )
        self.world: dict[str, Any] = copy.deepcopy(self._initial_world)
        self.faults: dict[str, Any] = dict(DEFAULT_FAULTS)
        self.stats: dict[str, int] = dict.fromkeys(STAT_KEYS, 0)
        self.by_path: Counter[str] = Counter()
        self.orders: dict[str, Order] = {}
        self.orders_by_key: dict[str, str] = {}
        self._open_orders: dict[str, Order] = {}  # not yet COMPLETED / REJECTED
        self.rng = random.Random()
        self.callback_transport: httpx.AsyncBaseTransport | None = None
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.state: dict[str, Any] = {}  # the kind's own bookkeeping (jobs ...); reset clears it
        self._recent: deque[float] = deque()
        self._seq = 0

    # -- admin ------------------------------------------------------------------------------

    def set_world(self, world: Mapping[str, Any]) -> None:
        self.world = copy.deepcopy(dict(world))

    def set_faults(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Merge ``changes`` into the faults; unknown keys raise ``KeyError``."""
        unknown = sorted(set(changes) - set(DEFAULT_FAULTS))
        if unknown:
            raise KeyError(", ".join(unknown))
        self.faults.update(changes)
        if "seed" in changes:
            self.rng.seed(changes["seed"])
        return dict(self.faults)

    def stats_view(self) -> dict[str, Any]:
        return {**self.stats, "by_path": dict(self.by_path)}

    def reset(self) -> None:
        """World as created, faults cleared, stats zero, orders gone."""
        self._cancel_tasks()
        self.world = copy.deepcopy(self._initial_world)
        self.faults = dict(DEFAULT_FAULTS)
        self.stats = dict.fromkeys(STAT_KEYS, 0)
        self.by_path.clear()
        self.orders.clear()
        self.orders_by_key.clear()
        self._open_orders.clear()
        self.state.clear()
        self._recent.clear()
        self._seq = 0

    # -- faults -----------------------------------------------------------------------------

    def over_rate_limit(self) -> bool:
        """Record one call; True when more than ``rate_limit_per_s`` arrived within 1 s."""
        limit = self.faults.get("rate_limit_per_s")
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        self._recent.append(now)
        return limit is not None and len(self._recent) > int(limit)

    def roll(self, rate_key: str) -> bool:
        rate = float(self.faults.get(rate_key) or 0.0)
        return rate > 0 and self.rng.random() < rate

    # -- orders -----------------------------------------------------------------------------

    def submit_order(self, idempotency_key: str, fields: Mapping[str, Any]) -> tuple[Order, bool]:
        """Take an order; a key seen before returns the first order and ``False``."""
        known = self.orders_by_key.get(idempotency_key)
        if known is not None:
            self.stats["assistance_duplicates"] += 1
            order = self.orders[known]
            self.advance(order)
            return order, False
        self._seq += 1
        total_s = max(float(self.faults.get("complete_after_ms") or 0), 0.0) / 1000
        now = time.monotonic()
        order = Order(
            ref=f"{self.ref_prefix}-{self._seq:06d}",
            idempotency_key=idempotency_key,
            fields=copy.deepcopy(dict(fields)),
            created_at=utcnow(),
            ack_due=now + total_s / 3,
            complete_due=now + total_s,
        )
        self.orders[order.ref] = order
        self.orders_by_key[idempotency_key] = order.ref
        self._open_orders[order.ref] = order
        self.stats["assistance_received"] += 1
        self.spawn(self._drive(order))
        return order, True

    def get_order(self, ref: str) -> Order | None:
        order = self.orders.get(ref)
        if order is not None:
            self.advance(order)
        return order

    def order_by_key(self, idempotency_key: str) -> Order | None:
        ref = self.orders_by_key.get(idempotency_key)
        return self.get_order(ref) if ref is not None else None

    def urge_order(self, ref: str, note: str | None = None) -> Order | None:
        order = self.get_order(ref)
        if order is not None:
            order.urges += 1
            if note:
                order.notes.append(note)
            self.stats["urges"] += 1
        return order

    def advance_all(self) -> None:
        """Advance every open order: any call sees the effects of orders already due."""
        for order in list(self._open_orders.values()):
            self.advance(order)

    def advance(self, order: Order) -> None:
        """Apply the transitions whose time has come; callbacks go out for each."""
        now = time.monotonic()
        fresh: list[OrderEvent] = []
        if order.status == "RECEIVED" and now >= order.ack_due:
            fresh.append(self._transition(order, "ACKNOWLEDGED"))
        if order.status == "ACKNOWLEDGED" and now >= order.complete_due:
            try:
                decided = self.execute(self, order)
            except Exception as exc:  # a mock bug should reject the order, not hang it
                decided = OrderOutcome("REJECTED", "error", {"error": type(exc).__name__})
            order.outcome = decided.outcome
            order.result = decided.result
            fresh.append(self._transition(order, decided.status))
            self._open_orders.pop(order.ref, None)
        if fresh and order.callback_url and self.faults.get("callbacks", True):
            self.spawn(self._send_callbacks(order, fresh))

    def _transition(self, order: Order, status: str) -> OrderEvent:
        event = OrderEvent(event_id=str(uuid.uuid4()), status=status, at=utcnow())
        order.status = status
        order.updated_at = event.at
        order.events.append(event)
        return event

    async def _drive(self, order: Order) -> None:
        for due in (order.ack_due, order.complete_due):
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self.advance(order)

    # -- callbacks --------------------------------------------------------------------------

    def callback_body(self, order: Order, event: OrderEvent) -> bytes:
        terminal = event.status in ("COMPLETED", "REJECTED")
        payload = {
            "event_id": event.event_id,
            "timestamp": event.at.isoformat(),
            "agency_ref": order.ref,
            "request_id": order.request_id,
            "idempotency_key": order.idempotency_key,
            "status": event.status,
            "outcome": order.outcome if terminal else None,
            "result": order.result if terminal else None,
        }
        return json.dumps(payload, ensure_ascii=False).encode("utf-8")

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self.callback_transport, timeout=5.0)
        return self._client

    async def _send_callbacks(self, order: Order, events: Sequence[OrderEvent]) -> None:
        url = order.callback_url
        if url is None:
            return
        for event in events:
            body = self.callback_body(order, event)
            headers = {
                "content-type": "application/json",
                "x-hub-signature": callback_signature(self.secret, body),
            }
            for wait in CALLBACK_BACKOFF_S:
                if wait:
                    await asyncio.sleep(wait)
                try:
                    response = await self.client().post(url, content=body, headers=headers)
                except httpx.HTTPError:
                    self.stats["callbacks_failed"] += 1
                    continue
                if response.is_success:
                    self.stats["callbacks_sent"] += 1
                    break
                self.stats["callbacks_failed"] += 1

    # -- tasks ------------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in the background; ``aclose``/``reset`` cancel it."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _cancel_tasks(self) -> list[asyncio.Task[Any]]:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        return tasks

    async def aclose(self) -> None:
        """Cancel background tasks and close the callback client."""
        tasks = self._cancel_tasks()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None


# -- fault injection -------------------------------------------------------------------------


class FaultMiddleware:
    """Counts and faults every non-admin call before it reaches a handler."""

    def __init__(self, app: ASGIApp, agency: MockAgency) -> None:
        self.app = app
        self.agency = agency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        agency = self.agency
        faults = agency.faults
        agency.stats["requests"] += 1
        agency.by_path[scope["path"]] += 1
        agency.advance_all()
        if faults.get("down"):
            await self._error(scope, receive, send, 503, "service down")
            return
        if agency.over_rate_limit():
            response = agency.error_response(429, "rate limit exceeded")
            response.headers["Retry-After"] = "1"
            await response(scope, receive, send)
            return
        latency_ms = float(faults.get("latency_ms") or 0)
        jitter_ms = float(faults.get("jitter_ms") or 0)
        if jitter_ms:
            latency_ms += agency.rng.uniform(0, jitter_ms)
        if latency_ms > 0:
            await asyncio.sleep(latency_ms / 1000)
        if agency.roll("timeout_rate"):
            await self._time_out(scope, receive, send)
            return
        if agency.roll("error_rate"):
            status = int(faults.get("status") or 503)
            await self._error(scope, receive, send, status, "injected fault")
            return
        await self.app(scope, receive, send)

    async def _error(
        self, scope: Scope, receive: Receive, send: Send, status: int, msg: str
    ) -> None:
        response = self.agency.error_response(status, msg)
        retry_after = self.agency.faults.get("retry_after")
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        await response(scope, receive, send)

    async def _time_out(self, scope: Scope, receive: Receive, send: Send) -> None:
        delay = float(self.agency.faults.get("timeout_ms") or 0) / 1000
        # The handler never runs; stop early if the client hangs up meanwhile.
        sleeper = asyncio.ensure_future(asyncio.sleep(delay))
        watcher = asyncio.ensure_future(_until_disconnect(receive))
        try:
            done, _ = await asyncio.wait({sleeper, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, watcher):
                task.cancel()
            await asyncio.gather(sleeper, watcher, return_exceptions=True)
        if sleeper in done:
            await self.agency.error_response(504, "gateway timeout")(scope, _no_body, send)


async def _until_disconnect(receive: Receive) -> None:
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            return


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


# -- the app ---------------------------------------------------------------------------------


async def _put_world(agency: MockAgency, request: Request) -> Response:
    world = await read_json(request)
    if not isinstance(world, dict):
        return json_error(400, "the world is a JSON object")
    agency.set_world(world)
    return JSONResponse({"ok": True})


async def _get_world(agency: MockAgency, request: Request) -> Response:
    agency.advance_all()
    return JSONResponse(agency.world)


async def _put_faults(agency: MockAgency, request: Request) -> Response:
    changes = await read_json(request)
    if not isinstance(changes, dict):
        return json_error(400, "faults are a JSON object")
    try:
        return JSONResponse(agency.set_faults(changes))
    except KeyError as exc:
        return json_error(400, f"unknown fault keys: {exc.args[0]}")


async def _get_faults(agency: MockAgency, request: Request) -> Response:
    return JSONResponse(agency.faults)


async def _get_stats(agency: MockAgency, request: Request) -> Response:
    return JSONResponse(agency.stats_view())


async def _get_orders(agency: MockAgency, request: Request) -> Response:
    agency.advance_all()
    return JSONResponse({"orders": [o.as_dict() for o in agency.orders.values()]})


async def _reset(agency: MockAgency, request: Request) -> Response:
    agency.reset()
    return JSONResponse({"ok": True})


def _bind(
    handler: Callable[[MockAgency, Request], Awaitable[Response]], agency: MockAgency
) -> Callable[[Request], Awaitable[Response]]:
    return partial(handler, agency)


def admin_routes(agency: MockAgency) -> list[BaseRoute]:
    p = ADMIN_PREFIX
    return [
        Route(f"{p}/world", _bind(_put_world, agency), methods=["PUT"]),
        Route(f"{p}/world", _bind(_get_world, agency), methods=["GET"]),
        Route(f"{p}/faults", _bind(_put_faults, agency), methods=["PUT"]),
        Route(f"{p}/faults", _bind(_get_faults, agency), methods=["GET"]),
        Route(f"{p}/stats", _bind(_get_stats, agency), methods=["GET"]),
        Route(f"{p}/orders", _bind(_get_orders, agency), methods=["GET"]),
        Route(f"{p}/reset", _bind(_reset, agency), methods=["POST"]),
    ]


Auth = Callable[[Request], Awaitable[bool]]


def json_order_routes(
    agency: MockAgency,
    base: str,
    *,
    auth: Auth,
    to_fields: Callable[[dict[str, Any]], dict[str, Any]],
    render: Callable[[Order], dict[str, Any]],
    actions: Collection[str],
    created_status: int = 201,
    key_param: str = "idempotency_key",
) -> list[BaseRoute]:
    """The four order routes of a JSON mock, in its own style.

    ``POST {base}`` (``Idempotency-Key`` required; ``to_fields`` maps the body
    to the hub's field names or raises ``ValueError``; answers
    ``created_status`` for a new order, 200 for a repeated key),
    ``GET {base}?{key_param}=K``, ``GET {base}/{ref}``, ``POST {base}/{ref}/urge``
    (optional body ``{"note": ...}``). ``render`` shapes an order into the reply.
    """

    async def submit(request: Request) -> Response:
        if not await auth(request):
            return agency.error_response(401, "unauthorized")
        key = request.headers.get("idempotency-key", "").strip()
        if not key:
            return agency.error_response(400, "Idempotency-Key header required")
        body = await read_json(request)
        if not isinstance(body, dict):
            return agency.error_response(400, "order body must be a JSON object")
        try:
            fields = to_fields(body)
        except (ValueError, KeyError, TypeError) as exc:
            return agency.error_response(400, f"malformed order: {exc}")
        if fields.get("action") not in actions:
            return agency.error_response(400, "unsupported action")
        order, created = agency.submit_order(key, fields)
        return JSONResponse(render(order), status_code=created_status if created else 200)

    async def by_key(request: Request) -> Response:
        if not await auth(request):
            return agency.error_response(401, "unauthorized")
        key = request.query_params.get(key_param, "")
        if not key:
            return agency.error_response(400, f"{key_param} required")
        order = agency.order_by_key(key)
        if order is None:
            return agency.error_response(404, "no order with that key")
        return JSONResponse(render(order))

    async def get(request: Request) -> Response:
        if not await auth(request):
            return agency.error_response(401, "unauthorized")
        order = agency.get_order(request.path_params["ref"])
        if order is None:
            return agency.error_response(404, "no such order")
        return JSONResponse(render(order))

    async def urge(request: Request) -> Response:
        if not await auth(request):
            return agency.error_response(401, "unauthorized")
        body = await read_json(request)
        note = body.get("note") if isinstance(body, dict) else None
        note = note if isinstance(note, str) else None
        order = agency.urge_order(request.path_params["ref"], note)
        if order is None:
            return agency.error_response(404, "no such order")
        return JSONResponse(render(order))

    return [
        Route(base, submit, methods=["POST"]),
        Route(base, by_key, methods=["GET"]),
        Route(f"{base}/{{ref}}", get, methods=["GET"]),
        Route(f"{base}/{{ref}}/urge", urge, methods=["POST"]),
    ]


def build_app(
    agency: MockAgency,
    routes: Sequence[BaseRoute],
    *,
    openapi: Mapping[str, Any] | None = None,
) -> Starlette:
    """The kind's routes + admin routes + faults + a lifespan that cleans up.

    ``openapi`` (a hand-written OpenAPI 3.1 document) is served at ``GET /openapi.json``.
    """
    all_routes = list(routes)
    if openapi is not None:
        document = dict(openapi)

        async def _openapi(request: Request) -> Response:
            return JSONResponse(document)

        all_routes.append(Route("/openapi.json", _openapi, methods=["GET"]))
    all_routes.extend(admin_routes(agency))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await agency.aclose()

    app = Starlette(routes=all_routes, lifespan=lifespan)
    app.add_middleware(FaultMiddleware, agency=agency)
    app.state.agency = agency
    return app


async def aclose_app(app: Starlette) -> None:
    """What the lifespan does on shutdown, for apps driven through ``ASGITransport``."""
    agency: MockAgency = app.state.agency
    await agency.aclose()
