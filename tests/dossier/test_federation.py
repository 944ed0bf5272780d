"""The graph as an Apollo Federation 2 subgraph: keyed entities, ``_service``, ``_entities``."""

from __future__ import annotations

from schema import build_schema
from schema.federation import build_federation_schema
from tests.dossier.conftest import CASE, CHEN, FILE, case_input
from tests.support import LiveHub


def test_federation_sdl_declares_the_entities() -> None:
    sdl = build_federation_schema().as_str()
    assert 'type Case @key(fields: "number"' in sdl
    assert 'type Party @key(fields: "id"' in sdl
    assert "_service: _Service!" in sdl and "_entities(representations: [_Any!]!)" in sdl
    assert "union _Entity = Case | Party" in sdl
    assert '@link(url: "https://specs.apollo.dev/federation/v2.9"' in sdl
    # One graph: /graphql serves the subgraph (and schema.graphql is its SDL).
    assert build_schema().as_str() == sdl


async def test_subgraph_served_with_the_same_rules(hub: LiveHub) -> None:
    officer = await hub.token("court_officer", "闽0602")
    assert "errors" not in await hub.gql(FILE, {"input": case_input()}, token=officer)

    async def federated(
        query: str, variables: dict | None = None, token: str | None = officer
    ) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await hub.client.post(
            "/graphql/federation",
            json={"query": query, "variables": variables or {}},
            headers=headers,
        )
        assert response.status_code == (200 if token else 401), response.text
        return response.json()

    sdl = (await federated("{ _service { sdl } }"))["data"]["_service"]["sdl"]
    assert 'type Case @key(fields: "number"' in sdl

    parties = await hub.gql(
        "query($n: String!) { case(number: $n) { parties { id idNumber } } }",
        {"n": CASE},
        token=officer,
    )
    chen = next(p for p in parties["data"]["case"]["parties"] if p["idNumber"] == CHEN)
    entities = """query($r: [_Any!]!) { _entities(representations: $r) {
        ... on Case { number status } ... on Party { name idNumber } } }"""
    reps = [{"__typename": "Case", "number": CASE}, {"__typename": "Party", "id": chen["id"]}]
    body = await federated(entities, {"r": reps})
    assert "errors" not in body, body
    assert body["data"]["_entities"] == [
        {"number": CASE, "status": "OPEN"},
        {"name": "陈某某", "idNumber": CHEN},
    ]

    # Another court's officer gets FORBIDDEN for each entity, as from case(number:).
    other = await hub.token("court_officer", "闽0603")
    body = await federated(entities, {"r": reps}, token=other)
    assert body["data"]["_entities"] == [None, None]
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN", "FORBIDDEN"]

    await federated("{ _service { sdl } }", token=None)  # no token: 401
