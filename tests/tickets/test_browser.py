"""The service centre's loop in a real browser: centre staff log a 12368 call, the officer
answers it in the console, the applicant signs in and rates it; the monitoring page is
photographed for a person to look at (``artifacts/screenshots/tickets-*.png``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.auth import Role
from tests.console.test_browser import CHROMIUM, chromium, shot, signed_in_page
from tests.tickets.conftest import CASE, Centre

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing"),
]


async def test_hotline_ticket_answered_and_rated(centre: Centre) -> None:
    base = centre.live.url
    desk = await centre.live.token(Role.COURT_OFFICER, "闽0602", name="诉求服务中心 王某")
    async with chromium() as browser:
        # centre staff: a caller names the respondent; the case is found by that name
        staff = await signed_in_page(browser, base, desk)
        await staff.click("nav >> text=诉求工单")
        await staff.click("text=登记来访、来电、来信诉求")
        await staff.fill("input[name=q]", "陈某某")
        await staff.click("form.filters button[type=submit]")
        await staff.click(f"tr:has-text('{CASE}') >> text=为此案登记")
        assert await staff.input_value("input[name=case]") == CASE
        await staff.select_option("select[name=channel]", "HOTLINE")
        await staff.select_option("select[name=category]", "FUNDS")
        await staff.fill("input[name=applicant_name]", "林某")
        await staff.fill("input[name=applicant_phone]", "138 0000 0001")
        await staff.fill("textarea[name=content]", "来电询问：被执行人已交款，案款何时发放？")
        await shot(staff, "tickets-01-intake")
        await staff.click("#ticket-form button[type=submit]")
        await staff.wait_for_selector("[role=status]")
        main = await staff.inner_text("main")
        assert "诉求已登记" in main and "12368热线" in main and "李法官" in main
        number = (await staff.inner_text("h1")).strip()
        assert number == "（2026）闽0602诉1号"
        await shot(staff, "tickets-02-opened")

        # the officer finds it among their own and answers beside the case
        officer = await signed_in_page(browser, base, centre.officer)
        await officer.goto(f"{base}/console/tickets?mine=1")
        await officer.click(f"text={number}")
        assert CASE in await officer.inner_text(".split")
        await officer.fill("textarea[name=reply]", "案款已到账，将于三个工作日内发放至您的账户。")
        await officer.click("#reply-form button[type=submit]")
        await officer.wait_for_selector("#reply")
        assert "答复已发送给申请人" in await officer.inner_text("[role=status]")
        await shot(officer, "tickets-03-replied")

        # the applicant signs in, reads the answer and rates it
        applicant = await signed_in_page(browser, base, centre.applicant)
        assert applicant.url == f"{base}/console/my"
        assert CASE in await applicant.inner_text("h1")
        await shot(applicant, "tickets-04-applicant-home")
        await applicant.click(f"text={number}")
        assert "三个工作日内发放" in await applicant.inner_text("#reply")
        await applicant.select_option("select[name=rating]", "5")
        await applicant.fill("input[name=comment]", "答复及时")
        await applicant.click("#rate-form button[type=submit]")
        await applicant.wait_for_selector("[role=status]")
        assert "已办结" in await applicant.inner_text("main")
        await shot(applicant, "tickets-05-rated")

        # the leadership's view, over a few months of letters
        for month, category, n in (
            ("09", "PROGRESS", 3),
            ("10", "PROGRESS", 5),
            ("10", "FUNDS", 2),
            ("11", "PROGRESS", 2),
            ("11", "COMPLAINT", 1),
            ("11", "FUNDS", 4),
        ):
            for day in range(1, n + 1):
                await centre.open(
                    desk,
                    channel="LETTER",
                    category=category,
                    receivedAt=f"2026-{month}-{day + 10:02d}T09:00:00+08:00",
                )
        await officer.goto(f"{base}/console/monitor")
        assert await officer.locator("svg.chart").count() == 2
        assert "满意度" in await officer.inner_text("main")
        await shot(officer, "tickets-06-monitor")

    async with centre.live.state.db.session() as session:
        from hub.models import Ticket

        row = await session.get(Ticket, (await _only_ticket(centre)))
    assert row is not None
    assert (row.channel, row.status, row.rating, row.applicant_phone) == (
        "HOTLINE",
        "CLOSED",
        5,
        "13800000001",
    )


async def _only_ticket(centre: Centre) -> str:
    body = await centre.gql(
        "{ tickets(filter: {channel: HOTLINE}) { nodes { id } } }", {}, centre.officer
    )
    nodes = body["data"]["tickets"]["nodes"]
    assert len(nodes) == 1
    return str(nodes[0]["id"])
