"""The closed loop with a console agency (no system: its staff answer in the hub), over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest

from hub.audit import verify_chain
from tests.assistance.loop import (
    ACK,
    ANSWER,
    CONSOLE_AGENCY,
    DEBTOR,
    EVALUATE,
    LIST,
    REJECT,
    URGE,
    ZHANGPU_CERT,
    ZHOU,
    Loop,
    code,
    console_agency,
    data,
    error,
    file_case,
)
from tests.support import start_hub


@pytest.fixture
async def loop(database_url: str) -> AsyncIterator[Loop]:
    async with start_hub(database_url, agencies=[console_agency()]) as live:
        yield await file_case(live)


async def seal(loop: Loop, **over: object) -> dict[str, object]:
    fields = {
        "subjectIdNumber": ZHOU,
        "agencyId": CONSOLE_AGENCY,
        "action": "SEAL",
        "documentNumber": "（2026）闽0602执1号之一",
        "details": {"certificate": ZHANGPU_CERT},
        **over,
    }
    node: dict[str, object] = data(await loop.create(**fields))["createAssistanceRequest"]
    return node


async def test_full_loop_create_inbox_acknowledge_answer_evaluate(loop: Loop) -> None:
    created = await seal(loop)
    rid = str(created["id"])
    # no system to push to: it waits in the console inbox at once
    assert created["status"] == "DISPATCHED"
    assert [e["kind"] for e in created["events"]] == ["CREATED", "DISPATCHED"]  # type: ignore[index, union-attr]
    assert created["subject"] == {"name": "周某", "idNumber": ZHOU}
    assert created["agency"] == {"id": CONSOLE_AGENCY, "channel": "CONSOLE"}
    assert created["overdue"] is False

    officer = await loop.agency_token(CONSOLE_AGENCY)
    inbox = data(await loop.gql(LIST, {"first": 10, "order": "INBOX"}, token=officer))[
        "assistanceRequests"
    ]
    assert inbox["totalCount"] == 1
    assert inbox["nodes"][0]["id"] == rid
    # the addressed agency sees the subject's full ID number: it has to act on it
    seen = await loop.get(rid, token=officer)
    assert seen is not None and seen["subject"]["idNumber"] == ZHOU

    acked = data(await loop.gql(ACK, {"id": rid}, token=officer))["acknowledgeAssistanceRequest"]
    assert acked["status"] == "ACKNOWLEDGED"
    # acknowledging twice is an illegal transition
    assert code(await loop.gql(ACK, {"id": rid}, token=officer)) == "CONFLICT"

    expires = (date.today() + timedelta(days=20)).isoformat()
    answered = data(
        await loop.gql(
            ANSWER,
            {
                "input": {
                    "id": rid,
                    "outcome": "sealed",
                    "result": {"rank": "first", "expires_on": expires},
                }
            },
            token=officer,
        )
    )["answerAssistanceRequest"]
    assert answered["status"] == "COMPLETED"
    assert answered["answer"] == {
        "outcome": "sealed",
        "result": {"rank": "FIRST", "expires_on": expires},
    }
    assert answered["sealRank"] == "FIRST"
    assert answered["sealExpiresOn"] == expires
    assert answered["answeredAt"] is not None

    evaluated = data(await loop.gql(EVALUATE, {"id": rid, "rating": 5, "comment": "及时"}))[
        "evaluateAssistanceRequest"
    ]
    assert evaluated["evaluation"] == {"rating": 5, "comment": "及时"}
    again = await loop.gql(EVALUATE, {"id": rid, "rating": 4})
    assert code(again) == "CONFLICT"

    final = await loop.get(rid)
    assert final is not None
    assert [e["kind"] for e in final["events"]] == [
        "CREATED",
        "DISPATCHED",
        "ACKNOWLEDGED",
        "COMPLETED",
        "EVALUATED",
    ]
    assert all(e["actor"] for e in final["events"])

    # the seal shows among those lapsing soon, for renewal (续封)
    soon = await loop.gql("{ expiringSeals(withinDays: 30) { id sealExpiresOn } }")
    assert [s["id"] for s in data(soon)["expiringSeals"]] == [rid]
    later = await loop.gql("{ expiringSeals(withinDays: 10) { id } }")
    assert data(later)["expiringSeals"] == []

    # every step was audited, and the chain still verifies
    checked, broken, why = await verify_chain(loop.live.state.db)
    assert broken is None, why
    assert checked >= 6

    # an answered request leaves the open part of the inbox
    open_inbox = data(
        await loop.gql(
            LIST, {"first": 10, "order": "INBOX", "f": {"status": "DISPATCHED"}}, token=officer
        )
    )["assistanceRequests"]
    assert open_inbox["totalCount"] == 0


async def test_answer_without_acknowledging_passes_through_acknowledged(loop: Loop) -> None:
    rid = str((await seal(loop))["id"])
    officer = await loop.agency_token(CONSOLE_AGENCY)
    body = await loop.gql(
        ANSWER, {"input": {"id": rid, "outcome": "not_found", "result": {}}}, token=officer
    )
    node = data(body)["answerAssistanceRequest"]
    assert node["status"] == "COMPLETED"
    assert [e["kind"] for e in node["events"]][-2:] == ["ACKNOWLEDGED", "COMPLETED"]
    assert node["sealRank"] is None  # an empty answer is an answer; nothing was sealed


@pytest.mark.parametrize(
    ("result", "field"),
    [
        ({"rank": "SECOND"}, "result.rank"),
        ({"rank": "FIRST", "expires_on": "soon"}, "result.expires_on"),
    ],
)
async def test_bad_seal_answer_is_refused_and_changes_nothing(
    loop: Loop, result: dict[str, str], field: str
) -> None:
    rid = str((await seal(loop))["id"])
    officer = await loop.agency_token(CONSOLE_AGENCY)
    body = await loop.gql(
        ANSWER, {"input": {"id": rid, "outcome": "sealed", "result": result}}, token=officer
    )
    err = error(body)
    assert err["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    node = await loop.get(rid)
    assert node is not None and node["status"] == "DISPATCHED"


async def test_reject_then_evaluate(loop: Loop) -> None:
    rid = str((await seal(loop))["id"])
    officer = await loop.agency_token(CONSOLE_AGENCY)
    rejected = data(await loop.gql(REJECT, {"id": rid, "r": "证号不符"}, token=officer))
    assert rejected["rejectAssistanceRequest"] == {
        "id": rid,
        "status": "REJECTED",
        "answer": {"outcome": "证号不符"},
    }
    assert "errors" not in await loop.gql(EVALUATE, {"id": rid, "rating": 2})


async def test_evaluate_before_answer_is_conflict(loop: Loop) -> None:
    rid = str((await seal(loop))["id"])
    assert code(await loop.gql(EVALUATE, {"id": rid, "rating": 3})) == "CONFLICT"
    bad = await loop.gql(EVALUATE, {"id": rid, "rating": 6})
    assert error(bad)["extensions"] == {"code": "BAD_USER_INPUT", "field": "rating"}


async def test_other_agencies_and_courts_see_nothing(loop: Loop) -> None:
    rid = str((await seal(loop))["id"])
    other = await loop.live.token("agency_officer", "police-fujian")
    assert await loop.get(rid, token=other) is None
    listed = data(await loop.gql(LIST, {"first": 10, "order": "NEWEST"}, token=other))
    assert listed["assistanceRequests"]["totalCount"] == 0
    # nor may it answer: the order does not exist for it
    body = await loop.gql(ANSWER, {"input": {"id": rid, "outcome": "x"}}, token=other)
    assert code(body) == "NOT_FOUND"

    other_court = await loop.live.token("court_officer", "闽0603")
    assert await loop.get(rid, token=other_court) is None
    assert code(await loop.gql(URGE, {"id": rid}, token=other_court)) == "NOT_FOUND"

    # the court may read but not answer its own request
    assert code(await loop.gql(ACK, {"id": rid})) == "FORBIDDEN"


async def test_urged_requests_come_first_in_the_inbox(loop: Loop) -> None:
    first = str((await seal(loop))["id"])
    second = str(
        (await seal(loop, subjectIdNumber=DEBTOR, action="QUERY", documentNumber=None))["id"]
    )
    officer = await loop.agency_token(CONSOLE_AGENCY)

    async def inbox() -> list[str]:
        body = await loop.gql(LIST, {"first": 10, "order": "INBOX"}, token=officer)
        return [n["id"] for n in data(body)["assistanceRequests"]["nodes"]]

    # SEAL is due sooner than QUERY by default
    assert await inbox() == [first, second]
    urged = data(await loop.gql(URGE, {"id": second, "note": "请尽快"}))["urgeAssistanceRequest"]
    assert urged["urgeCount"] == 1
    urged = data(await loop.gql(URGE, {"id": second}))["urgeAssistanceRequest"]
    assert urged["urgeCount"] == 2
    assert await inbox() == [second, first]
    node = await loop.get(second)
    assert node is not None
    assert [e["kind"] for e in node["events"]].count("URGED") == 2
    assert node["events"][2]["note"] == "请尽快"


async def test_pagination_and_case_rollup(loop: Loop) -> None:
    ids = [str((await seal(loop, action="QUERY", documentNumber=None))["id"]) for _ in range(3)]
    page = data(await loop.gql(LIST, {"first": 2, "order": "NEWEST"}))["assistanceRequests"]
    assert page["totalCount"] == 3
    assert page["pageInfo"]["hasNextPage"] is True
    rest = data(
        await loop.gql(
            LIST, {"first": 2, "order": "NEWEST", "after": page["pageInfo"]["endCursor"]}
        )
    )["assistanceRequests"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert {n["id"] for n in page["nodes"] + rest["nodes"]} == set(ids)

    officer = await loop.agency_token(CONSOLE_AGENCY)
    data(await loop.gql(REJECT, {"id": ids[0], "r": "无此登记"}, token=officer))
    body = await loop.gql(
        "query($n: String!) { case(number: $n) { requestsByStatus { status count overdue }"
        " assistanceRequests { id status } } }",
        {"n": loop.number},
    )
    case = data(body)["case"]
    assert case["requestsByStatus"] == [
        {"status": "DISPATCHED", "count": 2, "overdue": 0},
        {"status": "REJECTED", "count": 1, "overdue": 0},
    ]
    assert [r["id"] for r in case["assistanceRequests"]] == ids

    only_rejected = data(
        await loop.gql(
            LIST,
            {
                "first": 10,
                "order": "NEWEST",
                "f": {"status": "REJECTED", "caseNumber": loop.number},
            },
        )
    )["assistanceRequests"]
    assert [n["id"] for n in only_rejected["nodes"]] == [ids[0]]
    none_overdue = data(
        await loop.gql(LIST, {"first": 10, "order": "NEWEST", "f": {"overdue": True}})
    )["assistanceRequests"]
    assert none_overdue["totalCount"] == 0
