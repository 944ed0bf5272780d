"""One hub per test module for the table-driven tests: ``shared_hub`` with two console
agencies, ``api_hub`` with the five mock agencies running."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.conftest import PG_URL
from tests.security.scene import (
    CONSOLE_AGENCIES,
    ApiHub,
    Principals,
    principals,
    running_mocks,
)
from tests.support import LiveHub, reset_database, start_hub


async def module_database(template_db: str, tmp: Path) -> str:
    if PG_URL:
        await asyncio.to_thread(reset_database, PG_URL)
        return PG_URL
    target = tmp / "hub.db"
    shutil.copy(Path(template_db.removeprefix("sqlite:///")), target)
    return f"sqlite:///{target}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_hub(
    template_db: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[LiveHub, Principals]]:
    """The real hub with two console agencies, and a token per fixed role."""
    url = await module_database(template_db, tmp_path_factory.mktemp("security"))
    async with start_hub(url, agencies=CONSOLE_AGENCIES) as live:
        yield live, await principals(live)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api_hub(
    template_db: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ApiHub]:
    url = await module_database(template_db, tmp_path_factory.mktemp("api"))
    async with running_mocks() as (cluster, agencies), start_hub(url, agencies=agencies) as live:
        yield ApiHub(live, await principals(live), cluster)
