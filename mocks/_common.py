"""Shared machinery for the mock agencies: world, faults, stats, orders, callbacks.

This module re-exports the names of ``_world``, ``_auth``, ``_http``,
``_faults``, ``_orders``, ``_agency`` and ``_admin``; import them from here.

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

from mocks._admin import aclose_app, admin_routes, build_app
from mocks._agency import CALLBACK_BACKOFF_S, Executor, MockAgency
from mocks._auth import basic_ok, bearer_ok, callback_signature, hmac_ok, sign_hmac
from mocks._faults import ADMIN_PREFIX, DEFAULT_FAULTS, STAT_KEYS, FaultMiddleware
from mocks._http import json_error, read_json
from mocks._orders import ORDER_STATUSES, Auth, Order, OrderEvent, OrderOutcome, json_order_routes
from mocks._world import DEV_SECRETS, KINDS, WORLD_PATH, load_world, utcnow

__all__ = [
    "ADMIN_PREFIX",
    "CALLBACK_BACKOFF_S",
    "DEFAULT_FAULTS",
    "DEV_SECRETS",
    "KINDS",
    "ORDER_STATUSES",
    "STAT_KEYS",
    "WORLD_PATH",
    "Auth",
    "Executor",
    "FaultMiddleware",
    "MockAgency",
    "Order",
    "OrderEvent",
    "OrderOutcome",
    "aclose_app",
    "admin_routes",
    "basic_ok",
    "bearer_ok",
    "build_app",
    "callback_signature",
    "hmac_ok",
    "json_error",
    "json_order_routes",
    "load_world",
    "read_json",
    "sign_hmac",
    "utcnow",
]
