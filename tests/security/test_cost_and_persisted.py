"""Query cost limits and persisted queries (APQ and an allow-list), over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hub.persisted import sha256
from tests.dossier.conftest import FILE, case_input
from tests.support import LiveHub, start_hub

CASES = "query($n: Int) { cases(first: $n) { edges { node { number } } } }"
ME = "{ me { role } }"


def refusal(body: dict[str, Any]) -> dict[str, Any]:
    assert body["data"] is None, body
    (error,) = body["errors"]
    extensions: dict[str, Any] = error["extensions"]
    return extensions


async def test_a_query_over_the_maximum_cost_runs_nothing(database_url: str) -> None:
    weights = {"Mutation.fileCase": 600}
    async with start_hub(database_url, max_cost=500, cost_weights=weights) as live:
        officer = await live.token("court_officer", "闽0602")
        # a connection's items count by its `first`, as a literal or a variable
        over = await live.gql("{ cases(first: 500) { edges { node { number } } } }", token=officer)
        assert refusal(over) == {
            "code": "BAD_USER_INPUT",
            "field": "query",
            "cost": 1001,
            "maxCost": 500,
        }
        assert "errors" not in await live.gql(CASES, {"n": 100}, token=officer)
        assert refusal(await live.gql(CASES, {"n": 400}, token=officer))["cost"] == 801
        # nested lists multiply; a dossier weighs what it asks of every agency
        dossiers = """{ cases(first: 20) { edges { node { parties { dossier {
                       credit { listed } } } } } } }"""
        assert refusal(await live.gql(dossiers, token=officer))["cost"] > 2500
        # an operation refused for its cost writes nothing
        refused = await live.gql(FILE, {"input": case_input()}, token=officer)
        assert refusal(refused)["cost"] >= 600
        count = await live.gql("{ cases { totalCount } }", token=officer)
        assert count["data"]["cases"]["totalCount"] == 0


async def test_automatic_persisted_queries(hub: LiveHub) -> None:
    token = await hub.token("admin", "*")
    headers = {"Authorization": f"Bearer {token}"}
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": sha256(ME)}}

    async def post(body: dict[str, Any]) -> dict[str, Any]:
        response = await hub.client.post("/graphql", json=body, headers=headers)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    missing = await post({"extensions": persisted})
    assert missing["errors"][0]["message"] == "PersistedQueryNotFound"
    assert refusal(missing) == {"code": "PERSISTED_QUERY_NOT_FOUND"}
    assert (await post({"query": ME, "extensions": persisted}))["data"] == {"me": {"role": "admin"}}
    assert (await post({"extensions": persisted}))["data"] == {"me": {"role": "admin"}}
    by_get = await hub.client.get(
        "/graphql", params={"extensions": json.dumps(persisted)}, headers=headers
    )
    assert by_get.json()["data"] == {"me": {"role": "admin"}}
    wrong = await post({"query": "{ me { name } }", "extensions": persisted})
    assert refusal(wrong) == {"code": "BAD_USER_INPUT", "field": "extensions.persistedQuery"}
    # without a token the hash is no way in
    anonymous = await hub.client.post("/graphql", json={"extensions": persisted})
    assert anonymous.status_code == 401


async def test_allow_list_runs_only_the_listed_queries(database_url: str, tmp_path: Path) -> None:
    manifest = tmp_path / "persisted.json"
    manifest.write_text(json.dumps({sha256(ME): ME}))
    async with start_hub(
        database_url, persisted_queries="allowlist", persisted_queries_file=manifest
    ) as live:
        token = await live.token("admin", "*")
        by_hash = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(ME)}}}
        response = await live.client.post(
            "/graphql", json=by_hash, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.json()["data"] == {"me": {"role": "admin"}}
        assert (await live.gql(ME, token=token))["data"] == {"me": {"role": "admin"}}
        other = await live.gql("{ me { name } }", token=token)
        assert refusal(other) == {"code": "FORBIDDEN"}
        unknown = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}}
        response = await live.client.post(
            "/graphql", json=unknown, headers={"Authorization": f"Bearer {token}"}
        )
        assert refusal(response.json()) == {"code": "FORBIDDEN"}
