"""A record matched by name only is not sealed until an officer confirms it (§7.4)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import sqlalchemy as sa

from hub.models import AuditEntry
from tests.assistance.loop import Admin, Loop, code, data, error
from tests.console.conftest import csrf_of, sign_in

PUTIAN_FLAT = "闽(2016)莆田市不动产权第0045678号"  # owner-less, in 陈某某's name
CONFIRM = """mutation($c: String!, $i: String!, $r: String!, $n: String!) {
  confirmOwnership(caseNumber: $c, idNumber: $i, reference: $r, note: $n) }"""
CASE = """query($n: String!) { case(number: $n) {
  ownershipConfirmations { idNumber subjectName reference note confirmedBy confirmedAt }
  events { kind note } } }"""
DOSSIER = """query($c: String!, $i: String!) { dossier(caseNumber: $c, idNumber: $i) {
  realEstate { certificateNumber matchedBy } } }"""
DEBTOR = "350602198003150015"


async def test_a_name_only_seal_waits_for_the_officers_confirmation(
    live: tuple[Loop, Admin],
) -> None:
    loop, _ = live
    dossier = data(await loop.gql(DOSSIER, {"c": loop.number, "i": DEBTOR}))["dossier"]
    found = {h["certificateNumber"]: h["matchedBy"] for h in dossier["realEstate"]}
    assert found[PUTIAN_FLAT] == "NAME_ONLY"

    seal = {
        "agencyId": "realestate-putian",
        "action": "SEAL",
        "documentNumber": "（2026）闽0602执1号之一",
        "details": {"certificate": PUTIAN_FLAT},
    }
    refused = error(await loop.create(**seal))
    assert refused["extensions"] == {"code": "BAD_USER_INPUT", "field": "details.certificate"}
    assert "重名" in refused["message"]
    listed = data(await loop.gql("{ assistanceRequests(first: 5) { totalCount } }"))
    assert listed["assistanceRequests"]["totalCount"] == 0

    # only the case's own court confirms, with a note
    other = await loop.live.token("court_officer", "闽0603")
    args = {
        "c": loop.number,
        "i": DEBTOR,
        "r": PUTIAN_FLAT,
        "n": "经调取购房合同，买受人身份证号与被执行人一致",
    }
    assert code(await loop.gql(CONFIRM, args, token=other)) == "FORBIDDEN"
    blank = error(await loop.gql(CONFIRM, {**args, "n": "  "}))
    assert blank["extensions"]["field"] == "note"
    assert data(await loop.gql(CONFIRM, args)) == {"confirmOwnership": True}

    case = data(await loop.gql(CASE, {"n": loop.number}))["case"]
    [confirmation] = case["ownershipConfirmations"]
    assert confirmation["reference"] == PUTIAN_FLAT
    assert confirmation["idNumber"] == DEBTOR and confirmation["subjectName"] == "陈某某"
    assert confirmation["note"] == args["n"]
    assert confirmation["confirmedBy"]
    assert any(e["kind"] == "OWNERSHIP_CONFIRMED" for e in case["events"])
    async with loop.live.state.db.session() as session:
        audited = await session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "ownership.confirmed")
        )
        [entry] = list(audited)
    assert entry.purpose == loop.number and entry.target == PUTIAN_FLAT

    # now the seal goes out; the registry seals an owner-less record in the debtor's name
    created = data(await loop.create(**seal))["createAssistanceRequest"]
    done = await loop.wait_status(created["id"], {"COMPLETED", "REJECTED"})
    assert done["status"] == "COMPLETED", done
    assert done["sealRank"] == "FIRST"
    # the observer of the case does not see what was confirmed
    observer = await loop.live.token("observer", loop.number)
    seen = data(await loop.gql(CASE, {"n": loop.number}, token=observer))["case"]
    assert seen["ownershipConfirmations"] == []


async def test_records_matched_by_id_need_no_confirmation(live: tuple[Loop, Admin]) -> None:
    loop, _ = live
    data(await loop.gql(DOSSIER, {"c": loop.number, "i": DEBTOR}))
    created = data(
        await loop.create(
            agencyId="realestate-zhangzhou",
            action="SEAL",
            documentNumber="（2026）闽0602执1号之一",
            details={"certificate": "闽(2019)漳州市不动产权第0012345号"},
        )
    )["createAssistanceRequest"]
    assert created["status"] in {"PENDING", "DISPATCHED"}


async def test_the_dossier_page_confirms_a_name_only_record(live: tuple[Loop, Admin]) -> None:
    loop, _ = live
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
        page = (await client.get(f"{case_url}/dossier", params={"party": debtor})).text
        row = _row(page, PUTIAN_FLAT)
        assert "ownership-form" in row and "查封此房产" not in row
        assert "查封此房产" in _row(page, "闽(2019)漳州市不动产权第0012345号")
        posted = await client.post(
            f"{case_url}/ownership",
            data={
                "party": debtor,
                "reference": PUTIAN_FLAT,
                "note": "不动产登记簿载明的身份证号与被执行人一致",
                "csrf": csrf_of(page),
            },
        )
        assert posted.status_code == 303
        page = (await client.get(posted.headers["location"])).text
        assert "已确认该财产属被执行人" in page
        row = _row(page, PUTIAN_FLAT)
        assert "已确认属被执行人" in row and "查封此房产" in row
        assert "ownership-form" not in row
        case_page = (await client.get(case_url)).text
        assert "财产权属确认" in case_page and "不动产登记簿载明的身份证号" in case_page


def _row(page: str, reference: str) -> str:
    start = page.index(f'data-reference="{reference}"')
    return page[start : page.index("</tr>", start)]
