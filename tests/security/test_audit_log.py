"""Administrators read the audit log by case, subject, principal, action and time; nobody
else reads it, and reading it is itself recorded."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest

from hub.models import utcnow
from tests.security.scene import (
    SUBJECT,
    SUBJECT_MASKED,
    Principals,
    audit_rows,
    code,
    ok,
    scene,
)
from tests.support import LiveHub

pytestmark = pytest.mark.asyncio(loop_scope="module")

LOG = """
query($f: AuditFilter, $first: Int, $after: String) {
  auditLog(filter: $f, first: $first, after: $after) {
    nodes { id at principalId actor action purpose subject target detail hash prevHash }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def log(live: LiveHub, token: str, **variables: Any) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = ok(await live.gql(LOG, variables, token=token))["auditLog"][
        "nodes"
    ]
    return nodes


async def test_by_case_newest_first(shared_hub: tuple[LiveHub, Principals]) -> None:
    live, who = shared_hub
    sc = await scene(live, who)
    entries = await log(live, who.admin, f={"caseNumber": sc.case})
    actions = [e["action"] for e in entries]
    assert actions[-1] == "case.filed"
    assert "request.created" in actions
    assert {e["purpose"] for e in entries} == {sc.case}
    ids = [int(e["id"]) for e in entries]
    assert ids == sorted(ids, reverse=True)
    # half-width parentheses name the same case
    half = sc.case.replace("（", "(").replace("）", ")")
    assert await log(live, who.admin, f={"caseNumber": half}) == entries


async def test_by_subject_shows_it_masked(shared_hub: tuple[LiveHub, Principals]) -> None:
    live, who = shared_hub
    sc = await scene(live, who)
    entries = await log(live, who.admin, f={"subject": SUBJECT, "caseNumber": sc.case})
    assert entries and {e["subject"] for e in entries} == {SUBJECT_MASKED}
    assert SUBJECT not in str(entries)


async def test_by_principal_action_and_time(shared_hub: tuple[LiveHub, Principals]) -> None:
    live, who = shared_hub
    start = utcnow()
    sc = await scene(live, who)
    me = ok(await live.gql("{ me { id } }", token=who.court_own))["me"]["id"]
    mine = await log(live, who.admin, f={"principalId": me, "from": start.isoformat()}, first=500)
    assert mine and {e["principalId"] for e in mine} == {me}
    assert sc.case in {e["purpose"] for e in mine}
    filed = await log(live, who.admin, f={"principalId": me, "action": "case.filed"})
    assert filed and {e["action"] for e in filed} == {"case.filed"}
    requests = await log(live, who.admin, f={"action": "request.", "caseNumber": sc.case})
    assert {e["action"] for e in requests} >= {"request.created", "request.dispatched"}
    assert all(e["action"].startswith("request.") for e in requests)
    future = (utcnow() + timedelta(hours=1)).isoformat()
    assert await log(live, who.admin, f={"from": future}) == []
    before_start = await log(live, who.admin, f={"to": start.isoformat(), "caseNumber": sc.case})
    assert before_start == []


async def test_pages_cover_the_log_once(shared_hub: tuple[LiveHub, Principals]) -> None:
    live, who = shared_hub
    sc = await scene(live, who)
    seen: list[str] = []
    after = None
    while True:
        body = ok(
            await live.gql(
                LOG, {"f": {"caseNumber": sc.case}, "first": 2, "after": after}, token=who.admin
            )
        )["auditLog"]
        seen += [n["id"] for n in body["nodes"]]
        if not body["pageInfo"]["hasNextPage"]:
            break
        after = body["pageInfo"]["endCursor"]
    whole = await log(live, who.admin, f={"caseNumber": sc.case})
    assert seen == [e["id"] for e in whole] and len(seen) > 2


async def test_entries_show_their_chain(shared_hub: tuple[LiveHub, Principals]) -> None:
    live, who = shared_hub
    await scene(live, who)
    entries = await log(live, who.admin, first=5)
    assert len(entries) == 5
    for newer, older in itertools.pairwise(entries):
        assert int(newer["id"]) == int(older["id"]) + 1  # unfiltered: consecutive
        assert newer["prevHash"] == older["hash"]


async def test_searching_is_recorded(shared_hub: tuple[LiveHub, Principals]) -> None:
    live, who = shared_hub
    sc = await scene(live, who)
    await log(live, who.admin, f={"subject": SUBJECT, "caseNumber": sc.case})
    last = (await audit_rows(live))[-1]
    assert last.action == "audit.searched"
    assert (last.subject, last.detail["case_number"]) == (SUBJECT, sc.case)
    me = ok(await live.gql("{ me { id } }", token=who.admin))["me"]["id"]
    assert last.principal_id == int(me)


@pytest.mark.parametrize("role", ["court_own", "court_other", "agency_addressed", "observer_with"])
async def test_only_administrators_read_the_log_and_the_principals(
    shared_hub: tuple[LiveHub, Principals], role: str
) -> None:
    live, who = shared_hub
    sc = await scene(live, who)
    token = sc.token(role)
    assert code(await live.gql(LOG, {"f": {"caseNumber": sc.case}}, token=token)) == "FORBIDDEN"
    assert code(await live.gql("{ principals { id } }", token=token)) == "FORBIDDEN"


async def test_administrators_list_principals_without_secrets(
    shared_hub: tuple[LiveHub, Principals],
) -> None:
    live, who = shared_hub
    body = ok(
        await live.gql(
            "{ principals { id name role scope createdAt expiresAt revokedAt lastUsedAt } }",
            token=who.admin,
        )
    )
    roles = {p["role"] for p in body["principals"]}
    assert roles >= {"court_officer", "agency_officer", "admin"}
    assert all(p["createdAt"].endswith("+08:00") for p in body["principals"])
    assert who.admin not in str(body)


@pytest.mark.parametrize(
    ("f", "field"),
    [
        ({"caseNumber": "not a case"}, "caseNumber"),
        ({"subject": "3" * 40}, "subject"),
        ({"principalId": "abc"}, "principalId"),
    ],
)
async def test_bad_filters_are_input_errors(
    shared_hub: tuple[LiveHub, Principals], f: dict[str, str], field: str
) -> None:
    live, who = shared_hub
    body = await live.gql(LOG, {"f": f}, token=who.admin)
    assert code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == field
