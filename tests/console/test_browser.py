"""The console in a real browser: Debian's Chromium driven by Playwright.

Never ``playwright install``: the browser is the system's ``/usr/bin/chromium``
(``.ci/run`` installs it). Every page visited is saved to
``artifacts/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, Page, async_playwright
from sqlalchemy import select

from adapters.sdk.config import AgencyConfig
from hub.auth import Role, create_principal
from hub.cases import CaseData, PartyData, file_case
from hub.models import AssistanceRequest
from mocks._common import load_world
from mocks.runner import MockCluster, render_config
from tests.console.conftest import CASE_NUMBER, LONGHAI, SUBJECT_ID, ZHANGPU, Console, seal_request
from tests.support import start_hub

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)",
    ),
]


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def signed_in_page(browser: Browser, base: str, token: str) -> Page:
    """A new browser context (its own cookie jar), signed in through the form."""
    page = await (await browser.new_context(locale="zh-CN")).new_page()
    page.set_default_timeout(15_000)
    await page.goto(f"{base}/console/login")
    await page.fill("input[name=token]", token)
    await page.click("form button[type=submit]")
    await page.wait_for_load_state()
    return page


async def test_sign_in(console: Console) -> None:
    base = console.live.url
    token = await console.live.token("court_officer", "闽0623", name="漳浦县法院执行局 陈法官")
    async with chromium() as browser:
        page = await (await browser.new_context(locale="zh-CN")).new_page()
        page.set_default_timeout(15_000)
        await page.goto(f"{base}/console/cases")  # no session: sent to the sign-in form
        assert page.url == f"{base}/console/login"
        assert await page.get_attribute("html", "lang") == "zh-CN"
        await shot(page, "signin-01-login")

        await page.fill("input[name=token]", "hub_wrong")
        await page.click("form button[type=submit]")
        assert "令牌无效" in await page.inner_text("[role=alert]")
        assert page.url == f"{base}/console/login"
        await shot(page, "signin-02-bad-token")

        await page.fill("input[name=token]", token)
        await page.click("form button[type=submit]")
        await page.wait_for_url(f"{base}/console/cases")
        assert "漳浦县法院执行局 陈法官" in await page.inner_text("header")
        await shot(page, "signin-03-cases")

        await page.click(f"text={CASE_NUMBER}")
        await page.wait_for_url(f"{base}/console/cases/{quote(CASE_NUMBER, safe='')}")
        assert "周某" in await page.inner_text("main")
        await shot(page, "signin-04-case")

        await page.click("header button:has-text('退出')")
        await page.wait_for_url(f"{base}/console/login")
        await page.goto(f"{base}/console/cases")
        assert page.url == f"{base}/console/login"


async def test_an_agency_officer_answers_and_another_agency_sees_nothing(
    console: Console,
) -> None:
    base = console.live.url
    request_id = await seal_request(console.live, console.officer)
    zhangpu = await console.live.token(
        "agency_officer", ZHANGPU.id, name="漳浦县不动产登记中心 窗口"
    )
    longhai = await console.live.token(
        "agency_officer", LONGHAI.id, name="龙海区不动产登记中心 窗口"
    )
    async with chromium() as browser:
        other = await signed_in_page(browser, base, longhai)
        assert other.url == f"{base}/console/inbox"
        assert await other.locator(f"a[href*='{request_id}']").count() == 0
        assert "没有待办的协助请求" in await other.inner_text("main")
        await shot(other, "inbox-01-other-agency-empty")
        response = await other.goto(f"{base}/console/requests/{request_id}")
        assert response is not None and response.status == 404
        assert SUBJECT_ID not in await other.content()
        await shot(other, "inbox-02-other-agency-404")

        page = await signed_in_page(browser, base, zhangpu)
        link = page.locator(f"table.inbox a[href*='{request_id}']")
        assert await link.count() == 1
        await shot(page, "inbox-03-inbox")
        await link.click()
        await page.wait_for_url(f"{base}/console/requests/{request_id}")
        main = await page.inner_text("main")
        assert SUBJECT_ID in main and "（2026）闽0623执88号之一" in main
        await shot(page, "inbox-04-request")

        await page.fill("input[name=outcome]", "已轮候查封")
        await page.select_option("select[name=rank]", "WAITING")
        await page.click("form.answer-form button[type=submit]")
        await page.wait_for_url(f"{base}/console/inbox?done=answer")
        assert "已答复" in await page.inner_text("[role=status]")
        assert await page.locator(f"a[href*='{request_id}']").count() == 0  # it left the inbox
        await shot(page, "inbox-05-answered")

        await page.set_viewport_size({"width": 375, "height": 740})  # a phone
        await page.goto(f"{base}/console/requests/{request_id}")
        assert "已办结" in await page.inner_text("h1")
        await shot(page, "inbox-06-answered-request-narrow")
    row = await console.request(request_id)
    # a waiting seal (轮候) has no term of its own until it is promoted
    assert (row.status, row.seal_rank, row.seal_expires_on) == ("COMPLETED", "WAITING", None)


@asynccontextmanager
async def mock_agencies() -> AsyncIterator[list[AgencyConfig]]:
    """The five mock agencies on a free run of ports, and a hub.toml's agencies for them."""
    world = load_world(None)
    for _ in range(20):
        base = random.randrange(20_000, 60_000, 5)
        try:
            cluster = await MockCluster(world, port_base=base).__aenter__()
        except OSError:
            continue
        try:
            configs = tomllib.loads(render_config(base, world))["agencies"]
            yield [AgencyConfig(**c) for c in configs]
        finally:
            await cluster.__aexit__(None, None, None)
        return
    raise RuntimeError("no free run of five ports for the mock agencies")


