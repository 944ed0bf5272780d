"""Credit measures are the court's decisions; DELIST leaves 限高; credit repair lifts both."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from tests.assistance.loop import Admin, Loop, data, error
from tests.console.conftest import csrf_of, sign_in

DEBTOR = "350602198003150015"
CASE = """query($n: String!) { case(number: $n) {
  courtDecisions { id action documentNumber measures termMonths inForce decidedBy requestId }
  creditRepairs { id basis note status approvedBy documentNumber }
  events { kind note } } }"""
CREDIT = """query($c: String!, $i: String!) { dossier(caseNumber: $c, idNumber: $i) {
  credit { entries { list caseNumber measures } } } }"""
RECORD = """mutation($c: String!, $i: String!, $b: CreditRepairBasis!, $n: String!) {
  recordCreditRepair(caseNumber: $c, idNumber: $i, basis: $b, note: $n) { id status basis } }"""
APPROVE = """mutation($id: ID!, $d: String!) {
  approveCreditRepair(id: $id, documentNumber: $d) { id action status } }"""


async def decide(loop: Loop, action: str, n: int, **details: Any) -> str:
    created = data(
        await loop.create(
            agencyId="credit-fujian",
            action=action,
            documentNumber=f"（2026）闽0602执1号决定书之{n}",
            details=details,
        )
    )["createAssistanceRequest"]
    done = await loop.wait_status(created["id"], {"COMPLETED", "REJECTED"})
    assert done["status"] == "COMPLETED", done
    return str(created["id"])


async def lists_of_case(loop: Loop) -> list[str]:
    body = data(await loop.gql(CREDIT, {"c": loop.number, "i": DEBTOR}))
    entries = body["dossier"]["credit"]["entries"]
    return sorted(e["list"] for e in entries if e["caseNumber"] == loop.number)


async def decisions(loop: Loop) -> dict[str, Any]:
    case: dict[str, Any] = data(await loop.gql(CASE, {"n": loop.number}))["case"]
    return case


async def test_delisting_leaves_the_spending_restriction_in_force(
    live: tuple[Loop, Admin],
) -> None:
    loop, _ = live
    bad = error(
        await loop.create(
            agencyId="credit-fujian",
            action="RESTRICT_CONSUMPTION",
            documentNumber="X",
            details={"term_months": 0},
        )
    )
    assert bad["extensions"] == {"code": "BAD_USER_INPUT", "field": "details.term_months"}

    restricted = await decide(loop, "RESTRICT_CONSUMPTION", 1, term_months=24)
    listed = await decide(loop, "LIST_DISHONEST", 2, measures=["EXIT_RESTRICTION"])
    assert await lists_of_case(loop) == ["CONSUMPTION_RESTRICTION", "DISHONEST"]
    case = await decisions(loop)
    by_action = {d["action"]: d for d in case["courtDecisions"]}
    assert by_action["RESTRICT_CONSUMPTION"]["termMonths"] == 24
    assert by_action["RESTRICT_CONSUMPTION"]["requestId"] == restricted
    assert by_action["LIST_DISHONEST"]["measures"] == ["EXIT_RESTRICTION"]
    assert by_action["LIST_DISHONEST"]["documentNumber"] == "（2026）闽0602执1号决定书之2"
    assert by_action["LIST_DISHONEST"]["requestId"] == listed

    await decide(loop, "DELIST", 3)
    case = await decisions(loop)
    in_force = {d["action"]: d["inForce"] for d in case["courtDecisions"]}
    assert in_force == {"RESTRICT_CONSUMPTION": True, "LIST_DISHONEST": False}
    assert await lists_of_case(loop) == ["CONSUMPTION_RESTRICTION"]
    kinds = [e["kind"] for e in case["events"]]
    assert kinds.count("DECISION") == 2 and kinds.count("DECISION_REVOKED") == 1


async def test_credit_repair_commitment_approved_lifts_what_is_in_force(
    live: tuple[Loop, Admin],
) -> None:
    loop, _ = live
    await decide(loop, "RESTRICT_CONSUMPTION", 1)
    await decide(loop, "LIST_DISHONEST", 2)
    repair = data(
        await loop.gql(
            RECORD,
            {"c": loop.number, "i": DEBTOR, "b": "COMMITTED", "n": "被执行人签署信用承诺书"},
        )
    )["recordCreditRepair"]
    assert repair["status"] == "PENDING"
    # another court cannot approve it
    other = await loop.live.token("court_officer", "闽0603")
    refused = error(await loop.gql(APPROVE, {"id": repair["id"], "d": "X"}, token=other))
    assert refused["extensions"]["code"] in ("FORBIDDEN", "NOT_FOUND")

    lifts = data(
        await loop.gql(APPROVE, {"id": repair["id"], "d": "（2026）闽0602执1号决定书之三"})
    )["approveCreditRepair"]
    assert sorted(r["action"] for r in lifts) == ["DELIST", "LIFT_RESTRICTION"]
    for request in lifts:
        done = await loop.wait_status(request["id"], {"COMPLETED", "REJECTED"})
        assert done["status"] == "COMPLETED", done
    assert await lists_of_case(loop) == []
    case = await decisions(loop)
    assert [d["inForce"] for d in case["courtDecisions"]] == [False, False]
    [approved] = case["creditRepairs"]
    assert approved["status"] == "APPROVED" and approved["approvedBy"]
    assert approved["documentNumber"] == "（2026）闽0602执1号决定书之三"
    kinds = [e["kind"] for e in case["events"]]
    assert "CREDIT_REPAIR_REQUESTED" in kinds and "CREDIT_REPAIR_APPROVED" in kinds
    # approved once
    again = error(
        await loop.gql(APPROVE, {"id": repair["id"], "d": "（2026）闽0602执1号决定书之四"})
    )
    assert again["extensions"]["code"] == "CONFLICT"


async def test_the_case_page_records_and_approves_a_credit_repair(
    live: tuple[Loop, Admin],
) -> None:
    loop, _ = live
    await decide(loop, "RESTRICT_CONSUMPTION", 1, term_months=12)
    parties = data(
        await loop.gql(
            "query($n: String!) { case(number: $n) { parties { id idNumber } } }",
            {"n": loop.number},
        )
    )["case"]["parties"]
    debtor = next(p["id"] for p in parties if p["idNumber"] == DEBTOR)
    case_url = f"/console/cases/{quote(loop.number, safe='')}"
    async with httpx.AsyncClient(base_url=loop.live.url, timeout=30) as client:
        assert (await sign_in(client, loop.court)).status_code == 303
        page = (await client.get(case_url)).text
        assert 'data-decision="RESTRICT_CONSUMPTION"' in page and "生效中" in page
        assert "12 个月" in page
        posted = await client.post(
            f"{case_url}/credit-repairs",
            data={
                "party": debtor,
                "basis": "PERFORMED",
                "note": "已全额履行",
                "csrf": csrf_of(page),
            },
        )
        assert posted.status_code == 303
        page = (await client.get(posted.headers["location"])).text
        assert "已登记信用修复申请" in page and "已履行：已全额履行" in page
        repair = data(await loop.gql(CASE, {"n": loop.number}))["case"]["creditRepairs"][0]
        posted = await client.post(
            f"{case_url}/credit-repairs/{repair['id']}/approve",
            data={"document_number": "（2026）闽0602执1号决定书之九", "csrf": csrf_of(page)},
        )
        assert posted.status_code == 303
        page = (await client.get(posted.headers["location"])).text
        assert "已准予信用修复（（2026）闽0602执1号决定书之九）" in page
    case = await decisions(loop)
    [lift] = [
        r
        for r in data(
            await loop.gql(
                "query($n: String!) { case(number: $n) { assistanceRequests { id action } } }",
                {"n": loop.number},
            )
        )["case"]["assistanceRequests"]
        if r["action"] == "LIFT_RESTRICTION"
    ]
    await loop.wait_status(lift["id"], {"COMPLETED"})
    assert [d["inForce"] for d in case["courtDecisions"]] == [False]
    assert await lists_of_case(loop) == []
