"""Court officer, observer and admin pages, over real HTTP (no agency systems needed)."""

from __future__ import annotations

import re
from urllib.parse import quote

from sqlalchemy import func, select

from hub import assistance
from hub.auth import Role, create_principal
from hub.models import AssistanceRequest, PropertyClue
from tests.console.conftest import (
    CASE_NUMBER,
    CERTIFICATE,
    SUBJECT_ID,
    ZHANGPU,
    Console,
    csrf_of,
    file_demo_case,
    seal_request,
)
from tests.security.scene import audit_rows, last_audit_id

CASE_URL = f"/console/cases/{quote(CASE_NUMBER, safe='')}"
COURT = ("court_officer", "闽0623")


async def count(console: Console, model: type) -> int:
    async with console.live.state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_case_list_filters_and_links(console: Console) -> None:
    await file_demo_case(console.live, "（2026）闽0623执90号")
    async with console.signed_in(*COURT) as client:
        listing = await client.get("/console/cases")
        assert listing.status_code == 200
        assert CASE_URL in listing.text
        assert "（2026）闽0623执90号" in listing.text
        # filed in January, six months to enforce: both overdue by now
        late = await client.get("/console/cases", params={"overdue": "1"})
        assert late.text.count('class="badge overdue"') == 2
        on_time = await client.get("/console/cases", params={"overdue": "0"})
        assert CASE_URL not in on_time.text
        settled = await client.get("/console/cases", params={"status": "SETTLED"})
        assert "没有符合条件的案件" in settled.text
    async with console.signed_in("court_officer", "闽0602") as other_court:
        assert CASE_URL not in (await other_court.get("/console/cases")).text
        assert (await other_court.get(CASE_URL)).status_code == 403


async def test_case_page_shows_parties_requests_and_offers_court_actions(
    console: Console,
) -> None:
    request_id = await seal_request(console.live, console.officer)
    async with console.signed_in(*COURT) as client:
        page = await client.get(CASE_URL)
        assert page.status_code == 200
        assert SUBJECT_ID in page.text  # the case's own court sees full ID numbers
        assert f"/console/requests/{request_id}" in page.text
        assert 'data-status="DISPATCHED"' in page.text
        assert f"{CASE_URL}/dossier?party=" in page.text
        assert f"/console/requests/{request_id}/urge" in page.text
        # half-width parentheses reach the same case
        assert (await client.get("/console/cases/(2026)闽0623执88号")).status_code == 200
        assert (await client.get("/console/cases/not-a-number")).status_code == 404


async def test_observers_read_without_forms_or_dossiers(console: Console) -> None:
    await seal_request(console.live, console.officer)
    async with console.signed_in("observer", CASE_NUMBER) as client:
        page = await client.get(CASE_URL)
        assert page.status_code == 200
        assert SUBJECT_ID not in page.text
        assert "350623********0023" in page.text
        assert '<form method="post" action="/console/requests' not in page.text
        assert "/dossier" not in page.text and "clue-form" not in page.text
        party = re.search(r"party=(\d+)", (await client.get(CASE_URL)).text)
        assert party is None
        dossier = await client.get(f"{CASE_URL}/dossier", params={"party": "2"})
        assert dossier.status_code == 403


async def test_submitting_a_clue(console: Console) -> None:
    async with console.signed_in(*COURT) as client:
        page = await client.get(CASE_URL)
        csrf = csrf_of(page.text)
        party = re.search(r'<option value="(\d+)" >周某</option>', page.text)
        assert party is not None
        bad = await client.post(
            f"{CASE_URL}/clues",
            data={"csrf": csrf, "party": party.group(1), "kind": "REAL_ESTATE",
                  "description": "", "region": "35x"},
        )  # fmt: skip
        assert bad.status_code == 400
        assert 'role="alert"' in bad.text
        assert await count(console, PropertyClue) == 0
        good = await client.post(
            f"{CASE_URL}/clues",
            data={"csrf": csrf, "party": party.group(1), "kind": "REAL_ESTATE",
                  "description": "申请人称被执行人在漳浦县有房产", "region": "350623",
                  "certificate": CERTIFICATE},
        )  # fmt: skip
        assert good.status_code == 303
        shown = await client.get(good.headers["location"])
        assert "申请人称被执行人在漳浦县有房产" in shown.text
        assert "线索已提交" in shown.text
        # the clue proposes a seal by the county registry, one click from the form
        assert f"agency={ZHANGPU.id}&amp;action=SEAL" in shown.text


