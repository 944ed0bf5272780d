"""The servers under test, each run as its own process by ``bench.harness``.

``python -m bench.server hub --port P --database-url URL [--config hub.toml]
[--no-extensions] [--no-dispatcher]`` is ``hub serve`` with one extra switch:
the graph without its production extensions, to weigh them.
``python -m bench.server baseline --port P`` is a bare strawberry schema that
answers a constant, on the same uvicorn set-up (one worker, same loop and
HTTP implementation, no access log): the ceiling the hub is compared with.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from hub.app import Service, create_app
from hub.logs import configure_logging
from hub.server import dispatcher_service
from hub.settings import load_settings


@strawberry.type
class BaselineQuery:
    @strawberry.field
    def ping(self) -> str:
        return "pong"


async def _healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


def baseline_app() -> Starlette:
    schema = strawberry.Schema(query=BaselineQuery)
    return Starlette(
        routes=[
            Route("/healthz", _healthz),
            Route("/graphql", GraphQL(schema), methods=["GET", "POST"]),
        ]
    )


def _uvicorn(app: Starlette, port: int) -> uvicorn.Server:
    # The same settings as hub.server.make_server, for a fair comparison.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
    return uvicorn.Server(config)


async def serve_hub(
    port: int, database_url: str, config: Path | None, *, extensions: bool, dispatcher: bool
) -> None:
    settings = load_settings(port=port, database_url=database_url, config=config)
    configure_logging(settings)
    services: list[Service] = [dispatcher_service()] if dispatcher else []
    app = create_app(settings, services=services, extensions=extensions)
    await _uvicorn(app, port).serve()


async def serve_baseline(port: int) -> None:
    await _uvicorn(baseline_app(), port).serve()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.server")
    sub = parser.add_subparsers(dest="mode", required=True)
    hub = sub.add_parser("hub")
    hub.add_argument("--port", type=int, required=True)
    hub.add_argument("--database-url", required=True)
    hub.add_argument("--config", type=Path)
    hub.add_argument("--no-extensions", action="store_true")
    hub.add_argument("--no-dispatcher", action="store_true")
    base = sub.add_parser("baseline")
    base.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    if args.mode == "hub":
        asyncio.run(
            serve_hub(
                args.port,
                args.database_url,
                args.config,
                extensions=not args.no_extensions,
                dispatcher=not args.no_dispatcher,
            )
        )
    else:
        asyncio.run(serve_baseline(args.port))


if __name__ == "__main__":
    main()