async def test_a_court_officer_seals_a_property_from_the_dossier(database_url: str) -> None:
    number = "（2026）闽0602执2088号"
    async with mock_agencies() as agencies, start_hub(database_url, agencies=agencies) as live:
        officer, token = await create_principal(
            live.state.db, role=Role.COURT_OFFICER, scope="闽0602", name="芗城区法院执行局 李法官"
        )
        await file_case(
            live.state.db,
            officer,
            CaseData(
                number=number,
                filed_on=date(2026, 9, 3),
                cause="民间借贷纠纷",
                amount_claimed="80000.00",
                parties=[
                    PartyData("APPLICANT", "PERSON", "张某", "350602197501010010"),
                    PartyData("RESPONDENT", "PERSON", "陈某某", "350602198003150015"),
                ],
            ),
        )
        certificate = "闽(2019)漳州市不动产权第0012345号"
        async with chromium() as browser:
            page = await signed_in_page(browser, live.url, token)
            await page.click(f"text={number}")
            await page.click("tr:has-text('陈某某') >> text=财产档案")
            await page.wait_for_selector("#section-real_estate")
            sources = page.locator("table.sources-table [data-state]")
            states = await sources.evaluate_all("els => els.map(e => e.dataset.state)")
            assert "OK" in states and "NOT_APPLICABLE" in states  # the county registry
            # the namesake's flat in 莆田 has no ID number: flagged, not hidden, not counted
            same_name = page.locator("tr[data-certificate='闽(2016)莆田市不动产权第0045678号']")
            assert "仅姓名匹配，需核实" in await same_name.inner_text()
            # the other 陈某某's flat in 厦门 (another ID number) is not shown at all
            assert await page.locator("text=闽(2018)厦门市不动产权第0034567号").count() == 0
            await shot(page, "dossier-01-dossier")

            await page.click(f"tr[data-certificate='{certificate}'] >> text=查封此房产")
            await page.wait_for_selector("input[name=document_number]")
            assert await page.input_value("input[name=certificate]") == certificate
            assert await page.input_value("select[name=agency]") == "realestate-zhangzhou"
            assert await page.input_value("select[name=action]") == "SEAL"
            await shot(page, "dossier-02-new-request")

            await page.fill("input[name=document_number]", "（2026）闽0602执2088号之一")
            await page.click("form.card button[type=submit]")
            await page.wait_for_selector("[role=status]")
            assert "协助请求已创建" in await page.inner_text("[role=status]")
            assert certificate in await page.inner_text("main")
            await shot(page, "dossier-03-request-created")
        async with live.state.db.session() as session:
            rows = list((await session.scalars(select(AssistanceRequest))).all())
    assert [(r.agency_id, r.action, r.details["certificate"]) for r in rows] == [
        ("realestate-zhangzhou", "SEAL", certificate)
    ]
    assert rows[0].document_number == "（2026）闽0602执2088号之一"
