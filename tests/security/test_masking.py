"""ID numbers are shown in full only to those who need them to act.

The case's own court sees its parties' numbers; the addressed agency sees the
subject's number on its own requests; everyone else (observers, administrators)
sees ``350602********0015`` wherever the number appears.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.security.scene import SUBJECT, SUBJECT_MASKED, Principals, Scene, ok, scene
from tests.support import LiveHub

pytestmark = pytest.mark.asyncio(loop_scope="module")

Pick = Callable[[dict[str, Any]], list[str]]

CASE_PARTIES = "query($n: String!) { case(number: $n) { parties { idNumber } } }"
CASE_REQUESTS = (
    "query($n: String!) { case(number: $n) { assistanceRequests { subject { idNumber } } } }"
)
REQUEST = "query($id: ID!) { assistanceRequest(id: $id) { subject { idNumber } } }"
REQUESTS = "{ assistanceRequests(first: 500) { nodes { id subject { idNumber } } } }"


def _respondent(data: dict[str, Any]) -> list[str]:
    return [p["idNumber"] for p in data["case"]["parties"] if p["idNumber"][:6] == SUBJECT[:6]]


def _nested(data: dict[str, Any]) -> list[str]:
    return [r["subject"]["idNumber"] for r in data["case"]["assistanceRequests"]]


def _single(data: dict[str, Any]) -> list[str]:
    return [data["assistanceRequest"]["subject"]["idNumber"]]


def _listed(data: dict[str, Any]) -> list[str]:
    return [n["subject"]["idNumber"] for n in data["assistanceRequests"]["nodes"]]


FULL, MASKED = SUBJECT, SUBJECT_MASKED

CELLS: list[tuple[str, str, Pick, str]] = [
    ("case.parties", "court_own", _respondent, FULL),
    ("case.parties", "observer_with", _respondent, MASKED),
    ("case.parties", "admin", _respondent, MASKED),
    ("case.assistanceRequests", "court_own", _nested, FULL),
    ("case.assistanceRequests", "observer_with", _nested, MASKED),
    ("case.assistanceRequests", "admin", _nested, MASKED),
    ("assistanceRequest", "court_own", _single, FULL),
    ("assistanceRequest", "agency_addressed", _single, FULL),
    ("assistanceRequest", "observer_with", _single, MASKED),
    ("assistanceRequest", "admin", _single, MASKED),
    ("assistanceRequests", "court_own", _listed, FULL),
    ("assistanceRequests", "agency_addressed", _listed, FULL),
    ("assistanceRequests", "observer_with", _listed, MASKED),
    ("assistanceRequests", "admin", _listed, MASKED),
]
DOCUMENTS = {
    "case.parties": CASE_PARTIES,
    "case.assistanceRequests": CASE_REQUESTS,
    "assistanceRequest": REQUEST,
    "assistanceRequests": REQUESTS,
}

_scenes: dict[int, Scene] = {}


async def shared_scene(live: LiveHub, who: Principals) -> Scene:
    if id(live) not in _scenes:
        _scenes[id(live)] = await scene(live, who)
    return _scenes[id(live)]


@pytest.mark.parametrize(
    ("where", "role", "pick", "expected"),
    [pytest.param(*cell, id=f"{cell[0]}-{cell[1]}") for cell in CELLS],
)
async def test_id_number_shown(
    shared_hub: tuple[LiveHub, Principals], where: str, role: str, pick: Pick, expected: str
) -> None:
    live, who = shared_hub
    sc = await shared_scene(live, who)
    body = await live.gql(DOCUMENTS[where], {"n": sc.case, "id": sc.request}, token=sc.token(role))
    shown = pick(ok(body))
    assert shown, body
    assert set(shown) == {expected}


async def test_other_agencies_see_neither_the_request_nor_the_number(
    shared_hub: tuple[LiveHub, Principals],
) -> None:
    live, who = shared_hub
    sc = await shared_scene(live, who)
    single = ok(await live.gql(REQUEST, {"id": sc.request}, token=who.agency_other))
    assert single["assistanceRequest"] is None
    listed = ok(await live.gql(REQUESTS, token=who.agency_other))
    assert listed["assistanceRequests"]["nodes"] == []


async def test_agency_officers_do_not_reach_the_case_through_their_request(
    shared_hub: tuple[LiveHub, Principals],
) -> None:
    live, who = shared_hub
    sc = await shared_scene(live, who)
    query = "query($id: ID!) { assistanceRequest(id: $id) { case { parties { idNumber } } } }"
    body = await live.gql(query, {"id": sc.request}, token=who.agency_addressed)
    assert body["data"]["assistanceRequest"]["case"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert body["errors"][0]["path"] == ["assistanceRequest", "case"]


async def test_filtering_cases_by_id_number_reveals_nothing_out_of_scope(
    shared_hub: tuple[LiveHub, Principals],
) -> None:
    """A filter is no side door: another court cannot learn who is a party where."""
    live, who = shared_hub
    await shared_scene(live, who)
    query = "query($i: String!) { cases(filter: {partyIdNumber: $i}) { totalCount } }"
    mine = ok(await live.gql(query, {"i": SUBJECT}, token=who.court_own))
    theirs = ok(await live.gql(query, {"i": SUBJECT}, token=who.court_other))
    agency = ok(await live.gql(query, {"i": SUBJECT}, token=who.agency_addressed))
    assert mine["cases"]["totalCount"] >= 1
    assert theirs["cases"]["totalCount"] == 0
    assert agency["cases"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("role", "sees"),
    [("court_own", True), ("agency_addressed", True), ("observer_with", False), ("admin", False)],
)
async def test_an_agency_answer_is_shown_only_to_the_court_and_the_agency(
    shared_hub: tuple[LiveHub, Principals], role: str, sees: bool
) -> None:
    live, who = shared_hub
    sc = await scene(live, who)
    await sc.answer()
    query = (
        "query($id: ID!) { assistanceRequest(id: $id) { status answeredAt answer { outcome } } }"
    )
    body = await live.gql(query, {"id": sc.request}, token=sc.token(role))
    request = body["data"]["assistanceRequest"]
    assert request["status"] == "COMPLETED" and request["answeredAt"]
    assert (request["answer"] is not None) is sees
    # refused explicitly, as a dossier is: a silent null would read as "not answered yet"
    refusals = [(e["extensions"]["code"], e["path"]) for e in body.get("errors", [])]
    assert refusals == ([] if sees else [("FORBIDDEN", ["assistanceRequest", "answer"])])
