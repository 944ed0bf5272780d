"""诉求数据监控: ticketStats against a hand count of tickets planted in two months."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from hub.auth import Role
from tests.support import start_hub
from tests.tickets.conftest import (
    APPLICANT_ID,
    CASE,
    COURT,
    FILE_CASE,
    OTHER_COURT,
    RATE,
    REPLY,
    Centre,
    case_input,
    error,
    make_centre,
    ok,
)

WAGES_CASE = "（2026）闽0602执503号"  # a livelihood case: wages owed
STATS = """
query($court: String!, $from: Date!, $to: Date!) {
  ticketStats(court: $court, from: $from, to: $to) {
    total overdue overdueRate satisfaction
    byCategory { category count previousCount change }
    livelihood { total overdue overdueRate satisfaction
                 byCategory { category count previousCount change } livelihood { total } }
  }
}"""


@pytest.fixture
async def centre(database_url: str) -> AsyncIterator[Centre]:
    # a month for meetings with the judge: the one November ticket still within its time
    async with start_hub(database_url, ticket_due_days={"MEET_JUDGE": 40}) as live:
        yield await make_centre(live)


def by_category(stats: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {
        c["category"]: (c["count"], c["previousCount"], c["change"])
        for c in stats["byCategory"]
        if c["count"] or c["previousCount"]
    }


async def test_month_on_month_against_a_hand_count(centre: Centre) -> None:
    wages = case_input(WAGES_CASE, ("PERSON", "郑某某", "350203198507220034"))
    wages["livelihood"] = "WAGES"
    ok(await centre.gql(FILE_CASE, {"input": wages}, centre.officer))
    wages_applicant = await centre.live.token(Role.APPLICANT, f"{WAGES_CASE}:350203198507220034")
    assert APPLICANT_ID  # CASE's applicant is centre.applicant

    async def plant(category: str, at: str, case: str = CASE) -> str:
        ticket = await centre.open(
            centre.officer, caseNumber=case, channel="LETTER", category=category, receivedAt=at
        )
        return str(ticket["id"])

    # October: the previous period of November (30 days) is 2 to 31 October
    await plant("COMPLAINT", "2026-10-01T12:00:00+08:00")  # before it: counted nowhere
    await plant("PROGRESS", "2026-10-10T09:00:00+08:00")
    october_rated = await plant("PROGRESS", "2026-10-20T09:00:00+08:00", WAGES_CASE)
    await plant("FUNDS", "2026-10-31T23:30:00+08:00")  # late on the last evening
    # November
    await plant("PROGRESS", "2026-11-01T00:10:00+08:00")  # just after midnight, Shanghai time
    rated_five = await plant("PROGRESS", "2026-11-05T09:00:00+08:00")
    await plant("PROGRESS", "2026-11-30T23:50:00+08:00")
    rated_two = await plant("FUNDS", "2026-11-12T09:00:00+08:00", WAGES_CASE)
    await plant("MEET_JUDGE", "2026-11-20T09:00:00+08:00", WAGES_CASE)  # due in January
    await plant("PROGRESS", "2026-12-01T00:05:00+08:00")  # after it

    for ticket, token, rating in (
        (rated_five, centre.applicant, 5),
        (rated_two, wages_applicant, 2),
        (october_rated, wages_applicant, 1),
    ):
        ok(await centre.gql(REPLY, {"id": ticket, "r": "已答复"}, centre.officer))
        ok(await centre.gql(RATE, {"id": ticket, "r": rating}, token))

    variables = {"court": COURT, "from": "2026-11-01", "to": "2026-11-30"}
    stats = ok(await centre.gql(STATS, variables, centre.officer))["ticketStats"]
    # by hand: 5 in November, 3 in the period before; all but the meeting are past due
    # (answered late or not at all); ratings 5 and 2
    assert stats["total"] == 5
    assert stats["overdue"] == 4
    assert stats["overdueRate"] == pytest.approx(0.8)
    assert stats["satisfaction"] == pytest.approx(3.5)
    assert by_category(stats) == {
        "PROGRESS": (3, 2, 1),
        "FUNDS": (1, 1, 0),
        "MEET_JUDGE": (1, 0, 1),
    }
    assert [c["category"] for c in stats["byCategory"]] == [
        "PROGRESS",
        "PROPERTY_CLUE",
        "FUNDS",
        "MEET_JUDGE",
        "COMPLAINT",
        "OTHER",
    ]
    apart = stats["livelihood"]
    assert (apart["total"], apart["overdue"], apart["satisfaction"]) == (2, 1, 2.0)
    assert apart["overdueRate"] == pytest.approx(0.5)
    assert by_category(apart) == {
        "PROGRESS": (0, 1, -1),
        "FUNDS": (1, 0, 1),
        "MEET_JUDGE": (1, 0, 1),
    }
    assert apart["livelihood"] is None

    # October alone (31 days: the period before it reaches into September)
    october = ok(
        await centre.gql(
            STATS, {"court": COURT, "from": "2026-10-01", "to": "2026-10-31"}, centre.officer
        )
    )["ticketStats"]
    assert october["total"] == 4
    assert october["satisfaction"] == pytest.approx(1.0)
    assert by_category(october)["COMPLAINT"] == (1, 0, 1)

    # another court's figures are its own, and only its leadership reads them
    other = await centre.live.token(Role.COURT_OFFICER, OTHER_COURT)
    elsewhere = ok(await centre.gql(STATS, {**variables, "court": OTHER_COURT}, other))
    assert elsewhere["ticketStats"]["total"] == 0
    assert elsewhere["ticketStats"]["satisfaction"] is None
    for token in (other, centre.applicant):
        assert error(await centre.gql(STATS, variables, token))["code"] == "FORBIDDEN"
    assert ok(await centre.gql(STATS, variables, centre.admin))["ticketStats"]["total"] == 5
    backwards = await centre.gql(STATS, {**variables, "to": "2026-10-01"}, centre.officer)
    assert error(backwards) == {"code": "BAD_USER_INPUT", "field": "to"}
