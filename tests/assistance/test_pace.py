"""An agency's ``rate_per_s`` holds for every dispatcher together, not for each one.

Two hub "processes" (each its own state, engine and dispatcher) share one
database and drain one backlog to the real police mock; the orders that
reach the agency are timed on the wire.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from hub.dispatcher import Dispatcher
from hub.pacing import AgencyPacer, SharedAgencyPacer, agency_pacer
from hub.web.app import build_state
from mocks.runner import MockCluster
from tests.assistance.loop import FAST, data, file_case, mock_agencies, mocks
from tests.support import start_hub

POLICE = {"agencyId": "police-fujian", "action": "LOCATE_PERSON"}
RATE = 4.0  # orders a second
ORDERS = 12


class Stopwatch(httpx.AsyncBaseTransport):
    """The real network, noting when each order left for the agency."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.orders: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/api/v1/assistance"):
            self.orders.append(time.monotonic())
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
async def cluster() -> AsyncIterator[MockCluster]:
    async with mocks() as running:
        yield running


async def test_two_dispatchers_together_keep_the_agency_rate(
    database_url: str, cluster: MockCluster
) -> None:
    agencies = [
        a.model_copy(update={"rate_per_s": RATE}) if a.id == POLICE["agencyId"] else a
        for a in mock_agencies(cluster)
    ]
    watch = Stopwatch()
    transports: dict[str, httpx.AsyncBaseTransport] = {POLICE["agencyId"]: watch}
    async with start_hub(database_url, agencies=agencies, transports=transports, **FAST) as live:
        loop = await file_case(live)
        for _ in range(ORDERS):
            data(await loop.create(**POLICE))
        other = build_state(live.settings, transports=transports)  # a second process
        try:
            first = Dispatcher(live.state, batch=ORDERS // 2, worker_id="first")
            second = Dispatcher(other, batch=ORDERS // 2, worker_id="second")
            handled = await asyncio.gather(first.run_once(), second.run_once())
        finally:
            await other.aclose()
    assert handled == [ORDERS // 2, ORDERS // 2]  # both worked the backlog
    sent = sorted(watch.orders)
    assert len(sent) == ORDERS
    burst = int(RATE)  # a second's worth may go at once
    span = sent[-1] - sent[0]
    if live.state.db.is_postgres:
        # one bucket for both: after the burst, one order every 1/RATE s
        assert span >= (ORDERS - burst) / RATE - 0.2, sent
        for i in range(burst, ORDERS):
            assert sent[i] - sent[0] >= (i - burst + 1) / RATE - 0.2, (i, sent)
    else:
        # SQLite is one machine, one process in production: each state paces alone
        assert span < (ORDERS - burst) / RATE - 0.5, sent


async def test_one_process_keeps_one_pace_for_all_its_dispatchers(database_url: str) -> None:
    async with start_hub(database_url) as live:
        a, b = Dispatcher(live.state), Dispatcher(live.state)
        assert a.pacer is b.pacer
        expected = SharedAgencyPacer if live.state.db.is_postgres else AgencyPacer
        assert isinstance(agency_pacer(live.state), expected)
