"""Helpers for tests: run the real hub on a free port and talk GraphQL to it."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import sqlalchemy as sa
import uvicorn
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sdk.config import AgencyConfig
from hub.auth import Role, create_principal
from hub.models import Base
from hub.settings import Settings
from hub.state import HubState
from hub.storage import async_url, migrate
from hub.web.app import Service, build_state, create_app
from mocks._common import KINDS, load_world
from mocks.runner import MockCluster

_migrated: set[str] = set()

KEEP_TABLES = {"courts", "alembic_version"}


def migrate_once(url: str) -> None:
    if url not in _migrated:
        migrate(url)
        _migrated.add(url)


def reset_database(url: str) -> None:
    """Empty every table but the reference data (PostgreSQL between tests)."""
    names = [t.name for t in Base.metadata.sorted_tables if t.name not in KEEP_TABLES]

    async def truncate() -> None:
        engine = create_async_engine(async_url(url))
        async with engine.begin() as conn:
            await conn.execute(sa.text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        await engine.dispose()

    asyncio.run(truncate())


async def start_mock_cluster(attempts: int = 30) -> MockCluster:
    """The mock agencies on the default world, on a free block of ports (one per kind)."""
    for _ in range(attempts):
        cluster = MockCluster(load_world(), port_base=random.randrange(20000, 60000, len(KINDS)))
        try:
            await cluster.start()
        except OSError:
            continue
        return cluster
    raise RuntimeError("no free block of ports for the mock agencies")


@asynccontextmanager
async def running_mock_cluster() -> AsyncIterator[MockCluster]:
    cluster = await start_mock_cluster()
    try:
        yield cluster
    finally:
        await cluster.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveHub:
    url: str
    state: HubState
    client: httpx.AsyncClient
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.state.settings

    async def token(self, role: Role | str, scope: str, name: str | None = None) -> str:
        _, token = await create_principal(self.state.db, role=Role(role), scope=scope, name=name)
        return token

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@asynccontextmanager
async def start_hub(
    database_url: str,
    *,
    agencies: list[AgencyConfig] | None = None,
    services: list[Service] | None = None,
    transports: dict[str, httpx.AsyncBaseTransport] | None = None,
    **settings_values: Any,
) -> AsyncIterator[LiveHub]:
    port = free_port()
    settings = Settings(
        database_url=database_url,
        port=port,
        agencies=agencies or [],
        log_json=False,
        **settings_values,
    )
    state = build_state(settings, transports=transports)
    app = create_app(settings, state=state, services=services)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            yield LiveHub(url=base, state=state, client=client)
    finally:
        server.should_exit = True
        await task
        await state.aclose()
