"""Purpose binding: personal data is read for a case of the caller's court that names the
subject, and the case number is recorded as the purpose of every such read.

Runs against the five mock agencies, so "no agency was asked" is counted at
the agencies themselves.
"""

from __future__ import annotations

import pytest

from hub.auth import Role
from tests.security.scene import (
    STRANGER,
    SUBJECT,
    ApiHub,
    agency_requests,
    audit_rows,
    code,
    file_case,
    last_audit_id,
    ok,
)
from tests.support import LiveHub

pytestmark = pytest.mark.asyncio(loop_scope="module")

DOSSIER = """
query($c: String!, $i: String!) {
  dossier(caseNumber: $c, idNumber: $i) {
    subject { idNumber }
    realEstate { certificateNumber }
    whereabouts { residence }
    credit { listed }
    sources { agency { id } state }
  }
}"""


async def caller_id(live: LiveHub, token: str) -> int:
    return int(ok(await live.gql("{ me { id } }", token=token))["me"]["id"])


async def test_own_case_read_is_recorded_with_the_case_as_purpose(api_hub: ApiHub) -> None:
    live, who = api_hub.live, api_hub.who
    case = await file_case(live, who.court_own)
    me = await caller_id(live, who.court_own)
    before = await last_audit_id(live)
    asked = await agency_requests(api_hub.mocks)

    data = ok(await live.gql(DOSSIER, {"c": case, "i": SUBJECT}, token=who.court_own))

    assert data["dossier"]["subject"]["idNumber"] == SUBJECT
    states = {s["state"] for s in data["dossier"]["sources"]}
    assert "OK" in states and states <= {"OK", "NOT_APPLICABLE"}  # the console registry
    assert await agency_requests(api_hub.mocks) > asked
    rows = await audit_rows(live, after=before)
    reads = [r for r in rows if r.action == "dossier.read"]
    assert len(reads) == 1
    assert (reads[0].purpose, reads[0].subject, reads[0].principal_id) == (case, SUBJECT, me)
    exchanges = [r for r in rows if r.action == "agency.read"]
    assert exchanges, [r.action for r in rows]
    for entry in exchanges:
        assert (entry.purpose, entry.subject, entry.principal_id) == (case, SUBJECT, me)
        assert entry.detail["state"] == "OK" and entry.detail["attempts"] >= 1


async def test_each_nested_read_names_its_own_case(api_hub: ApiHub) -> None:
    """``cases { parties { dossier } }`` reads many dossiers: each has its case as purpose."""
    live, who = api_hub.live, api_hub.who
    cases = {await file_case(live, who.court_own) for _ in range(2)}
    before = await last_audit_id(live)
    query = """
    query($n: String!) {
      case(number: $n) { parties(role: RESPONDENT) { idNumber dossier { credit { listed } } } }
    }
    """
    for number in cases:
        ok(await live.gql(query, {"n": number}, token=who.court_own))
    reads = [r for r in await audit_rows(live, after=before) if r.action == "dossier.read"]
    # the respondent of each case (an applicant has no dossier)
    assert sorted((r.purpose, r.subject) for r in reads) == sorted(
        (number, SUBJECT) for number in cases
    )


@pytest.mark.parametrize(
    ("who_asks", "expected"),
    [
        ("court_other", "FORBIDDEN"),
        ("agency_addressed", "FORBIDDEN"),
        ("observer_with", "FORBIDDEN"),
        ("admin", "FORBIDDEN"),
    ],
)
async def test_refused_reads_ask_no_agency_and_write_nothing(
    api_hub: ApiHub, who_asks: str, expected: str
) -> None:
    live, who = api_hub.live, api_hub.who
    case = await file_case(live, who.court_own)
    token = (
        await live.token(Role.OBSERVER, case)
        if who_asks == "observer_with"
        else getattr(who, who_asks)
    )
    await live.gql("{ me { id } }", token=token)  # a first use is audited: not part of this
    before = await last_audit_id(live)
    asked = await agency_requests(api_hub.mocks)

    body = await live.gql(DOSSIER, {"c": case, "i": SUBJECT}, token=token)

    assert code(body) == expected
    assert body["data"] is None
    assert await agency_requests(api_hub.mocks) == asked
    assert await audit_rows(live, after=before) == []


@pytest.mark.parametrize(
    "subject",
    [
        pytest.param(STRANGER, id="a person the agencies know, party to no case"),
        pytest.param("__other_case__", id="a party of another case of the same court"),
    ],
)
async def test_the_subject_must_be_a_party_of_the_case_given(api_hub: ApiHub, subject: str) -> None:
    live, who = api_hub.live, api_hub.who
    case = await file_case(live, who.court_own)
    if subject == "__other_case__":
        await file_case(live, who.court_own, respondent=STRANGER)
        subject = STRANGER
    before = await last_audit_id(live)
    asked = await agency_requests(api_hub.mocks)

    body = await live.gql(DOSSIER, {"c": case, "i": subject}, token=who.court_own)

    assert code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "idNumber"
    assert await agency_requests(api_hub.mocks) == asked
    assert await audit_rows(live, after=before) == []
