"""The enforcement rules against the real mocks: the hub, its dispatcher, and a filed case."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mocks.runner import MockCluster
from tests.assistance.loop import Admin, Loop, api_loop, mocks


@pytest.fixture
async def cluster() -> AsyncIterator[MockCluster]:
    async with mocks() as running:
        yield running


@pytest.fixture
async def live(database_url: str, cluster: MockCluster) -> AsyncIterator[tuple[Loop, Admin]]:
    async with api_loop(database_url, cluster) as running:
        yield running
