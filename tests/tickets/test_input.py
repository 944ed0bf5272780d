"""Bad input to the tickets' mutations: BAD_USER_INPUT naming the field, and nothing written."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from hub.models import AuditEntry, Ticket, TicketEvent, TicketJob
from tests.tickets.conftest import CASE, RATE, REPLY, Centre, error, ok

OPEN = "mutation($input: OpenTicketInput!) { openTicket(input: $input) { id } }"


def ticket_input(**changes: Any) -> dict[str, Any]:
    return {
        "caseNumber": CASE,
        "channel": "HOTLINE",
        "category": "PROGRESS",
        "content": "请问案件进展？",
        "applicantName": "林某",
        "applicantPhone": "0596-2345678",
        **changes,
    }


async def counts(centre: Centre) -> tuple[int, ...]:
    async with centre.live.state.db.session() as session:
        return tuple(
            [
                await session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
                for table in (Ticket, TicketEvent, TicketJob, AuditEntry)
            ]
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"content": "   "}, "content"),
        ({"content": ""}, "content"),
        ({"content": "x" * 2001}, "content"),
        ({"caseNumber": "（2026）闽0602执9999号"}, "caseNumber"),
        ({"caseNumber": "not a case"}, "caseNumber"),
        ({"applicantName": ""}, "applicantName"),
        ({"applicantPhone": "138abc00001"}, "applicantPhone"),
        ({"applicantPhone": "一三八"}, "applicantPhone"),
        ({"receivedAt": "2099-01-01T09:00:00+08:00"}, "receivedAt"),
        ({"channel": "ONLINE"}, "channel"),  # staff do not file the applicant's own
        ({"idempotencyKey": "k" * 201}, "idempotencyKey"),
        (
            {"category": "PROPERTY_CLUE", "clue": {"kind": "REAL_ESTATE", "region": "35x"}},
            "clue.region",
        ),
    ],
)
async def test_bad_ticket_input(centre: Centre, changes: dict[str, Any], field: str) -> None:
    before = await counts(centre)
    body = await centre.gql(OPEN, {"input": ticket_input(**changes)}, centre.officer)
    assert error(body) == {"code": "BAD_USER_INPUT", "field": field}, body
    assert body["data"] is None
    assert await counts(centre) == before


@pytest.mark.parametrize("rating", [0, 6, -1])
async def test_a_rating_is_one_to_five(centre: Centre, rating: int) -> None:
    ticket = await centre.open(centre.officer)
    ok(await centre.gql(REPLY, {"id": ticket["id"], "r": "已答复"}, centre.officer))
    before = await counts(centre)
    body = await centre.gql(RATE, {"id": ticket["id"], "r": rating}, centre.applicant)
    assert error(body) == {"code": "BAD_USER_INPUT", "field": "rating"}
    assert await counts(centre) == before
    seen = ok(
        await centre.gql(
            "query($id: ID!) { ticket(id: $id) { status rating } }",
            {"id": ticket["id"]},
            centre.applicant,
        )
    )["ticket"]
    assert seen == {"status": "REPLIED", "rating": None}


async def test_an_empty_reply_is_refused(centre: Centre) -> None:
    ticket = await centre.open(centre.officer)
    before = await counts(centre)
    body = await centre.gql(REPLY, {"id": ticket["id"], "r": "  \n "}, centre.officer)
    assert error(body) == {"code": "BAD_USER_INPUT", "field": "reply"}
    assert await counts(centre) == before


async def test_an_applicant_does_not_backdate(centre: Centre) -> None:
    body = await centre.gql(
        OPEN,
        {"input": ticket_input(channel="ONLINE", receivedAt="2026-11-01T09:00:00+08:00")},
        centre.applicant,
    )
    assert error(body) == {"code": "BAD_USER_INPUT", "field": "receivedAt"}
