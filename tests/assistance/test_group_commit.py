"""Concurrent creations share transactions (group commit), and no creation fails, or
is changed, for another one's fault."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from adapters.sdk.config import AgencyConfig
from hub.audit import AuditRecord
from hub.group_commit import Check, Done, GroupCommit, Step
from hub.models import AssistanceRequest, AuditEntry, OutboxEntry, RequestEvent
from hub.request_creation import BATCHER
from hub.storage import Database
from tests.assistance.loop import (
    CONSOLE_AGENCY,
    CREATE,
    ZHOU,
    Loop,
    code,
    console_agency,
    data,
    file_case,
)
from tests.support import start_hub

QUERY = {"agencyId": CONSOLE_AGENCY, "action": "QUERY", "subjectIdNumber": ZHOU}


@pytest.fixture
async def loop(database_url: str) -> AsyncIterator[Loop]:
    async with start_hub(database_url, agencies=[console_agency()]) as live:
        yield await file_case(live)


async def _rows(db: Database, model: Any) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_concurrent_creations_share_commits_and_each_is_whole(loop: Loop) -> None:
    db = loop.live.state.db
    data(await loop.create(**QUERY))
    batcher = loop.live.state.get(BATCHER)
    assert batcher is not None
    batches, jobs = batcher.batches, batcher.jobs
    bodies = await asyncio.gather(*(loop.create(**QUERY) for _ in range(20)))
    ids = {data(b)["createAssistanceRequest"]["id"] for b in bodies}
    assert len(ids) == 20
    assert batcher.jobs - jobs == 20
    # fewer transactions than requests: they were written together
    assert batcher.batches - batches < 20
    async with db.session() as session:
        created = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "request.created"))
        ).all()
        events = (
            await session.scalars(select(RequestEvent).where(RequestEvent.request_id.in_(ids)))
        ).all()
    # each request has its own audit entry and its own events, nothing shared or lost
    assert sorted(e.target for e in created if e.target in ids) == sorted(ids)
    assert {e.request_id for e in events if e.kind == "CREATED"} == ids


async def test_a_refused_creation_leaves_the_others_in_its_batch(loop: Loop) -> None:
    keyed = {**QUERY, "idempotencyKey": "same-key"}
    first = data(await loop.create(**keyed))["createAssistanceRequest"]["id"]
    before = await _rows(loop.live.state.db, AssistanceRequest)
    good = [loop.create(**QUERY) for _ in range(6)]
    bad = [
        loop.create(**{**QUERY, "subjectIdNumber": "110101199003070011"}),  # not a party
        loop.create(**{**keyed, "documentNumber": "（2024）闽0602执1号"}),  # another body
        loop.create(**keyed),  # the same body again: the first request back
    ]
    bodies = await asyncio.gather(*good, *bad)
    made = [data(b)["createAssistanceRequest"]["id"] for b in bodies[:6]]
    assert len(set(made)) == 6
    assert code(bodies[6]) == "BAD_USER_INPUT"
    assert code(bodies[7]) == "CONFLICT"
    assert data(bodies[8])["createAssistanceRequest"]["id"] == first
    assert await _rows(loop.live.state.db, AssistanceRequest) == before + 6


async def test_a_failing_write_rolls_back_its_batch_and_the_others_run_alone(
    database_url: str,
) -> None:
    """The group commit itself: job "boom" fails while writing, after the jobs before it
    in its batch wrote; they are written again alone, and "boom" alone fails."""
    db = Database(database_url)
    attempts: dict[str, int] = {}

    async def open_batch(session: Any, jobs: list[str]) -> Check[str, str]:
        return check

    async def check(job: str) -> Step[str]:
        if job == "seen":
            return Done("seen before")

        async def write(audits: list[AuditRecord]) -> str:
            attempts[job] = attempts.get(job, 0) + 1
            audits.append(AuditRecord(actor="test", action="test.group", target=job))
            if job == "boom":
                raise RuntimeError("the write failed")
            return f"wrote {job}"

        return write

    batcher: GroupCommit[str, str] = GroupCommit(db, open_batch)
    try:
        jobs = ["a", "b", "boom", "seen", "c"]
        outcomes = await asyncio.gather(*(batcher.submit(j) for j in jobs), return_exceptions=True)
        assert outcomes[:2] == ["wrote a", "wrote b"]
        assert isinstance(outcomes[2], RuntimeError)
        assert outcomes[3:] == ["seen before", "wrote c"]
        async with db.session() as session:
            targets = (
                await session.scalars(
                    select(AuditEntry.target).where(AuditEntry.action == "test.group")
                )
            ).all()
        # written once each: the rolled-back batch left nothing behind
        assert sorted(targets) == ["a", "b", "c"]
        assert attempts["boom"] == 2  # in the batch, then alone
    finally:
        await db.dispose()


async def test_a_caller_that_goes_away_does_not_undo_its_creation(loop: Loop) -> None:
    from hub import assistance
    from hub.auth import authenticate

    principal = await authenticate(loop.live.state.db, loop.court)
    assert principal is not None
    before = await _rows(loop.live.state.db, OutboxEntry) + await _rows(
        loop.live.state.db, AssistanceRequest
    )
    order = assistance.RequestData(
        case_number=loop.number,
        subject_id_number=ZHOU,
        agency_id=CONSOLE_AGENCY,
        action="QUERY",
        idempotency_key="gone-away",
    )
    task = asyncio.create_task(assistance.create_request(loop.live.state, principal, order))
    await asyncio.sleep(0)  # queued
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # the creation goes on: asking again with the key finds it
    again = await assistance.create_request(loop.live.state, principal, order)
    assert again.idempotency_key == "gone-away"
    after = await _rows(loop.live.state.db, OutboxEntry) + await _rows(
        loop.live.state.db, AssistanceRequest
    )
    assert after == before + 1  # one request (a console agency's: no outbox row)


async def test_each_creation_in_a_batch_keeps_its_own_request_id(database_url: str) -> None:
    """The delivery's log lines carry the id of the HTTP request that asked for it, even
    when the creation was written by a batch another request started."""
    api_registry = AgencyConfig(
        id="realestate-api",
        kind="realestate",
        name="漳州市不动产登记中心",
        registry="350600",
        jurisdiction="350600",
        channel="api",
        base_url="http://127.0.0.1:9",  # never reached: no dispatcher runs here
    )
    async with start_hub(database_url, agencies=[console_agency(), api_registry]) as live:
        loop = await file_case(live)
        order = {**QUERY, "agencyId": "realestate-api"}

        async def create(n: int) -> tuple[str, str]:
            response = await live.client.post(
                "/graphql",
                json={
                    "query": CREATE,
                    "variables": {"input": {"caseNumber": loop.number, **order}},
                },
                headers={"Authorization": f"Bearer {loop.court}", "X-Request-Id": f"ask-{n}"},
            )
            return f"ask-{n}", data(response.json())["createAssistanceRequest"]["id"]

        made = dict(await asyncio.gather(*(create(n) for n in range(8))))
        async with live.state.db.session() as session:
            rows = (
                await session.scalars(
                    select(OutboxEntry).where(OutboxEntry.request_id.in_(made.values()))
                )
            ).all()
        assert {row.request_id: row.payload["request_id"] for row in rows} == {
            request: asked for asked, request in made.items()
        }
