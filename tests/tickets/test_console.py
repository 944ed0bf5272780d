"""The tickets' console pages over HTTP: intake by centre staff, the officer's answer, the
applicant's own page and rating, the monitoring charts, and what each may not see."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

import httpx

from tests.console.conftest import csrf_of, sign_in
from tests.tickets.conftest import CASE, OTHER_CASE, REPLY, Centre, ok

TICKET_LINK = re.compile(r'href="/console/tickets/([0-9a-f-]{36})"')


@asynccontextmanager
async def client_for(centre: Centre, token: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=centre.live.url, timeout=30) as client:
        response = await sign_in(client, token)
        assert response.status_code == 303, response.text
        yield client


async def test_intake_answer_and_rating_in_the_console(centre: Centre) -> None:
    async with client_for(centre, centre.officer) as staff:
        found = await staff.get("/console/tickets/new", params={"q": "陈某某"})
        assert found.status_code == 200
        assert CASE in found.text and OTHER_CASE in found.text  # both name the respondent
        form = await staff.get("/console/tickets/new", params={"case": CASE})
        posted = await staff.post(
            "/console/tickets/new",
            data={
                "csrf": csrf_of(form.text),
                "form_key": "window-1",
                "case": CASE,
                "channel": "HOTLINE",
                "category": "FUNDS",
                "applicant_name": "林某",
                "applicant_phone": "13800000001",
                "content": "来电询问案款何时发放。",
            },
        )
        assert posted.status_code == 303
        url = posted.headers["location"]
        page = await staff.get(url)
        assert "诉求已登记" in page.text and "12368热线" in page.text and "李法官" in page.text
        ticket_id = url.split("/")[-1].split("?")[0]
        # a bad phone: the form again, the field marked, nothing written
        again = await staff.post(
            "/console/tickets/new",
            data={
                "csrf": csrf_of(form.text),
                "form_key": "window-2",
                "case": CASE,
                "channel": "WINDOW",
                "category": "PROGRESS",
                "applicant_name": "林某",
                "applicant_phone": "电话abc",
                "content": "询问进度",
            },
        )
        assert again.status_code == 400
        assert "输入有误（联系电话）" in again.text and 'aria-invalid="true"' in again.text
        listing = await staff.get("/console/tickets")
        assert TICKET_LINK.findall(listing.text) == [ticket_id]
        case_page = await staff.get(f"/console/cases/{quote(CASE, safe='')}")
        assert TICKET_LINK.findall(case_page.text) == [ticket_id]  # beside the case
        assert "申请人诉求" in case_page.text
        # the officer answers beside the case
        reply = await staff.post(
            f"/console/tickets/{ticket_id}/reply",
            data={"csrf": csrf_of(page.text), "reply": "案款已到账，三个工作日内发放。"},
        )
        assert reply.status_code == 303

    async with client_for(centre, centre.applicant) as applicant:
        home = await applicant.get("/console/my")
        assert home.status_code == 200
        assert CASE in home.text and TICKET_LINK.findall(home.text) == [ticket_id]
        detail = await applicant.get(f"/console/tickets/{ticket_id}")
        assert "案款已到账，三个工作日内发放。" in detail.text and "评价答复" in detail.text
        # answered: rated, not urged (no form; a stale form's post is told why)
        assert 'id="urge-form"' not in detail.text
        urged = await applicant.post(
            f"/console/tickets/{ticket_id}/urge", data={"csrf": csrf_of(detail.text)}
        )
        assert urged.status_code == 409
        assert "该诉求已答复，不能催办" in urged.text and "评1分或2分" in urged.text
        rated = await applicant.post(
            f"/console/tickets/{ticket_id}/rate",
            data={"csrf": csrf_of(detail.text), "rating": "1", "comment": "仍未收到"},
        )
        assert rated.status_code == 303
        after = await applicant.get(rated.headers["location"])
        assert "重新办理" in after.text and "仍未收到" in after.text
        assert 'id="urge-form"' in after.text  # reopened: waiting for an answer again
        # an online request of their own
        posted = await applicant.post(
            "/console/my/tickets",
            data={
                "csrf": csrf_of(home.text),
                "form_key": "online-1",
                "category": "MEET_JUDGE",
                "applicant_name": "林某",
                "content": "希望约见承办法官。",
            },
        )
        assert posted.status_code == 303
        # nothing of another case, no monitoring
        other = await centre.open(centre.officer, caseNumber=OTHER_CASE)
        assert (await applicant.get(f"/console/tickets/{other['id']}")).status_code == 404
        assert (await applicant.get("/console/monitor")).status_code == 403
        assert (await applicant.get("/console/tickets/new")).status_code == 403


async def test_the_monitoring_page_draws_its_charts(centre: Centre) -> None:
    for at in ("2026-10-12T09:00:00+08:00", "2026-11-03T09:00:00+08:00"):
        await centre.open(centre.officer, channel="LETTER", receivedAt=at)
    ticket = await centre.open(
        centre.officer, channel="LETTER", category="FUNDS", receivedAt="2026-11-04T09:00:00+08:00"
    )
    ok(await centre.gql(REPLY, {"id": ticket["id"], "r": "已答复"}, centre.officer))
    async with client_for(centre, centre.officer) as staff:
        page = await staff.get(
            "/console/monitor", params={"from": "2026-11-01", "to": "2026-11-30"}
        )
    assert page.status_code == 200
    assert page.text.count("<svg") == 2 and "<polyline" in page.text
    assert "<script" not in page.text
    assert "查询进度：1 件" not in page.text  # month marks carry month and count
    assert "查询进度 2026-11：1 件" in page.text and "查询进度 2026-10：1 件" in page.text
    # the two unanswered letters are both past their time
    assert "芗城区人民法院" in page.text and "超期 2 / 未答复 2" in page.text
    assert "新收诉求</dt><dd>2 条" in page.text