async def test_creating_a_request_from_the_form(console: Console) -> None:
    async with console.signed_in(*COURT) as client:
        form = await client.get(
            f"{CASE_URL}/requests/new",
            params={"party": "2", "agency": ZHANGPU.id, "action": "SEAL",
                    "certificate": CERTIFICATE},
        )  # fmt: skip
        assert form.status_code == 200
        assert f'value="{CERTIFICATE}"' in form.text
        assert f'<option value="{ZHANGPU.id}" selected>' in form.text
        key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', form.text)
        assert key is not None
        data = {"csrf": csrf_of(form.text), "idempotency_key": key.group(1), "party": "2",
                "agency": ZHANGPU.id, "action": "SEAL", "certificate": CERTIFICATE}  # fmt: skip
        missing = await client.post(f"{CASE_URL}/requests", data=data)
        assert missing.status_code == 400  # a seal needs the court's document number
        assert re.search(r'name="document_number"[^>]*class="invalid"', missing.text)
        assert await count(console, AssistanceRequest) == 0
        data["document_number"] = "（2026）闽0623执88号之一"
        created = await client.post(f"{CASE_URL}/requests", data=data)
        assert created.status_code == 303
        again = await client.post(f"{CASE_URL}/requests", data=data)  # a double click
        assert again.headers["location"] == created.headers["location"]
        page = await client.get(created.headers["location"])
        assert "协助请求已创建" in page.text and CERTIFICATE in page.text
        request_id = created.headers["location"].split("/")[-1].split("?")[0]
        cancelled = await client.post(
            f"/console/requests/{request_id}/cancel",
            data={"csrf": data["csrf"], "reason": "被执行人已主动履行"},
        )
        assert cancelled.status_code == 303
    assert await count(console, AssistanceRequest) == 1
    assert (await console.request(request_id)).status == "CANCELLED"


async def test_urge_and_evaluate_from_the_case_page(console: Console) -> None:
    request_id = await seal_request(console.live, console.officer)
    async with console.signed_in(*COURT) as client:
        page = await client.get(CASE_URL)
        csrf = csrf_of(page.text)
        urged = await client.post(
            f"/console/requests/{request_id}/urge", data={"csrf": csrf, "next": CASE_URL}
        )
        assert urged.status_code == 303
        assert urged.headers["location"] == f"{CASE_URL}?done=urge"
        early = await client.post(
            f"/console/requests/{request_id}/evaluate", data={"csrf": csrf, "rating": "5"}
        )
        assert early.status_code == 409  # nothing to evaluate before the answer
        assert "当前状态下不能这样操作" in early.text
        registry, _ = await create_principal(
            console.live.state.db, role=Role.AGENCY_OFFICER, scope=ZHANGPU.id
        )
        await assistance.reject(console.live.state, registry, request_id, "无此房产")
        evaluated = await client.post(
            f"/console/requests/{request_id}/evaluate",
            data={"csrf": csrf, "rating": "4", "comment": "答复及时", "next": "//evil.example"},
        )
        assert evaluated.headers["location"] == f"/console/requests/{request_id}?done=evaluate"
    row = await console.request(request_id)
    assert (row.urge_count, row.rating, row.comment) == (1, 4, "答复及时")


async def test_admins_see_agencies_and_circuits(console: Console) -> None:
    async with console.signed_in("admin", "*") as client:
        page = await client.get("/console/agencies")
        assert page.status_code == 200
        assert ZHANGPU.name in page.text and "窗口办理" in page.text
    async with console.signed_in(*COURT) as client:
        assert (await client.get("/console/agencies")).status_code == 403


async def test_control_characters_in_forms_are_refused(console: Console) -> None:
    async with console.signed_in(*COURT) as client:
        form = await client.get(f"{CASE_URL}/requests/new", params={"party": "2"})
        data = {"csrf": csrf_of(form.text), "idempotency_key": "k\x00ey", "party": "2",
                "agency": ZHANGPU.id, "action": "SEAL", "certificate": CERTIFICATE,
                "document_number": "（2026）闽0623执88号之一"}  # fmt: skip
        refused = await client.post(f"{CASE_URL}/requests", data=data)
        assert refused.status_code == 400
        assert "提交编号" in refused.text and "控制字符" in refused.text
        data["idempotency_key"] = "key-1"
        data["certificate"] = "闽(2026)\x1b漳浦县不动产权第0000001号"
        assert (await client.post(f"{CASE_URL}/requests", data=data)).status_code == 400
        assert await count(console, AssistanceRequest) == 0
        listing = await client.get("/console/cases", params={"status": "OPEN\x00"})
        assert listing.status_code == 400 and "控制字符" in listing.text


async def test_full_id_numbers_shown_on_a_case_page_are_audited(console: Console) -> None:
    async with console.signed_in(*COURT) as client:
        since = await last_audit_id(console.live)
        page = await client.get(CASE_URL)
        assert SUBJECT_ID in page.text
    reads = [r for r in await audit_rows(console.live, after=since) if r.action == "case.read"]
    assert SUBJECT_ID in {r.subject for r in reads}
    assert {r.purpose for r in reads} == {CASE_NUMBER}
    async with console.signed_in("observer", CASE_NUMBER) as client:
        since = await last_audit_id(console.live)
        page = await client.get(CASE_URL)
        assert page.status_code == 200 and SUBJECT_ID not in page.text
    assert not [r for r in await audit_rows(console.live, after=since) if r.action == "case.read"]
