"""The hub's ASGI application: the graph, health, metrics, callbacks, console."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from hub.agencies import AgencyDirectory
from hub.logs import RequestIdMiddleware
from hub.metrics import install_connector_metrics, refresh_circuits
from hub.probes import agency_probes, start_probes
from hub.settings import Settings, check_startup
from hub.state import HubState
from hub.storage import Database
from hub.web.graphiql_assets import asset_routes
from hub.web.graphql_http import GraphQLEndpoint
from hub.web.ops_access import ops_allowed
from schema import build_schema

# Services that run beside the app while it serves (the dispatcher, ...): each
# is called with the state at start-up and returns an async stop function.
Service = Callable[[HubState], Any]


def build_state(
    settings: Settings, *, transports: dict[str, httpx.AsyncBaseTransport] | None = None
) -> HubState:
    return HubState(
        settings=settings,
        db=Database(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        ),
        agencies=AgencyDirectory.from_configs(settings.agencies, transports=transports),
    )


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    hub: HubState = request.app.state.hub
    db_ok = await hub.db.ping()
    body: dict[str, object] = {
        "status": "ready" if db_ok else "unavailable",
        "database": "ok" if db_ok else "unreachable",
    }
    if ops_allowed(request, hub.settings):  # agency ids and circuits are for operators
        probes = agency_probes(hub)
        body["agencies"] = {
            a.id: {
                "kind": a.kind,
                "channel": a.config.channel,
                "circuit": a.circuit_state,
                "state": probes.state(a),  # UP, DOWN or DEGRADED
            }
            for a in hub.agencies
        }
    return JSONResponse(body, status_code=200 if db_ok else 503)


async def metrics(request: Request) -> Response:
    if not ops_allowed(request, request.app.state.hub.settings):
        return JSONResponse({"error": "forbidden"}, status_code=403)
    refresh_circuits(request.app.state.hub.agencies)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def create_app(
    settings: Settings,
    *,
    state: HubState | None = None,
    services: list[Service] | None = None,
    transports: dict[str, httpx.AsyncBaseTransport] | None = None,
    extensions: bool = True,
) -> Starlette:
    """The hub's app; ``extensions=False`` serves the graph without its production
    extensions (only the benchmark wants that, to weigh them)."""
    check_startup(settings)
    hub = state or build_state(settings, transports=transports)
    install_connector_metrics()
    schema = build_schema(
        production=settings.production, extensions=graph_extensions(hub) if extensions else []
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        from hub.audit_sequencer import sequencer_for

        sequencer = sequencer_for(hub)
        await sequencer.start()
        # /readyz knows each agency from the first second
        stops = [sequencer.stop, await start_probes(hub)]
        for start in services or []:
            stops.append(await start(hub))
        try:
            yield
        finally:
            for stop in reversed(stops):
                await stop()
            if state is None:
                await hub.aclose()

    graphql = GraphQLEndpoint(schema, hub)
    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        # the graph is a federation subgraph itself (schema.federation); the older address
        Route("/graphql/federation", graphql, methods=["GET", "POST"]),
        # GraphiQL's scripts, where browsers cannot reach unpkg.com (an intranet)
        *asset_routes(settings.graphiql_assets_dir),
        *extra_routes(hub),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(RequestIdMiddleware)])
    app.state.hub = hub
    return app


def graph_extensions(hub: HubState) -> list[Any]:
    """Production extensions of the graph (limits, metrics ...)."""
    from hub import tracing
    from hub.hardening import graph_limits
    from hub.metrics import MetricsExtension

    tracing.configure(hub.settings)
    return [*graph_limits(hub.settings), MetricsExtension, *tracing.graph_extensions()]


def extra_routes(hub: HubState) -> list[BaseRoute]:
    """Callbacks, the console and the audit checkpoint."""
    from hub.web.audit_http import audit_routes
    from hub.web.callbacks import callback_routes
    from hub.web.console import console_routes

    return [*callback_routes(hub), *console_routes(hub), *audit_routes(hub)]


__all__ = ["Mount", "build_state", "create_app"]
