"""The app every mock is: its routes + the admin surface + faults + a lifespan.

The admin surface is never counted, never faulted: ``PUT|GET /_admin/world``,
``PUT|GET /_admin/faults`` (merge; unknown keys are a 400), ``GET
/_admin/stats``, ``GET /_admin/orders``, ``POST /_admin/reset``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mocks._agency import MockAgency
from mocks._faults import ADMIN_PREFIX, FaultMiddleware
from mocks._http import json_error, read_json


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
