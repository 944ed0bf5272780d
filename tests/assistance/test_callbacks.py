"""``POST /callbacks/{agency_id}``: signed, fresh, applied once; anything else changes nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from hub.models import OutboxEntry
from hub.pacing import DISPATCH_CLOCK, DispatchClock
from mocks._common import DEV_SECRETS, callback_signature
from mocks.runner import MockCluster
from tests.assistance.loop import Loop, api_loop, data, mocks

SECRET = DEV_SECRETS["police"]


@pytest.fixture
async def cluster() -> AsyncIterator[MockCluster]:
    async with mocks() as running:
        yield running


@pytest.fixture
async def dispatched(
    database_url: str, cluster: MockCluster
) -> AsyncIterator[tuple[Loop, dict[str, Any]]]:
    """A police order delivered and waiting; the mock sends no callbacks of its own."""
    async with api_loop(database_url, cluster) as (loop, admin):
        await admin.faults("police", callbacks=False, complete_after_ms=60_000)
        created = data(await loop.create(agencyId="police-fujian", action="LOCATE_PERSON"))
        node = await loop.wait_status(created["createAssistanceRequest"]["id"], {"DISPATCHED"})
        yield loop, node


def body(node: dict[str, Any], status: str = "ACKNOWLEDGED", **over: Any) -> dict[str, Any]:
    payload = {
        "event_id": str(uuid.uuid4()),
        "timestamp": datetime.now(UTC).isoformat(),
        "agency_ref": node["agencyRef"],
        "request_id": node["id"],
        "idempotency_key": node["idempotencyKey"],
        "status": status,
        "outcome": None,
        "result": None,
    }
    payload.update(over)
    return payload


async def post(
    loop: Loop,
    payload: dict[str, Any] | bytes,
    *,
    agency: str = "police-fujian",
    secret: str = SECRET,
    signature: str | None = None,
    sign_over: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    sig = signature if signature is not None else callback_signature(secret, sign_over or raw)
    response = await loop.live.client.post(
        f"/callbacks/{agency}",
        content=raw,
        headers={"content-type": "application/json", "x-hub-signature": sig},
    )
    return response.status_code, response.json()


async def state(loop: Loop, rid: str) -> tuple[str, list[str]]:
    node = await loop.get(rid)
    assert node is not None
    return node["status"], [e["kind"] for e in node["events"]]


async def test_signed_callback_applies_once_and_a_replay_changes_nothing(
    dispatched: tuple[Loop, dict[str, Any]],
) -> None:
    loop, node = dispatched
    ack = body(node)
    assert await post(loop, ack) == (200, {"status": "applied"})
    status, events = await state(loop, node["id"])
    assert status == "ACKNOWLEDGED"
    assert events == ["CREATED", "DISPATCHED", "ACKNOWLEDGED"]

    # the very same callback again, and the same event id with another body
    assert await post(loop, ack) == (200, {"status": "duplicate"})
    forged_replay = {**ack, "status": "COMPLETED", "outcome": "located"}
    assert await post(loop, forged_replay) == (200, {"status": "duplicate"})
    assert await state(loop, node["id"]) == (status, events)

    # a new event: completed, with the answer; bare hex signatures are fine too
    done = body(node, "COMPLETED", outcome="located", result={"residence": "漳州"})
    raw = json.dumps(done).encode()
    hexsig = callback_signature(SECRET, raw).removeprefix("sha256=")
    assert await post(loop, raw, signature=hexsig) == (200, {"status": "applied"})
    final = await loop.get(node["id"])
    assert final is not None
    assert final["status"] == "COMPLETED"
    assert final["answer"] == {"outcome": "located", "result": {"residence": "漳州"}}
    # an agency repeating an old status (a new event id) is harmless
    assert await post(loop, body(node, "ACKNOWLEDGED")) == (200, {"status": "unchanged"})
    assert await state(loop, node["id"]) == ("COMPLETED", [*events, "COMPLETED"])


async def test_completed_callback_for_a_dispatched_request_passes_through_acknowledged(
    dispatched: tuple[Loop, dict[str, Any]],
) -> None:
    loop, node = dispatched
    done = body(node, "COMPLETED", outcome="not_found", result={})
    assert await post(loop, done) == (200, {"status": "applied"})
    assert await state(loop, node["id"]) == (
        "COMPLETED",
        ["CREATED", "DISPATCHED", "ACKNOWLEDGED", "COMPLETED"],
    )


async def test_a_callback_re_arms_the_poll_by_the_dispatcher_clock(
    dispatched: tuple[Loop, dict[str, Any]],
) -> None:
    """The poll row is due by the clock of the loop that runs it: a dispatcher on simulated
    time (the soak's) a day ahead of the wall, stopped there."""
    loop, node = dispatched
    hub = loop.live.state
    ahead = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    hub.put(DISPATCH_CLOCK, DispatchClock(wall=ahead.timestamp))
    assert await post(loop, body(node)) == (200, {"status": "applied"})
    async with hub.db.session() as session:
        polls = (
            await session.scalars(
                sa.select(OutboxEntry.available_at).where(
                    OutboxEntry.request_id == node["id"],
                    OutboxEntry.task == "poll",
                    OutboxEntry.done_at.is_(None),
                )
            )
        ).all()
    assert polls == [ahead + timedelta(seconds=hub.settings.poll_after_s)]


async def test_refused_callbacks_change_nothing(dispatched: tuple[Loop, dict[str, Any]]) -> None:
    loop, node = dispatched
    before = await state(loop, node["id"])
    good = body(node, "COMPLETED", outcome="located")
    raw = json.dumps(good).encode()
    tampered = raw.replace(b"located", b"escaped")

    assert (await post(loop, tampered, sign_over=raw))[0] == 401  # body changed after signing
    assert (await post(loop, raw, signature=""))[0] == 401  # unsigned
    assert (await post(loop, raw, signature="sha256=" + "0" * 64))[0] == 401
    assert (await post(loop, raw, secret=DEV_SECRETS["credit"]))[0] == 401  # another agency's key
    old = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert (await post(loop, body(node, timestamp=old)))[0] == 401  # stale: maybe a replay
    assert (await post(loop, body(node, timestamp=None)))[0] == 401
    assert (await post(loop, b"{not json"))[0] == 400
    assert (
        await post(loop, body(node, agency_ref="PL-999999", request_id=None, idempotency_key=None))
    )[0] == 404
    assert (await post(loop, good, agency="police-nowhere"))[0] == 404
    # a real agency cannot report on another agency's order
    credit = body(node, agency_ref=node["agencyRef"])
    assert (await post(loop, credit, agency="credit-fujian", secret=DEV_SECRETS["credit"]))[
        0
    ] == 404

    assert await state(loop, node["id"]) == before
    # and the refused event was not remembered: once properly signed, it applies
    assert await post(loop, good) == (200, {"status": "applied"})

    metrics = (await loop.live.client.get("/metrics")).text
    assert 'hub_callbacks_total{agency="police-fujian",outcome="bad_signature"}' in metrics
