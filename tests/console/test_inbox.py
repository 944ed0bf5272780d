"""The agency officer's inbox and request page, over real HTTP."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import update

from hub import assistance
from hub.models import AssistanceRequest, utcnow
from hub.web.console.session import CSRF_FIELD
from tests.console.conftest import (
    CASE_NUMBER,
    CERTIFICATE,
    LONGHAI,
    SUBJECT_ID,
    ZHANGPU,
    Console,
    csrf_of,
    seal_request,
)

ZHANGPU_OFFICER = ("agency_officer", ZHANGPU.id)


def request_links(html: str) -> list[str]:
    return re.findall(r'href="/console/requests/([0-9a-f-]{36})"', html)


async def test_the_inbox_shows_only_the_agency_own_requests(console: Console) -> None:
    mine = await seal_request(console.live, console.officer)
    theirs = await seal_request(console.live, console.officer, agency=LONGHAI.id)
    async with console.signed_in(*ZHANGPU_OFFICER) as client:
        inbox = await client.get("/console/inbox")
        assert request_links(inbox.text) == [mine]
        assert CASE_NUMBER in inbox.text and "周某" in inbox.text
        detail = await client.get(f"/console/requests/{mine}")
        assert detail.status_code == 200
        # addressed to them: the full ID number, the document number and the details
        for text in (SUBJECT_ID, "（2026）闽0623执88号之一", CERTIFICATE, "漳浦县人民法院"):
            assert text in detail.text
        assert 'name="outcome"' in detail.text
        # another agency's request does not exist for them
        other = await client.get(f"/console/requests/{theirs}")
        assert other.status_code == 404
        assert SUBJECT_ID not in other.text
        blocked = await client.post(
            f"/console/requests/{theirs}/acknowledge", data={CSRF_FIELD: csrf_of(inbox.text)}
        )
        assert blocked.status_code == 404
    assert (await console.request(theirs)).status == "DISPATCHED"


async def test_overdue_and_urged_requests_come_first(console: Console) -> None:
    calm = await seal_request(console.live, console.officer)
    urged = await seal_request(console.live, console.officer)
    late = await seal_request(console.live, console.officer)
    await assistance.urge(console.live.state, console.officer, urged, "请尽快办理")
    async with console.live.state.db.transaction() as session:
        await session.execute(
            update(AssistanceRequest)
            .where(AssistanceRequest.id == late)
            .values(due_at=utcnow() - timedelta(days=1))
        )
    async with console.signed_in(*ZHANGPU_OFFICER) as client:
        inbox = await client.get("/console/inbox")
    assert request_links(inbox.text) == [late, urged, calm]
    assert "催办 1 次" in inbox.text
    assert inbox.text.count('<span class="badge overdue">已超期</span>') == 1
    assert inbox.text.count('class="pressing"') == 2


async def test_answering_a_seal_completes_it_and_empties_the_inbox(console: Console) -> None:
    request_id = await seal_request(console.live, console.officer)
    expiry = (date.today() + timedelta(days=3 * 365)).isoformat()
    async with console.signed_in(*ZHANGPU_OFFICER) as client:
        page = await client.get(f"/console/requests/{request_id}")
        csrf = csrf_of(page.text)
        ack = await client.post(f"/console/requests/{request_id}/acknowledge", data={"csrf": csrf})
        assert ack.status_code == 303
        assert (await console.request(request_id)).status == "ACKNOWLEDGED"
        answer = await client.post(
            f"/console/requests/{request_id}/answer",
            data={"csrf": csrf, "outcome": "sealed", "rank": "WAITING", "expires_on": expiry},
        )
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/console/inbox")
        inbox = await client.get(answer.headers["location"])
        assert request_links(inbox.text) == []
        assert "已答复" in inbox.text
        done = await client.get("/console/inbox?status=COMPLETED")
        assert request_links(done.text) == [request_id]
    async with console.signed_in("court_officer", "闽0623") as court:
        shown = await court.get(f"/console/requests/{request_id}")
        # a waiting seal (轮候) has no term of its own until it is promoted
        assert "已查封（轮候）" in re.sub(r"\s+", "", shown.text)
        assert "提交评价" in shown.text  # the court may now rate the answer
    row = await console.request(request_id)
    assert row.status == "COMPLETED"
    assert row.outcome == "sealed"
    assert row.seal_rank == "WAITING"
    assert row.seal_expires_on is None
    assert row.result == {"rank": "WAITING", "certificate": CERTIFICATE}


async def test_a_bad_answer_is_shown_on_its_field_and_changes_nothing(console: Console) -> None:
    request_id = await seal_request(console.live, console.officer)
    async with console.signed_in(*ZHANGPU_OFFICER) as client:
        page = await client.get(f"/console/requests/{request_id}")
        response = await client.post(
            f"/console/requests/{request_id}/answer",
            data={"csrf": csrf_of(page.text), "outcome": "sealed", "rank": "FIRST",
                  "expires_on": "2001-01-01"},
        )  # fmt: skip
    assert response.status_code == 400
    assert "输入有误（查封到期日）" in response.text
    assert re.search(r'name="expires_on"[^>]*class="invalid"', response.text)
    assert 'value="2001-01-01"' in response.text  # what was typed is kept
    assert (await console.request(request_id)).status == "DISPATCHED"


async def test_a_rejection_needs_a_reason(console: Console) -> None:
    request_id = await seal_request(console.live, console.officer)
    async with console.signed_in(*ZHANGPU_OFFICER) as client:
        page = await client.get(f"/console/requests/{request_id}")
        csrf = csrf_of(page.text)
        empty = await client.post(
            f"/console/requests/{request_id}/reject", data={"csrf": csrf, "reason": "  "}
        )
        assert empty.status_code == 400
        assert re.search(r'name="reason"[^>]*class="invalid"', empty.text)
        done = await client.post(
            f"/console/requests/{request_id}/reject",
            data={"csrf": csrf, "reason": "该不动产已办理过户登记"},
        )
        assert done.status_code == 303
    row = await console.request(request_id)
    assert (row.status, row.outcome) == ("REJECTED", "该不动产已办理过户登记")


async def test_a_query_is_answered_with_holdings(console: Console) -> None:
    row = await assistance.create_request(
        console.live.state,
        console.officer,
        assistance.RequestData(CASE_NUMBER, SUBJECT_ID, ZHANGPU.id, "QUERY"),
    )
    async with console.signed_in(*ZHANGPU_OFFICER) as client:
        page = await client.get(f"/console/requests/{row.id}")
        # the registry's own columns, three blank rows
        assert page.text.count('name="real_estate.certificate_number"') == 3
        for heading in ("不动产权证号", "坐落", "面积（㎡）", "用途"):
            assert f"<th>{heading}</th>" in page.text
        response = await client.post(
            f"/console/requests/{row.id}/answer",
            data={
                "csrf": csrf_of(page.text),
                "outcome": "found",
                "real_estate.certificate_number": [CERTIFICATE, "", ""],
                "real_estate.address": ["漳浦县绥安镇某村某号", "", ""],
                "real_estate.area_m2": ["156.0", "", ""],
                "real_estate.usage": ["住宅", "", ""],
            },
        )
        assert response.status_code == 303
        shown = await client.get(f"/console/requests/{row.id}")
        assert f"不动产：{CERTIFICATE} · 漳浦县绥安镇某村某号 · 156.0 · 住宅" in shown.text
    answered = await console.request(row.id)
    assert answered.outcome == "found"
    assert answered.result == {
        "found": True,
        "real_estate": [
            {
                "certificate_number": CERTIFICATE,
                "address": "漳浦县绥安镇某村某号",
                "area_m2": "156.0",
                "usage": "住宅",
            }
        ],
    }


async def test_a_court_officer_cannot_answer(console: Console) -> None:
    request_id = await seal_request(console.live, console.officer)
    async with console.signed_in("court_officer", "闽0623") as client:
        page = await client.get(f"/console/requests/{request_id}")
        assert 'name="outcome"' not in page.text  # not offered ...
        response = await client.post(
            f"/console/requests/{request_id}/answer",
            data={"csrf": csrf_of(page.text), "outcome": "sealed", "rank": "FIRST",
                  "expires_on": "2099-01-01"},
        )  # fmt: skip
        assert response.status_code == 403  # ... and refused by the service
        assert (await client.get("/console/inbox")).headers.get("location") == "/console/"
    assert (await console.request(request_id)).status == "DISPATCHED"
