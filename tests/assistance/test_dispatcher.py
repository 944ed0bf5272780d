"""The dispatcher's claims, leases and crash recovery, driven one round at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from hub import receipts
from hub.dispatcher import Dispatcher
from hub.models import AuditEntry, OutboxEntry, utcnow
from mocks.runner import MockCluster
from tests.assistance.loop import FAST, Admin, Loop, data, file_case, mock_agencies, mocks
from tests.support import start_hub

POLICE = {"agencyId": "police-fujian", "action": "LOCATE_PERSON"}


@pytest.fixture
async def cluster() -> AsyncIterator[MockCluster]:
    async with mocks() as running:
        yield running


@pytest.fixture
async def quiet(database_url: str, cluster: MockCluster) -> AsyncIterator[tuple[Loop, Admin]]:
    """The hub with the mocks' agencies but no dispatcher of its own: tests drive rounds."""
    async with (
        start_hub(database_url, agencies=mock_agencies(cluster), **FAST) as live,
        httpx.AsyncClient(timeout=10) as client,
    ):
        yield await file_case(live), Admin(cluster, client)


async def create(loop: Loop, n: int) -> list[str]:
    return [data(await loop.create(**POLICE))["createAssistanceRequest"]["id"] for _ in range(n)]


async def test_concurrent_claims_never_share_a_row(quiet: tuple[Loop, Admin]) -> None:
    loop, _ = quiet
    await create(loop, 7)
    hub = loop.live.state
    a, b = Dispatcher(hub, batch=3, worker_id="a"), Dispatcher(hub, batch=3, worker_id="b")
    first = await asyncio.gather(a.claim(), b.claim())
    second = await asyncio.gather(a.claim(), b.claim())
    claimed = [c.id for batch in (*first, *second) for c in batch]
    assert len(claimed) == 7 == len(set(claimed))
    assert all(c.attempts == 1 for batch in (*first, *second) for c in batch)
    assert await a.claim() == []  # all leased


async def test_lapsed_lease_is_reclaimed_and_looked_up_before_resending(
    quiet: tuple[Loop, Admin], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that delivered, then died before recording it: the next one must not resend."""
    loop, admin = quiet
    await admin.faults("police", callbacks=False)  # only the lookup can tell the heir
    [rid] = await create(loop, 1)
    hub = loop.live.state
    real = receipts.record_dispatches

    async def crash(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("killed between delivery and commit")

    monkeypatch.setattr(receipts, "record_dispatches", crash)
    doomed = Dispatcher(hub, lease_s=60.0, worker_id="doomed")
    assert await doomed.run_once() == 1
    assert (await admin.stats("police"))["assistance_received"] == 1
    node = await loop.get(rid)
    assert node is not None and node["status"] == "PENDING"

    monkeypatch.setattr(receipts, "record_dispatches", real)
    heir = Dispatcher(hub, worker_id="heir")
    assert await heir.run_once() == 0  # still leased by the dead worker
    async with hub.db.transaction() as session:  # the lease lapses (without waiting for it)
        await session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.claimed_by == "doomed")
            .values(claimed_until=utcnow() - timedelta(seconds=1))
        )
    assert await heir.run_once() == 1
    node = await loop.wait_status(rid, {"DISPATCHED"})
    assert node["agencyRef"] == "PL-000001"
    stats = await admin.stats("police")
    assert (stats["assistance_received"], stats["assistance_duplicates"]) == (1, 0)
    assert stats["by_path"].get("/api/v1/assistance", 0) >= 2  # one POST, then the lookup GET
    async with hub.db.session() as session:
        entry = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "agency.dispatch", AuditEntry.target == rid
            )
        )
        row = await session.scalar(
            select(OutboxEntry).where(OutboxEntry.request_id == rid, OutboxEntry.task == "deliver")
        )
    assert entry is not None and entry.detail["attempts"] == 2
    assert row is not None and row.done_at is not None and row.claimed_by == "heir"


async def test_backoff_then_delivery_and_metrics(quiet: tuple[Loop, Admin]) -> None:
    loop, admin = quiet
    [rid] = await create(loop, 1)
    hub = loop.live.state
    worker = Dispatcher(hub, worker_id="w", backoff_s=0.01)
    await admin.faults("police", down=True)
    assert await worker.run_once() == 1
    async with hub.db.session() as session:
        row = await session.scalar(select(OutboxEntry).where(OutboxEntry.request_id == rid))
    assert row is not None
    assert row.done_at is None and row.claimed_by is None and row.attempts == 1
    assert row.last_error and "police-fujian" in row.last_error
    await admin.faults("police", down=False)
    await asyncio.sleep(0.05)
    while await worker.run_once():
        pass
    await loop.wait_status(rid, {"DISPATCHED", "ACKNOWLEDGED", "COMPLETED"})
    metrics = (await loop.live.client.get("/metrics")).text
    assert 'hub_dispatch_deliveries_total{task="deliver"}' in metrics
    assert 'hub_dispatch_failures_total{final="false",task="deliver"}' in metrics
    assert "hub_dispatch_lag_seconds_count" in metrics


async def test_start_and_stop_deliver_in_the_background(quiet: tuple[Loop, Admin]) -> None:
    loop, admin = quiet
    ids = await create(loop, 3)
    worker = Dispatcher(loop.live.state, poll_s=0.01)
    await worker.start()
    try:
        for rid in ids:
            await loop.wait_status(rid, {"DISPATCHED", "ACKNOWLEDGED", "COMPLETED"})
    finally:
        await worker.stop()
    assert (await admin.stats("police"))["assistance_received"] == 3
