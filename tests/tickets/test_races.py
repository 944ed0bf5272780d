"""Two opens of one idempotency key at the same moment, against the real database: one
ticket, one property clue; the other open answers with the winner's ticket (same body)
or CONFLICT (another body) and leaves nothing of its own behind."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from hub.models import CaseEvent, PropertyClue, Ticket
from hub.storage import Database
from tests.tickets.conftest import APPLICANT_ID, CASE, COURT, OPEN, Centre, error, ok

CLUE_TICKET = {
    "caseNumber": CASE,
    "channel": "WINDOW",
    "category": "PROPERTY_CLUE",
    "content": "被执行人在漳浦县绥安镇有一套住宅。",
    "applicantName": "林某",
    "clue": {"kind": "REAL_ESTATE", "region": "350623"},
    "idempotencyKey": "window-race-0001",
}


@asynccontextmanager
async def writes_held(db: Database) -> AsyncIterator[None]:
    """Nobody writes a ticket while the block runs: another connection holds the tickets
    table (PostgreSQL) or the database's one write lock (SQLite)."""
    if db.is_postgres:
        async with db.engine.connect() as conn:
            await conn.execute(sa.text("LOCK TABLE tickets IN EXCLUSIVE MODE"))
            yield
            await conn.rollback()
        return
    path = db.url.database
    assert path is not None
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


@asynccontextmanager
async def key_checks(db: Database) -> AsyncIterator[list[str]]:
    """The statements that look a ticket up by its idempotency key, as they are sent."""
    seen: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM tickets" in statement and "tickets.idempotency_key =" in statement:
            seen.append(statement)

    engines = {id(e.sync_engine): e.sync_engine for e in (db.engine, db.reader)}
    for engine in engines.values():
        event.listen(engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        for engine in engines.values():
            event.remove(engine, "before_cursor_execute", watch)


async def open_together(centre: Centre, *inputs: dict[str, Any]) -> list[dict[str, Any]]:
    """Every open has found no ticket of its key before any of them may write one."""
    db = centre.live.state.db
    async with key_checks(db) as seen, writes_held(db):
        tasks = [
            asyncio.create_task(centre.gql(OPEN, {"input": values}, centre.officer))
            for values in inputs
        ]
        for _ in range(500):
            if len(seen) >= len(inputs) or any(t.done() for t in tasks):
                break
            await asyncio.sleep(0.01)
        assert len(seen) == len(inputs), "every open looked its key up while writes were held"
        assert not any(t.done() for t in tasks)
    return list(await asyncio.gather(*tasks))


async def counts(centre: Centre) -> tuple[int, int, int]:
    async with centre.live.state.db.session() as session:
        tickets = await session.scalar(sa.select(sa.func.count()).select_from(Ticket))
        clues = await session.scalar(sa.select(sa.func.count()).select_from(PropertyClue))
        events = await session.scalar(
            sa.select(sa.func.count())
            .select_from(CaseEvent)
            .where(CaseEvent.kind == "CLUE_SUBMITTED")
        )
    return int(tickets or 0), int(clues or 0), int(events or 0)


async def test_racing_opens_of_one_key_give_one_ticket_and_one_clue(centre: Centre) -> None:
    first, second = await open_together(centre, CLUE_TICKET, CLUE_TICKET)
    a, b = ok(first)["openTicket"], ok(second)["openTicket"]
    assert a["id"] == b["id"] and a["number"] == b["number"]
    assert await counts(centre) == (1, 1, 1)
    # the clue left is the ticket's own
    async with centre.live.state.db.session() as session:
        ticket = await session.scalar(sa.select(Ticket))
        clue = await session.scalar(sa.select(PropertyClue))
    assert ticket is not None and clue is not None and ticket.clue_id == clue.id
    assert clue.proposals and clue.proposals[0]["agency_id"] == "realestate-zhangpu"


async def test_a_racing_open_of_another_body_is_a_conflict_and_files_nothing(
    centre: Centre,
) -> None:
    other = {**CLUE_TICKET, "content": "被执行人在漳州市区有一辆小型轿车。"}
    answers = await open_together(centre, CLUE_TICKET, other)
    opened = [a for a in answers if not a.get("errors")]
    refused = [a for a in answers if a.get("errors")]
    assert len(opened) == 1 and len(refused) == 1, answers
    assert error(refused[0])["code"] == "CONFLICT"
    assert await counts(centre) == (1, 1, 1)


@pytest.mark.parametrize(
    ("clue", "code", "field"),
    [
        ({"kind": "REAL_ESTATE", "region": "35062x"}, "BAD_USER_INPUT", "clue.region"),
        ({"subjectIdNumber": "350203198507220034"}, "BAD_USER_INPUT", "clue.subjectIdNumber"),
        ({"subjectIdNumber": APPLICANT_ID}, "FORBIDDEN", None),  # clues are about respondents
    ],
)
async def test_a_refused_clue_opens_no_ticket(
    centre: Centre, clue: dict[str, str], code: str, field: str | None
) -> None:
    body = await centre.gql(OPEN, {"input": {**CLUE_TICKET, "clue": clue}}, centre.officer)
    assert error(body)["code"] == code
    assert error(body).get("field") == field
    assert await counts(centre) == (0, 0, 0)
    # nor did it take a number
    opened = ok(await centre.gql(OPEN, {"input": CLUE_TICKET}, centre.officer))["openTicket"]
    assert opened["number"] == f"（2026）{COURT}诉1号"
