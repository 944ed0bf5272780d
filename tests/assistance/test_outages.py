"""Outages cost nothing: orders wait out a down agency, with no try spent, for up to the budget.

The dispatcher is driven one round at a time on a clock the test moves, so a
day of outage takes no time; the agencies' state is what the probes found
and ``/readyz`` shows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from hub.dispatcher import Dispatcher
from hub.models import OutboxEntry, utcnow
from hub.pacing import DispatchClock
from hub.probes import agency_probes
from mocks.runner import MockCluster
from tests.assistance.loop import FAST, Admin, Loop, data, file_case, mock_agencies, mocks
from tests.support import LiveHub, start_hub

POLICE = {"agencyId": "police-fujian", "action": "LOCATE_PERSON"}
HOUR = 3600.0


class MovableClock(DispatchClock):
    """The wall clock plus an offset the test sets."""

    def __init__(self) -> None:
        super().__init__()
        self.offset_s = 0.0

    def now(self) -> datetime:
        return utcnow() + timedelta(seconds=self.offset_s)


@pytest.fixture
async def cluster() -> AsyncIterator[MockCluster]:
    async with mocks() as running:
        yield running


async def readyz(live: LiveHub) -> dict[str, str]:
    body = (await live.client.get(f"{live.url}/readyz")).json()
    return {agency: info["state"] for agency, info in body["agencies"].items()}


async def events(loop: Loop, rid: str) -> list[str]:
    node = await loop.get(rid)
    assert node is not None
    return [e["kind"] for e in node["events"]]


async def test_readyz_names_each_agency_state_from_the_first_second(
    database_url: str, cluster: MockCluster
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        await Admin(cluster, client).faults("police", down=True)
        async with start_hub(database_url, agencies=mock_agencies(cluster), **FAST) as live:
            states = await readyz(live)  # no traffic yet: only the start-up probe knows
    assert states["police-fujian"] == "DOWN"
    assert states["tax-fujian"] == "UP"
    assert set(states.values()) <= {"UP", "DOWN", "DEGRADED"}


async def test_a_day_down_spends_no_try_and_delivers_once_after(
    database_url: str, cluster: MockCluster
) -> None:
    async with (
        start_hub(database_url, agencies=mock_agencies(cluster), **FAST) as live,
        httpx.AsyncClient(timeout=10) as client,
    ):
        admin, loop = Admin(cluster, client), await file_case(live)
        hub = live.state
        await admin.faults("police", down=True, callbacks=False)
        await agency_probes(hub).round(everyone=True)
        assert (await readyz(live))["police-fujian"] == "DOWN"
        rids = [data(await loop.create(**POLICE))["createAssistanceRequest"]["id"] for _ in "ab"]

        clock = MovableClock()
        dispatcher = Dispatcher(hub, clock=clock, worker_id="patient")
        for hours in (0, 0.5, 6, 24):
            clock.offset_s = hours * HOUR
            assert await dispatcher.run_once() == 0  # waiting, not trying
        async with hub.db.session() as session:
            rows = (await session.scalars(select(OutboxEntry))).all()
        assert [(r.attempts, r.sends, r.last_error) for r in rows] == [(0, 0, None)] * 2
        assert (await admin.stats("police"))["assistance_received"] == 0

        await admin.faults("police", down=False)
        await agency_probes(hub).round()
        assert (await readyz(live))["police-fujian"] == "UP"
        assert await dispatcher.run_once() == 2
        for rid in rids:
            assert await events(loop, rid) == ["CREATED", "DISPATCHED"]
        stats = await admin.stats("police")
        assert (stats["assistance_received"], stats["assistance_duplicates"]) == (2, 0)


async def test_past_the_budget_it_asks_the_agency_then_fails_saying_why(
    database_url: str, cluster: MockCluster
) -> None:
    async with (
        start_hub(database_url, agencies=mock_agencies(cluster), **FAST) as live,
        httpx.AsyncClient(timeout=10) as client,
    ):
        admin, loop = Admin(cluster, client), await file_case(live)
        hub = live.state
        await admin.faults("police", down=True)
        await agency_probes(hub).round(everyone=True)
        rid = data(await loop.create(**POLICE))["createAssistanceRequest"]["id"]

        clock = MovableClock()
        dispatcher = Dispatcher(hub, clock=clock, retry_budget_s=72 * HOUR, worker_id="w")
        clock.offset_s = 71 * HOUR
        assert await dispatcher.run_once() == 0
        before = (await admin.stats("police"))["by_path"]
        clock.offset_s = 73 * HOUR  # the budget is spent: one more try, then ask, then FAILED
        assert await dispatcher.run_once() == 1
        node = await loop.get(rid)
        assert node is not None and node["status"] == "FAILED"
        assert node["failure"].startswith("not delivered: police-fujian: ")
        assert "asking the agency failed too" in node["failure"]
        assert await events(loop, rid) == ["CREATED", "FAILED"]
        after = (await admin.stats("police"))["by_path"]
        # the order (POST) and the lookup (GET) both went to the orders path
        assert after["/api/v1/assistance"] > before.get("/api/v1/assistance", 0) + 1
