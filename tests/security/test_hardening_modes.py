"""Hardening that depends on how the hub is configured: each test runs its own hub (limits,
production mode, the dossier budget) or breaks one on purpose (a failing service)."""

from __future__ import annotations

import json

import pytest

from hub import cases as case_service
from hub.auth import Role
from tests.security.scene import (
    SUBJECT,
    agency_requests,
    audit_rows,
    code,
    file_case,
    last_audit_id,
    ok,
    principals,
    running_mocks,
)
from tests.support import start_hub

DOSSIER = """
query($c: String!, $i: String!) {
  dossier(caseNumber: $c, idNumber: $i) { subject { idNumber } credit { listed } }
}"""


async def test_limits_follow_the_settings(database_url: str) -> None:
    async with start_hub(database_url, max_depth=2, max_aliases=1) as live:
        token = await live.token("court_officer", "闽0602")
        assert "errors" not in await live.gql("{ cases { nodes { number } } }", token=token)
        deep = await live.gql("{ cases { nodes { parties { name } } } }", token=token)
        assert code(deep) == "BAD_USER_INPUT"
        aliases = await live.gql("{ a: me { id } b: me { id } }", token=token)
        assert code(aliases) == "BAD_USER_INPUT"


INTROSPECTION = "{ __schema { queryType { name } types { name } } }"


async def test_development_allows_introspection_and_suggests(database_url: str) -> None:
    async with start_hub(database_url) as live:
        token = await live.token("observer", "(2026)闽0602执1号")
        body = await live.gql(INTROSPECTION, token=token)
        assert ok(body)["__schema"]["queryType"]["name"] == "Query"
        typo = await live.gql("{ cass { totalCount } }", token=token)
        assert "Did you mean" in typo["errors"][0]["message"]


async def test_production_refuses_introspection_and_suggests_nothing(database_url: str) -> None:
    async with start_hub(database_url, env="production", secret_key="s" * 40) as live:
        token = await live.token("observer", "(2026)闽0602执1号")
        body = await live.gql(INTROSPECTION, token=token)
        assert code(body) == "BAD_USER_INPUT"
        assert "introspection" in body["errors"][0]["message"].lower()
        single_type = await live.gql('{ __type(name: "Case") { fields { name } } }', token=token)
        assert code(single_type) == "BAD_USER_INPUT"
        typo = await live.gql("{ cass { totalCount } }", token=token)
        assert code(typo) == "BAD_USER_INPUT"
        assert "Did you mean" not in typo["errors"][0]["message"]
        assert "errors" not in await live.gql("{ me { role } }", token=token)


async def test_an_unexpected_error_is_masked_and_its_id_logged(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    secret = f"database said: row for {SUBJECT} is corrupt"

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(secret)

    monkeypatch.setattr(case_service, "get_case", broken)
    async with start_hub(database_url) as live:
        token = await live.token("court_officer", "闽0602")
        body = await live.gql('{ case(number: "（2026）闽0602执1号") { number } }', token=token)

    error = body["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL"
    error_id = error["extensions"]["id"]
    assert error_id and error_id in error["message"]
    assert SUBJECT not in json.dumps(body, ensure_ascii=False)
    logged = "".join(capfd.readouterr())
    assert error_id in logged and "RuntimeError" in logged


async def test_dossier_reads_are_rate_limited_per_principal(
    database_url: str,
) -> None:
    async with (
        running_mocks() as (cluster, agencies),
        start_hub(database_url, agencies=agencies, dossier_reads_per_minute=2) as live,
    ):
        who = await principals(live)
        case = await file_case(live, who.court_own)
        colleague = await live.token(Role.COURT_OFFICER, "闽0602")
        for _ in range(2):
            ok(await live.gql(DOSSIER, {"c": case, "i": SUBJECT}, token=who.court_own))
        asked = await agency_requests(cluster)
        before = await last_audit_id(live)

        refused = await live.gql(DOSSIER, {"c": case, "i": SUBJECT}, token=who.court_own)

        assert code(refused) == "FORBIDDEN"
        assert refused["errors"][0]["extensions"]["retryAfter"] > 0
        assert await agency_requests(cluster) == asked
        assert await audit_rows(live, after=before) == []
        # the budget is the principal's, not the court's
        ok(await live.gql(DOSSIER, {"c": case, "i": SUBJECT}, token=colleague))
