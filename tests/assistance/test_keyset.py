"""Keyset cursors: a page continues after the last row seen, whatever changed meanwhile."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hub import cursors
from tests.assistance.loop import (
    CANCEL,
    CONSOLE_AGENCY,
    LIST,
    ZHOU,
    Loop,
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


async def page(loop: Loop, order: str, after: str | None, token: str | None = None) -> dict:
    variables = {"f": {"status": "DISPATCHED"}, "first": 3, "after": after, "order": order.upper()}
    return data(await loop.gql(LIST, variables, token=token))["assistanceRequests"]


@pytest.mark.parametrize("order", ["newest", "inbox"])
async def test_no_row_is_skipped_when_rows_leave_the_list_between_pages(
    loop: Loop, order: str
) -> None:
    created = [data(await loop.create(**QUERY))["createAssistanceRequest"] for _ in range(8)]
    assert {r["status"] for r in created} == {"DISPATCHED"}
    token = await loop.agency_token(CONSOLE_AGENCY) if order == "inbox" else None
    everything = [n["id"] for n in (await page(loop, order, None, token))["nodes"]]
    first = await page(loop, order, None, token)
    seen = [n["id"] for n in first["nodes"]]
    # the rows of the first page are cancelled (they leave the DISPATCHED filter) and a new
    # one arrives before the second page is asked for
    for request_id in seen:
        data(await loop.gql(CANCEL, {"id": request_id, "r": "撤回"}))
    data(await loop.create(**QUERY))
    after = first["pageInfo"]["endCursor"]
    while after:
        next_page = await page(loop, order, after, token)
        seen += [n["id"] for n in next_page["nodes"]]
        after = next_page["pageInfo"]["endCursor"] if next_page["pageInfo"]["hasNextPage"] else None
    originals = {r["id"] for r in created}
    assert len(seen) == len(set(seen)), "a row was shown twice"
    assert originals <= set(seen), "a row was skipped"
    assert everything == seen[:3]


async def test_a_foreign_or_broken_cursor_is_bad_input(loop: Loop) -> None:
    for bad in ["nope", cursors.encode("case", [1]), cursors.encode("req", ["x", "y"])]:
        body = await loop.gql(LIST, {"first": 3, "after": bad, "order": "NEWEST", "f": None})
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
