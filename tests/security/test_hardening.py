"""GraphQL hardening: limits refuse a request before any resolver runs, bodies are bounded,
batching is off, production hides the schema, and bugs are masked with a logged id."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date

import pytest

from tests.security.scene import (
    SUBJECT,
    ApiHub,
    agency_requests,
    audit_rows,
    case_number,
    code,
    file_case,
    last_audit_id,
    ok,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


def deep_dossier(levels: int) -> str:
    """``case { parties(role: RESPONDENT) { dossier { subject { dossier { ... realEstateCount } } } } } }``,
    ``levels`` fields deep: ``case``, ``parties``, two per ``dossier { subject {`` and
    two for the innermost ``dossier { realEstateCount }``. (The limit counts nesting
    below the root field: ``levels - 1``.)
    """
    assert levels >= 4 and levels % 2 == 0
    inner = "dossier { realEstateCount }"
    for _ in range((levels - 4) // 2):
        inner = f"dossier {{ subject {{ {inner} }} }}"
    return (
        f"query($n: String!) {{ case(number: $n) {{ parties(role: RESPONDENT) {{ {inner} }} }} }}"
    )


def aliased_dossiers(count: int) -> str:
    fields = " ".join(
        f"d{i}: dossier(caseNumber: $c, idNumber: $i) {{ credit {{ listed }} }}"
        for i in range(count)
    )
    return f"query($c: String!, $i: String!) {{ {fields} }}"


async def refused_before_resolving(
    api: ApiHub, query: str, variables: dict[str, str], token: str
) -> dict[str, object]:
    live = api.live
    await live.gql("{ me { id } }", token=token)  # a first use is audited: not part of this
    before = await last_audit_id(live)
    asked = await agency_requests(api.mocks)
    body = await live.gql(query, variables, token=token)
    assert code(body) == "BAD_USER_INPUT", body
    assert body["data"] is None
    assert await agency_requests(api.mocks) == asked, "an agency was called"
    assert await audit_rows(live, after=before) == [], "a resolver ran"
    return body


async def test_a_query_twenty_levels_deep_is_refused_before_anything_runs(
    api_hub: ApiHub,
) -> None:
    live, who = api_hub.live, api_hub.who
    case = await file_case(live, who.court_own)
    deep = deep_dossier(20)

    body = await refused_before_resolving(api_hub, deep, {"n": case}, who.court_own)

    assert "depth" in str(body["errors"]).lower()
    # the same shape within the limit runs, and does reach the agencies
    asked = await agency_requests(api_hub.mocks)
    shallow = ok(await live.gql(deep_dossier(6), {"n": case}, token=who.court_own))
    assert shallow["case"]["parties"]
    assert await agency_requests(api_hub.mocks) > asked


async def test_sixty_aliases_are_refused_before_anything_runs(api_hub: ApiHub) -> None:
    live, who = api_hub.live, api_hub.who
    case = await file_case(live, who.court_own)
    variables = {"c": case, "i": SUBJECT}

    body = await refused_before_resolving(api_hub, aliased_dossiers(60), variables, who.court_own)

    assert "aliases" in str(body["errors"]).lower()
    asked = await agency_requests(api_hub.mocks)
    two = ok(await live.gql(aliased_dossiers(2), variables, token=who.court_own))
    assert set(two) == {"d0", "d1"}
    assert await agency_requests(api_hub.mocks) > asked


async def test_aliased_mutations_are_refused_before_anything_is_written(
    api_hub: ApiHub,
) -> None:
    live, who = api_hub.live, api_hub.who
    case = await file_case(live, who.court_own)
    mutation = "mutation {" + " ".join(
        f'u{i}: updateCaseStatus(number: "{case}", status: SETTLED) {{ status }}' for i in range(16)
    )
    await refused_before_resolving(api_hub, mutation + " }", {}, who.court_own)
    status = ok(
        await live.gql("query($n: String!) { case(number: $n) { status } }", {"n": case},
                       token=who.court_own)
    )  # fmt: skip
    assert status["case"]["status"] == "OPEN"


def with_tokens(count: int) -> str:
    """A document of ``count`` tokens (graphql-core counts the end of the document too):
    an unused variable with a long default."""
    head = "query($x: [Int!] = ["  # query ( $ x : [ Int ! ] = [  -> 10 tokens
    tail = "]) { me { id } }"  # ] ) { me { id } } <EOF>         -> 9 tokens
    return head + " 0" * (count - 19) + tail


async def test_too_many_tokens_is_refused_while_parsing(api_hub: ApiHub) -> None:
    live, who = api_hub.live, api_hub.who
    body = await refused_before_resolving(api_hub, with_tokens(2001), {}, who.court_own)
    assert "2000 tokens" in str(body["errors"])
    at_the_limit = await live.gql(with_tokens(2000), token=who.court_own)
    assert "tokens" not in str(at_the_limit.get("errors"))  # refused, if at all, for $x


async def test_a_too_large_body_is_413(api_hub: ApiHub) -> None:
    live, who = api_hub.live, api_hub.who
    limit = live.settings.max_body_bytes
    padding = "#" + "x" * limit + "\n"
    headers = {"Authorization": f"Bearer {who.court_own}"}
    declared = await live.client.post(
        "/graphql", json={"query": padding + "{ me { id } }"}, headers=headers
    )
    assert declared.status_code == 413
    assert declared.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    async def undeclared() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        data = json.dumps({"query": padding + "{ me { id } }"}).encode()
        for start in range(0, len(data), 64 * 1024):
            yield data[start : start + 64 * 1024]

    streamed = await live.client.post(
        "/graphql",
        content=undeclared(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413


async def test_batching_is_off(api_hub: ApiHub) -> None:
    live, who = api_hub.live, api_hub.who
    case = await file_case(live, who.court_own)
    await live.gql("{ me { id } }", token=who.court_own)
    before = await last_audit_id(live)
    operation = {
        "query": "mutation($n: String!) { updateCaseStatus(number: $n, status: SETTLED) { status } }",
        "variables": {"n": case},
    }
    response = await live.client.post(
        "/graphql",
        json=[operation, operation],
        headers={"Authorization": f"Bearer {who.court_own}"},
    )
    assert response.status_code == 400
    assert await audit_rows(live, after=before) == []


@pytest.mark.parametrize(
    ("declared", "value", "field"),
    [
        ("Decimal!", "abc", "v"),
        ("Decimal!", "NaN", "amountClaimed"),
        ("Decimal!", "1e999999999", "amountClaimed"),
        ("Date!", "2026-13-01", "v"),
        ("Date!", 20260101, "v"),
        ("Int!", 2**40, "v"),
        ("CaseStatus!", "CLOSED", "v"),
    ],
)
async def test_values_a_scalar_refuses_are_input_errors(
    api_hub: ApiHub, declared: str, value: object, field: str
) -> None:
    """A value the graph or the service cannot read is the caller's mistake, never INTERNAL."""
    live, who = api_hub.live, api_hub.who
    number, today = case_number(1), date.today().isoformat()
    uses = {
        "Decimal!": f'fileCase(input: {{number: "{number}", filedOn: "{today}", cause: "c",'
        " amountClaimed: $v, parties: []}) { number }",
        "Date!": f'fileCase(input: {{number: "{number}", filedOn: $v, cause: "c",'
        ' amountClaimed: "1.00", parties: []}) { number }',
        "Int!": "assistanceRequests(first: $v) { totalCount }",
        "CaseStatus!": f'updateCaseStatus(number: "{number}", status: $v) {{ status }}',
    }
    kind = "query" if declared == "Int!" else "mutation"
    body = await live.gql(f"{kind}($v: {declared}) {{ {uses[declared]} }}", {"v": value},
                          token=who.court_own)  # fmt: skip
    assert code(body) == "BAD_USER_INPUT", body
    assert body["errors"][0]["extensions"]["field"] == field


async def test_the_federation_subgraph_is_guarded_the_same_way(api_hub: ApiHub) -> None:
    live, who = api_hub.live, api_hub.who
    case = await file_case(live, who.court_own)
    anonymous = await live.client.post("/graphql/federation", json={"query": "{ me { id } }"})
    assert anonymous.status_code == 401
    asked = await agency_requests(api_hub.mocks)
    response = await live.client.post(
        "/graphql/federation",
        json={"query": deep_dossier(20), "variables": {"n": case}},
        headers={"Authorization": f"Bearer {who.court_own}"},
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await agency_requests(api_hub.mocks) == asked
    other = await live.client.post(
        "/graphql/federation",
        json={
            "query": "query($n: String!) { case(number: $n) { number } }",
            "variables": {"n": case},
        },
        headers={"Authorization": f"Bearer {who.court_other}"},
    )
    assert other.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
