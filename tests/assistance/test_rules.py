"""Who may create what: validation, idempotency, cancellation, clues (console agency only)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from hub.models import AssistanceRequest, OutboxEntry, RequestEvent
from tests.assistance.loop import (
    ACK,
    CANCEL,
    CONSOLE_AGENCY,
    DEBTOR,
    RESEND,
    STRANGER,
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


async def count(loop: Loop, model: Any) -> int:
    async with loop.live.state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


QUERY = {"agencyId": CONSOLE_AGENCY, "action": "QUERY", "subjectIdNumber": ZHOU}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"action": "DETAIN"}, "action"),  # a registry does not detain people
        ({"action": "SEAL"}, "documentNumber"),
        ({"action": "SEAL", "documentNumber": "  "}, "documentNumber"),
        ({"subjectIdNumber": STRANGER}, "subjectIdNumber"),
        ({"agencyId": "realestate-nowhere"}, "agencyId"),
        ({"details": [1, 2]}, "details"),
        ({"action": "UNSEAL", "documentNumber": "X"}, "details"),
        (
            {"action": "UNSEAL", "documentNumber": "X", "details": {"seal_request_id": "nope"}},
            "details",
        ),
        ({"idempotencyKey": "k" * 201}, "idempotencyKey"),
        ({"caseNumber": "no case number"}, "caseNumber"),
    ],
)
async def test_bad_input_names_the_field_and_writes_nothing(
    loop: Loop, fields: dict[str, Any], field: str
) -> None:
    err = error(await loop.create(**{**QUERY, **fields}))
    assert err["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert await count(loop, AssistanceRequest) == 0
    assert await count(loop, RequestEvent) == 0


async def test_only_the_cases_own_court_creates(loop: Loop) -> None:
    other = await loop.live.token("court_officer", "闽0603")
    assert code(await loop.create(token=other, **QUERY)) == "FORBIDDEN"
    observer = await loop.live.token("observer", loop.number)
    assert code(await loop.create(token=observer, **QUERY)) == "FORBIDDEN"
    agency = await loop.agency_token(CONSOLE_AGENCY)
    assert code(await loop.create(token=agency, **QUERY)) == "FORBIDDEN"
    # the observer of the case follows its requests, read-only
    rid = data(await loop.create(**QUERY))["createAssistanceRequest"]["id"]
    seen = await loop.get(rid, token=observer)
    assert seen is not None
    assert seen["subject"]["idNumber"] != ZHOU  # masked for observers
    assert code(await loop.gql(URGE, {"id": rid}, token=observer)) == "FORBIDDEN"


async def test_same_key_same_body_returns_the_first_request(loop: Loop) -> None:
    first = data(await loop.create(idempotencyKey="order-1", **QUERY))["createAssistanceRequest"]
    # the same body, written differently (half-width parentheses, lower-case x)
    again = data(
        await loop.create(
            idempotencyKey="order-1",
            caseNumber=loop.number.replace("（", "(").replace("）", ")"),
            **QUERY,
        )
    )["createAssistanceRequest"]
    assert again["id"] == first["id"]
    assert again["idempotencyKey"] == "order-1"
    assert await count(loop, AssistanceRequest) == 1
    assert [e["kind"] for e in again["events"]] == ["CREATED", "DISPATCHED"]


async def test_same_key_other_body_is_conflict(loop: Loop) -> None:
    data(await loop.create(idempotencyKey="order-2", **QUERY))
    other = await loop.create(idempotencyKey="order-2", **{**QUERY, "subjectIdNumber": DEBTOR})
    assert code(other) == "CONFLICT"
    assert await count(loop, AssistanceRequest) == 1


async def test_without_a_key_each_create_is_new(loop: Loop) -> None:
    a = data(await loop.create(**QUERY))["createAssistanceRequest"]
    b = data(await loop.create(**QUERY))["createAssistanceRequest"]
    assert a["id"] != b["id"] and a["idempotencyKey"] != b["idempotencyKey"]


async def test_cancel_before_answer_only(loop: Loop) -> None:
    rid = data(await loop.create(**QUERY))["createAssistanceRequest"]["id"]
    cancelled = data(await loop.gql(CANCEL, {"id": rid, "r": "已和解"}))["cancelAssistanceRequest"]
    assert cancelled["status"] == "CANCELLED"
    assert code(await loop.gql(CANCEL, {"id": rid, "r": "again"})) == "CONFLICT"
    assert code(await loop.gql(URGE, {"id": rid})) == "CONFLICT"
    officer = await loop.agency_token(CONSOLE_AGENCY)
    assert code(await loop.gql(ACK, {"id": rid}, token=officer)) == "CONFLICT"
    # only FAILED requests are re-sent
    assert code(await loop.gql(RESEND, {"id": rid})) == "CONFLICT"
    node = await loop.get(rid)
    assert node is not None
    assert node["events"][-1] == {
        "kind": "CANCELLED",
        "actor": node["events"][-1]["actor"],
        "note": "已和解",
    }


async def test_console_requests_never_reach_the_outbox(loop: Loop) -> None:
    rid = data(await loop.create(**QUERY))["createAssistanceRequest"]["id"]
    data(await loop.gql(URGE, {"id": rid, "note": "催"}))
    assert await count(loop, OutboxEntry) == 0


async def test_unseal_lifts_a_completed_seal_once(loop: Loop) -> None:
    sealed = data(
        await loop.create(
            agencyId=CONSOLE_AGENCY,
            subjectIdNumber=ZHOU,
            action="SEAL",
            documentNumber="（2026）闽0602执1号之一",
            details={"certificate": ZHANGPU_CERT},
        )
    )["createAssistanceRequest"]
    unseal = {
        "agencyId": CONSOLE_AGENCY,
        "subjectIdNumber": ZHOU,
        "action": "UNSEAL",
        "documentNumber": "（2026）闽0602执1号之二",
        "details": {"sealRequestId": sealed["id"]},
    }
    # not yet completed: nothing to lift
    assert error(await loop.create(**unseal))["extensions"]["field"] == "details"
    officer = await loop.agency_token(CONSOLE_AGENCY)
    from tests.assistance.loop import ANSWER

    data(
        await loop.gql(
            ANSWER,
            {"input": {"id": sealed["id"], "outcome": "sealed", "result": {"rank": "WAITING"}}},
            token=officer,
        )
    )
    # another subject's seal cannot be lifted through this one
    wrong = await loop.create(**{**unseal, "subjectIdNumber": DEBTOR})
    assert error(wrong)["extensions"]["field"] == "details"
    lifted = data(await loop.create(**unseal))["createAssistanceRequest"]
    assert lifted["unsealsId"] == sealed["id"]
    assert lifted["details"]["certificate"] == ZHANGPU_CERT  # carried over from the seal
    assert lifted["details"]["seal_request_id"] == sealed["id"]
    twice = await loop.create(**{**unseal, "idempotencyKey": "another"})
    assert code(twice) == "CONFLICT"


CLUE = """
mutation($input: PropertyClueInput!) { submitPropertyClue(input: $input) { id proposals { agencyId action } } }"""
CONFIRM = """
mutation($id: ID!, $choices: [Int!], $doc: String) {
  confirmPropertyClue(id: $id, choices: $choices, documentNumber: $doc) { id action agencyId status details }
}"""


async def test_confirming_a_clue_creates_its_proposed_requests(loop: Loop) -> None:
    clue = data(
        await loop.gql(
            CLUE,
            {
                "input": {
                    "caseNumber": loop.number,
                    "subjectIdNumber": ZHOU,
                    "kind": "REAL_ESTATE",
                    "description": "漳浦县房产一处",
                    "region": "350623",
                    "details": {"certificate": ZHANGPU_CERT},
                }
            },
        )
    )["submitPropertyClue"]
    assert clue["proposals"] == [{"agencyId": CONSOLE_AGENCY, "action": "SEAL"}]
    # a seal needs the court's document number
    missing = await loop.gql(CONFIRM, {"id": clue["id"]})
    assert error(missing)["extensions"] == {"code": "BAD_USER_INPUT", "field": "documentNumber"}
    bad_choice = await loop.gql(CONFIRM, {"id": clue["id"], "choices": [3], "doc": "D-1"})
    assert error(bad_choice)["extensions"] == {"code": "BAD_USER_INPUT", "field": "choices"}
    assert await count(loop, AssistanceRequest) == 0

    made = data(await loop.gql(CONFIRM, {"id": clue["id"], "choices": [0], "doc": "D-1"}))
    requests = made["confirmPropertyClue"]
    assert [(r["action"], r["agencyId"], r["status"]) for r in requests] == [
        ("SEAL", CONSOLE_AGENCY, "DISPATCHED")
    ]
    assert requests[0]["details"] == {"certificate": ZHANGPU_CERT}
    # confirming again returns the same request, not a second one
    again = data(await loop.gql(CONFIRM, {"id": clue["id"], "doc": "D-1"}))["confirmPropertyClue"]
    assert [r["id"] for r in again] == [requests[0]["id"]]
    assert await count(loop, AssistanceRequest) == 1
    other = await loop.live.token("court_officer", "闽0603")
    assert (
        code(await loop.gql(CONFIRM, {"id": clue["id"], "doc": "D-1"}, token=other)) == "NOT_FOUND"
    )
