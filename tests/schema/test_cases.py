"""The case part of the graph, end to end over HTTP against a real database."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import LiveHub

FILE = """
mutation($input: FileCaseInput!) {
  fileCase(input: $input) {
    number court filedOn deadline cause livelihood status amountClaimed amountRecovered overdue
    parties { id role kind name idNumber }
    events { kind actor note }
  }
}"""

CASE = "query($n: String!) { case(number: $n) { number status parties { name idNumber } events { kind note } } }"


def case_input(number: str = "(2026)闽0602执1234号", **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": number,
        "filedOn": "2026-06-12",
        "cause": "典当纠纷",
        "amountClaimed": "150000.00",
        "parties": [
            {
                "role": "APPLICANT",
                "kind": "ORGANIZATION",
                "name": "漳州市某典当有限责任公司",
                "idNumber": "91350600MA2Y00001B",
            },
            {
                "role": "RESPONDENT",
                "kind": "PERSON",
                "name": "陈某某",
                "idNumber": "350602198003150015",
            },
        ],
    }
    data.update(over)
    return data


async def test_file_and_read_case(hub: LiveHub) -> None:
    token = await hub.token("court_officer", "闽0602")
    body = await hub.gql(FILE, {"input": case_input()}, token=token)
    assert "errors" not in body, body
    case = body["data"]["fileCase"]
    assert case["number"] == "（2026）闽0602执1234号"  # stored with full-width parentheses
    assert case["court"] == "闽0602"
    assert case["deadline"] == "2026-12-12"
    assert case["status"] == "OPEN"
    assert case["amountClaimed"] == "150000.00"
    assert case["amountRecovered"] == "0.00"
    assert [p["role"] for p in case["parties"]] == ["APPLICANT", "RESPONDENT"]
    assert case["parties"][1]["idNumber"] == "350602198003150015"
    assert [e["kind"] for e in case["events"]] == ["FILED"]

    read = await hub.gql(CASE, {"n": "（2026）闽0602执1234号"}, token=token)
    assert read["data"]["case"]["parties"][1]["name"] == "陈某某"
    # half-width parentheses find the same case
    read2 = await hub.gql(CASE, {"n": "(2026)闽0602执1234号"}, token=token)
    assert read2["data"]["case"]["number"] == "（2026）闽0602执1234号"


async def test_duplicate_case_is_conflict_and_writes_nothing(hub: LiveHub) -> None:
    token = await hub.token("court_officer", "闽0602")
    assert "errors" not in await hub.gql(FILE, {"input": case_input()}, token=token)
    again = await hub.gql(FILE, {"input": case_input(number="（2026）闽0602执1234号")}, token=token)
    assert again["errors"][0]["extensions"]["code"] == "CONFLICT"
    listed = await hub.gql("{ cases { totalCount } }", token=token)
    assert listed["data"]["cases"]["totalCount"] == 1


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"number": "（2026）闽9999执1号"}, "number"),
        ({"number": "（2026）闽0602刑1号"}, "number"),
        ({"amountClaimed": "1.005"}, "amountClaimed"),
        ({"cause": "   "}, "cause"),
        (
            {
                "parties": [
                    {
                        "role": "APPLICANT",
                        "kind": "PERSON",
                        "name": "张某",
                        "idNumber": "350602197501010010",
                    },
                    {
                        "role": "RESPONDENT",
                        "kind": "PERSON",
                        "name": "陈某某",
                        "idNumber": "350602198003150016",
                    },
                ]
            },
            "parties.1.idNumber",
        ),
        (
            {
                "parties": [
                    {
                        "role": "APPLICANT",
                        "kind": "PERSON",
                        "name": "张某",
                        "idNumber": "350602197501010010",
                    }
                ]
            },
            "parties",
        ),
        ({"filedOn": "2025-06-12"}, "filedOn"),
    ],
)
async def test_bad_input_is_typed_and_writes_nothing(
    hub: LiveHub, override: dict[str, Any], field: str
) -> None:
    token = await hub.token("court_officer", "闽0602")
    body = await hub.gql(FILE, {"input": case_input(**override)}, token=token)
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == field
    listed = await hub.gql("{ cases { totalCount } }", token=token)
    assert listed["data"]["cases"]["totalCount"] == 0


async def test_no_token_or_bad_token_is_401(hub: LiveHub) -> None:
    response = await hub.client.post("/graphql", json={"query": "{ me { role } }"})
    assert response.status_code == 401
    response = await hub.client.post(
        "/graphql", json={"query": "{ me { role } }"}, headers={"Authorization": "Bearer hub_nope"}
    )
    assert response.status_code == 401


async def test_other_court_is_refused(hub: LiveHub) -> None:
    mine = await hub.token("court_officer", "闽0602")
    other = await hub.token("court_officer", "闽0206")
    assert "errors" not in await hub.gql(FILE, {"input": case_input()}, token=mine)
    read = await hub.gql(CASE, {"n": "（2026）闽0602执1234号"}, token=other)
    assert read["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert read["data"]["case"] is None
    change = await hub.gql(
        'mutation { updateCaseStatus(number: "（2026）闽0602执1234号", status: SETTLED) { status } }',
        token=other,
    )
    assert change["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # filing in another court's name is refused too
    filed = await hub.gql(FILE, {"input": case_input(number="（2026）闽0602执9号")}, token=other)
    assert filed["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    listed = await hub.gql("{ cases { totalCount } }", token=other)
    assert listed["data"]["cases"]["totalCount"] == 0


async def test_status_changes_and_pagination(hub: LiveHub) -> None:
    token = await hub.token("court_officer", "闽0602")
    for i in range(1, 6):
        assert "errors" not in await hub.gql(
            FILE, {"input": case_input(number=f"（2026）闽0602执{i}号")}, token=token
        )
    changed = await hub.gql(
        'mutation { updateCaseStatus(number: "（2026）闽0602执3号", status: TERMINATED, note: "无可供执行财产") { status events { kind note } } }',
        token=token,
    )
    assert changed["data"]["updateCaseStatus"]["status"] == "TERMINATED"
    assert changed["data"]["updateCaseStatus"]["events"][-1]["kind"] == "STATUS_CHANGED"
    illegal = await hub.gql(
        'mutation { updateCaseStatus(number: "（2026）闽0602执3号", status: SETTLED) { status } }',
        token=token,
    )
    assert illegal["errors"][0]["extensions"]["code"] == "CONFLICT"

    seen: list[str] = []
    after = None
    while True:
        page = await hub.gql(
            "query($a: String) { cases(first: 2, after: $a) { edges { cursor node { number } } pageInfo { hasNextPage endCursor } } }",
            {"a": after},
            token=token,
        )
        conn = page["data"]["cases"]
        seen += [e["node"]["number"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert len(seen) == 5 and len(set(seen)) == 5
    terminated = await hub.gql(
        "{ cases(filter: {status: TERMINATED}) { nodes { number } } }", token=token
    )
    assert [n["number"] for n in terminated["data"]["cases"]["nodes"]] == ["（2026）闽0602执3号"]


async def test_me(hub: LiveHub) -> None:
    token = await hub.token("observer", "(2026)闽0602执1号")
    body = await hub.gql("{ me { role scope } }", token=token)
    assert body["data"]["me"] == {"role": "observer", "scope": "（2026）闽0602执1号"}
