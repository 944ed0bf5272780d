"""The closed loop with api agencies: the real dispatcher, the real mocks, over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mocks.runner import MockCluster
from tests.assistance.loop import (
    CANCEL,
    EVALUATE,
    RESEND,
    URGE,
    api_loop,
    code,
    data,
    mocks,
)

POLICE = {"agencyId": "police-fujian", "action": "LOCATE_PERSON"}


@pytest.fixture
async def cluster() -> AsyncIterator[MockCluster]:
    async with mocks() as running:
        yield running


async def test_api_loop_closed_by_callbacks(database_url: str, cluster: MockCluster) -> None:
    async with api_loop(database_url, cluster) as (loop, admin):
        created = data(await loop.create(**POLICE))["createAssistanceRequest"]
        assert created["status"] == "PENDING"
        node = await loop.wait_status(created["id"], {"COMPLETED"})
        assert node["agencyRef"].startswith("PL-")
        assert node["answer"]["outcome"] == "located"
        assert node["answer"]["result"]["residence"]
        kinds = [e["kind"] for e in node["events"]]
        assert kinds == ["CREATED", "DISPATCHED", "ACKNOWLEDGED", "COMPLETED"]
        assert node["events"][2]["actor"] == "agency:police-fujian"
        stats = await admin.stats("police")
        assert stats["assistance_received"] == 1
        assert stats["assistance_duplicates"] == 0
        assert stats["callbacks_sent"] >= 2
        data(await loop.gql(EVALUATE, {"id": created["id"], "rating": 4}))


async def test_api_loop_closed_by_polling_when_callbacks_do_not_come(
    database_url: str, cluster: MockCluster
) -> None:
    async with api_loop(database_url, cluster, poll_after_s=0.2) as (loop, admin):
        await admin.faults("police", callbacks=False)
        created = data(await loop.create(**POLICE))["createAssistanceRequest"]
        node = await loop.wait_status(created["id"], {"COMPLETED"})
        assert [e["kind"] for e in node["events"]][-2:] == ["ACKNOWLEDGED", "COMPLETED"]
        assert node["answer"]["outcome"] == "located"
        stats = await admin.stats("police")
        assert stats["callbacks_sent"] == 0
        assert stats["by_path"].get(f"/api/v1/assistance/{node['agencyRef']}", 0) >= 1


async def test_same_key_twice_is_one_request_and_one_delivery(
    database_url: str, cluster: MockCluster
) -> None:
    async with api_loop(database_url, cluster) as (loop, admin):
        first = data(await loop.create(idempotencyKey="k-1", **POLICE))["createAssistanceRequest"]
        await loop.wait_status(first["id"], {"DISPATCHED", "ACKNOWLEDGED", "COMPLETED"})
        again = data(await loop.create(idempotencyKey="k-1", **POLICE))["createAssistanceRequest"]
        assert again["id"] == first["id"]
        other = await loop.create(idempotencyKey="k-1", agencyId="police-fujian", action="QUERY")
        assert code(other) == "CONFLICT"
        await loop.wait_status(first["id"], {"COMPLETED"})
        stats = await admin.stats("police")
        assert (stats["assistance_received"], stats["assistance_duplicates"]) == (1, 0)


async def test_urge_counts_and_reaches_the_agency(database_url: str, cluster: MockCluster) -> None:
    async with api_loop(database_url, cluster) as (loop, admin):
        await admin.faults("police", complete_after_ms=60_000)  # stays open while we urge
        created = data(await loop.create(**POLICE))["createAssistanceRequest"]
        await loop.wait_status(created["id"], {"DISPATCHED", "ACKNOWLEDGED"})
        urged = data(await loop.gql(URGE, {"id": created["id"], "note": "请尽快"}))
        assert urged["urgeAssistanceRequest"]["urgeCount"] == 1
        for _ in range(500):
            if (await admin.stats("police"))["urges"] == 1:
                break
            await loop.wait_status(created["id"], {"DISPATCHED", "ACKNOWLEDGED"}, timeout_s=1)
        assert (await admin.stats("police"))["urges"] == 1
        cancelled = data(await loop.gql(CANCEL, {"id": created["id"], "r": "已履行"}))
        assert cancelled["cancelAssistanceRequest"]["status"] == "CANCELLED"


async def test_failed_after_the_budget_then_resent(database_url: str, cluster: MockCluster) -> None:
    # the budget is time: a second here, 72 hours by default
    budget = {"dispatcher_retry_budget_s": 1.0, "probe_every_s": 0.1}
    async with api_loop(database_url, cluster, **budget) as (loop, admin):
        await admin.faults("police", down=True)
        created = data(await loop.create(**POLICE))["createAssistanceRequest"]
        failed = await loop.wait_status(created["id"], {"FAILED"})
        assert failed["failure"].startswith("not delivered: ")
        assert "police-fujian" in failed["failure"]
        assert "350602" not in failed["failure"]  # names the agency, never the citizen
        assert [e["kind"] for e in failed["events"]] == ["CREATED", "FAILED"]
        assert (await admin.stats("police"))["assistance_received"] == 0
        # urging a failed delivery is pointless: re-send it
        assert code(await loop.gql(URGE, {"id": created["id"]})) == "CONFLICT"

        await admin.faults("police", down=False)
        await loop.wait_agency_state("police-fujian", "UP")  # probed back once its circuit allows
        resent = data(await loop.gql(RESEND, {"id": created["id"]}))["resendAssistanceRequest"]
        assert resent == {"id": created["id"], "status": "PENDING", "failure": None}
        node = await loop.wait_status(created["id"], {"COMPLETED"})
        assert [e["kind"] for e in node["events"]][:4] == [
            "CREATED",
            "FAILED",
            "RESENT",
            "DISPATCHED",
        ]
        assert node["idempotencyKey"] == created["idempotencyKey"]
        stats = await admin.stats("police")
        assert (stats["assistance_received"], stats["assistance_duplicates"]) == (1, 0)
