"""Control characters are refused at the GraphQL boundary as BAD_USER_INPUT naming the
argument (a NUL used to reach PostgreSQL and come back INTERNAL), and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from hub.hygiene import bad_text
from tests.security.scene import (
    AGENCY,
    CONSOLE_AGENCIES,
    CREATE_REQUEST,
    SUBJECT,
    audit_rows,
    file_case,
)
from tests.support import LiveHub, start_hub

NUL = "\x00"

# (query, variables, the argument named)
CASES: list[tuple[str, dict[str, Any], str]] = [
    (
        "query($n: String!) { case(number: $n) { number } }",
        {"n": f"(2026)闽0602执{NUL}1号"},
        "number",
    ),
    ("query($id: ID!) { assistanceRequest(id: $id) { id } }", {"id": f"abc{NUL}"}, "id"),
    (
        "query($f: CaseFilter) { cases(filter: $f) { totalCount } }",
        {"f": {"partyIdNumber": f"3506021980{NUL}0015"}},
        "partyIdNumber",
    ),
    (
        "query($f: AssistanceRequestFilter) { assistanceRequests(filter: $f) { totalCount } }",
        {"f": {"caseNumber": f"{NUL}"}},
        "caseNumber",
    ),
    ('{ assistanceRequests(filter: {agencyId: "x\\u0000"}) { totalCount } }', {}, "agencyId"),
    ('{ case(number: "a\\u001bb") { number } }', {}, "number"),
    ('{ assistanceRequest(id: "a\\nb") { id } }', {}, "id"),
]


def refused(body: dict[str, Any], field: str) -> None:
    assert body.get("data") is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["field"] == field, error


@pytest.mark.parametrize(("query", "variables", "field"), CASES)
async def test_control_characters_in_reads_are_bad_input(
    hub: LiveHub, query: str, variables: dict[str, Any], field: str
) -> None:
    token = await hub.token("court_officer", "闽0602")
    refused(await hub.gql(query, variables, token=token), field)


async def test_a_nul_in_an_idempotency_key_writes_nothing(database_url: str) -> None:
    async with start_hub(database_url, agencies=CONSOLE_AGENCIES) as hub:
        token = await hub.token("court_officer", "闽0602")
        case = await file_case(hub, token)
        before = len(await audit_rows(hub))
        variables = {
            "input": {
                "caseNumber": case,
                "subjectIdNumber": SUBJECT,
                "agencyId": AGENCY,
                "action": "QUERY",
                "idempotencyKey": f"key{NUL}1",
            }
        }
        refused(await hub.gql(CREATE_REQUEST, variables, token=token), "idempotencyKey")
        assert len(await audit_rows(hub)) == before
        variables["input"]["idempotencyKey"] = "key-1"
        assert "errors" not in await hub.gql(CREATE_REQUEST, variables, token=token)


def test_free_text_keeps_line_breaks_identifiers_do_not() -> None:
    assert not bad_text("outcome", "第一行\n第二行\t完\r\n")
    assert bad_text("outcome", "a\x00b") and bad_text("outcome", "a\x7fb")
    assert bad_text("outcome", "a\ud800b")  # a lone surrogate cannot be stored either
    for name in ("id", "idempotencyKey", "caseNumber", "subjectIdNumber", "courtCode", "after"):
        assert bad_text(name, "a\nb"), name
