"""Reading full ID numbers of a case, and an agency reading the requests addressed to it,
leave audit entries: one per person or request read, written once per operation."""

from __future__ import annotations

from hub.auth import Role
from tests.security.scene import (
    AGENCY,
    CONSOLE_AGENCIES,
    SUBJECT,
    audit_rows,
    create_request,
    file_case,
    last_audit_id,
    ok,
)
from tests.support import start_hub

CASE = "query($n: String!) { case(number: $n) { parties { name idNumber } } }"
CASES = "{ cases(first: 50) { nodes { number parties { idNumber } } } }"
REQUESTS = "{ assistanceRequests(first: 50) { nodes { id status } } }"
REQUEST = "query($id: ID!) { assistanceRequest(id: $id) { id } }"


async def test_full_id_numbers_read_are_audited(database_url: str) -> None:
    async with start_hub(database_url) as hub:
        court = await hub.token(Role.COURT_OFFICER, "闽0602")
        numbers = [await file_case(hub, court) for _ in range(3)]
        mark = await last_audit_id(hub)

        body = ok(await hub.gql(CASE, {"n": numbers[0]}, token=court))
        assert SUBJECT in [p["idNumber"] for p in body["case"]["parties"]]
        reads = [r for r in await audit_rows(hub, after=mark) if r.action == "case.read"]
        assert {r.purpose for r in reads} == {numbers[0]}
        assert SUBJECT in {r.subject for r in reads}
        assert all(r.principal_id is not None for r in reads)

        mark = await last_audit_id(hub)
        ok(await hub.gql(CASES, token=court))
        reads = [r for r in await audit_rows(hub, after=mark) if r.action == "case.read"]
        assert {r.purpose for r in reads} == set(numbers)
        # one operation, one write: the ids of its entries run without a gap
        ids = sorted(r.id for r in reads)
        assert ids == list(range(ids[0], ids[0] + len(ids)))

        # masked numbers are no read of personal data
        observer = await hub.token(Role.OBSERVER, numbers[0])
        mark = await last_audit_id(hub)
        body = ok(await hub.gql(CASE, {"n": numbers[0]}, token=observer))
        assert SUBJECT not in [p["idNumber"] for p in body["case"]["parties"]]
        assert [r for r in await audit_rows(hub, after=mark) if r.action == "case.read"] == []


async def test_an_agency_reading_its_requests_is_audited(database_url: str) -> None:
    async with start_hub(database_url, agencies=CONSOLE_AGENCIES) as hub:
        court = await hub.token(Role.COURT_OFFICER, "闽0602")
        case = await file_case(hub, court)
        requests = {await create_request(hub, court, case) for _ in range(2)}
        agency = await hub.token(Role.AGENCY_OFFICER, AGENCY)
        mark = await last_audit_id(hub)

        listed = ok(await hub.gql(REQUESTS, token=agency))["assistanceRequests"]["nodes"]
        assert {n["id"] for n in listed} == requests
        reads = [r for r in await audit_rows(hub, after=mark) if r.action == "request.read"]
        assert {r.target for r in reads} == requests
        assert {(r.purpose, r.subject) for r in reads} == {(case, SUBJECT)}

        mark = await last_audit_id(hub)
        one = next(iter(requests))
        ok(await hub.gql(REQUEST, {"id": one}, token=agency))
        reads = [r for r in await audit_rows(hub, after=mark) if r.action == "request.read"]
        assert [r.target for r in reads] == [one]

        # the court reading its own requests is no agency read
        mark = await last_audit_id(hub)
        ok(await hub.gql(REQUESTS, token=court))
        assert [r for r in await audit_rows(hub, after=mark) if r.action == "request.read"] == []
