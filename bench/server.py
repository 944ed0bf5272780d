"""The servers under test, each run as its own process by ``bench.harness``.

``python -m bench.server hub --port P --database-url URL [--config hub.toml]
[--no-extensions] [--no-dispatcher]`` is ``hub serve`` with one extra switch:
the graph without its production extensions, to weigh them.
``python -m bench.server baseline --port P --database-url URL`` is bare
strawberry answering the same case lookup from the same database (two plain
SQL statements), on the same uvicorn set-up (one worker, same loop and HTTP
implementation, no access log): the fair ceiling the hub is compared with.
"""

from __future__ import annotations

import argparse
import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import strawberry
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from hub.logs import configure_logging
from hub.server import dispatcher_service, freeze_startup_heap
from hub.settings import load_settings
from hub.storage import async_url
from hub.web.app import Service, create_app

# The fair baseline: bare strawberry answering the same case lookup from the same
# database, with none of the hub's auth, purpose binding, audit, masking or limits.
_CASE = sa.text(
    "SELECT id, number, court_code, status, amount_claimed FROM cases WHERE number = :number"
)
_PARTIES = sa.text("SELECT role, name, id_number FROM parties WHERE case_id = :id ORDER BY id")


@strawberry.type
class BaselineParty:
    role: str
    name: str
    id_number: str


@strawberry.type
class BaselineCase:
    number: str
    court: str
    status: str
    amount_claimed: Decimal
    parties: list[BaselineParty]


@strawberry.type
class BaselineQuery:
    @strawberry.field
    def ping(self) -> str:
        return "pong"

    @strawberry.field
    async def case(self, info: strawberry.Info, number: str) -> BaselineCase | None:
        engine: AsyncEngine = info.context["engine"]
        async with engine.connect() as connection:
            row = (await connection.execute(_CASE, {"number": number})).first()
            if row is None:
                return None
            parties = (await connection.execute(_PARTIES, {"id": row.id})).all()
        return BaselineCase(
            number=row.number,
            court=row.court_code,
            status=row.status,
            amount_claimed=Decimal(str(row.amount_claimed)),
            parties=[
                BaselineParty(role=p.role, name=p.name, id_number=p.id_number) for p in parties
            ],
        )


class BaselineGraphQL(GraphQL[dict[str, Any], None]):
    def __init__(self, schema: strawberry.Schema, engine: AsyncEngine) -> None:
        super().__init__(schema)
        self.engine = engine

    async def get_context(self, request: Any, response: Any) -> dict[str, Any]:
        return {"engine": self.engine}


async def _healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


def baseline_app(database_url: str) -> Starlette:
    schema = strawberry.Schema(query=BaselineQuery)
    engine = create_async_engine(async_url(database_url))
    return Starlette(
        routes=[
            Route("/healthz", _healthz),
            Route("/graphql", BaselineGraphQL(schema, engine), methods=["GET", "POST"]),
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
    freeze_startup_heap()  # as ``hub serve`` does
    await _uvicorn(app, port).serve()


async def serve_baseline(port: int, database_url: str) -> None:
    await _uvicorn(baseline_app(database_url), port).serve()


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
    base.add_argument("--database-url", required=True)
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
        asyncio.run(serve_baseline(args.port, args.database_url))


if __name__ == "__main__":
    main()
