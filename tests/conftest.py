"""Shared fixtures: a real database (SQLite, or PostgreSQL when HUB_TEST_DATABASE_URL is
set), the real hub served over HTTP on a free port, principals and a GraphQL helper."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support import (
    LiveHub,
    migrate_once,
    reset_database,
    start_hub,
)

PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """SQLite: one migrated file copied per test. PostgreSQL: migrated once."""
    if PG_URL:
        migrate_once(PG_URL)
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "hub.db"
    url = f"sqlite:///{path}"
    migrate_once(url)
    return url


@pytest.fixture
def database_url(template_db: str, tmp_path: Path) -> Iterator[str]:
    if PG_URL:
        reset_database(PG_URL)
        yield PG_URL
        return
    source = Path(template_db.removeprefix("sqlite:///"))
    target = tmp_path / "hub.db"
    shutil.copy(source, target)
    yield f"sqlite:///{target}"


@pytest.fixture
async def hub(database_url: str) -> AsyncIterator[LiveHub]:
    """The hub with no agencies configured, served over real HTTP."""
    async with start_hub(database_url) as live:
        yield live
