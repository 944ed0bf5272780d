"""Dossiers, property requests and clues are about respondents only (§7.4)."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from tests.assistance.loop import APPLICANT, Admin, Loop, code, data
from tests.console.conftest import sign_in

DOSSIER = (
    "query($c: String!, $i: String!) { dossier(caseNumber: $c, idNumber: $i) { subject { name } } }"
)
CLUE = """mutation($input: PropertyClueInput!) { submitPropertyClue(input: $input) { id } }"""


async def test_nothing_about_the_applicant(live: tuple[Loop, Admin]) -> None:
    loop, _ = live
    # the applicant's own property is not the enforcement's business
    body = await loop.gql(DOSSIER, {"c": loop.number, "i": APPLICANT})
    assert code(body) == "FORBIDDEN"
    for action, extra in (("QUERY", {}), ("SEAL", {"documentNumber": "（2026）闽0602执1号之一"})):
        created = await loop.create(
            agencyId="realestate-zhangzhou",
            action=action,
            subjectIdNumber=APPLICANT,
            details={"certificate": "闽(2019)漳州市不动产权第0012345号"} if extra else None,
            **extra,
        )
        assert code(created) == "FORBIDDEN"
    clue = await loop.gql(
        CLUE,
        {
            "input": {
                "caseNumber": loop.number,
                "subjectIdNumber": APPLICANT,
                "kind": "REAL_ESTATE",
                "description": "申请人名下房产",
            }
        },
    )
    assert code(clue) == "FORBIDDEN"
    # the respondent's are
    assert data(await loop.gql(DOSSIER, {"c": loop.number, "i": "350602198003150015"}))
    listed = data(await loop.gql("{ assistanceRequests(first: 5) { totalCount } }"))
    assert listed["assistanceRequests"]["totalCount"] == 0


async def test_the_console_offers_nothing_for_the_applicant(live: tuple[Loop, Admin]) -> None:
    loop, _ = live
    async with httpx.AsyncClient(base_url=loop.live.url, timeout=30) as client:
        assert (await sign_in(client, loop.court)).status_code == 303
        page = (await client.get(f"/console/cases/{quote(loop.number, safe='')}")).text
    rows = [r for r in page.split("<tr>") if "</td>" in r]
    applicant = next(r for r in rows if "申请执行人" in r)
    respondent = next(r for r in rows if "被执行人" in r and "申请执行人" not in r)
    assert "财产档案" not in applicant and "发起协助" not in applicant
    assert "财产档案" in respondent and "发起协助" in respondent
    # nor does the new request form offer the applicant as its subject
    async with httpx.AsyncClient(base_url=loop.live.url, timeout=30) as client:
        assert (await sign_in(client, loop.court)).status_code == 303
        form = (await client.get(f"/console/cases/{quote(loop.number, safe='')}/requests/new")).text
    subjects = form[
        form.index('name="party"') : form.index("</select>", form.index('name="party"'))
    ]
    assert "漳州市某典当有限责任公司" not in subjects and "陈某某" in subjects
