"""Case money in a real browser: an officer disburses from the case page and reads the
court's indicators. Screenshots go to ``artifacts/screenshots/``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from urllib.parse import quote

import pytest

from hub import funds
from tests.console.conftest import CASE_NUMBER, Console
from tests.console.test_browser import CHROMIUM, chromium, shot, signed_in_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not __import__("pathlib").Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing"
    ),
]


async def test_an_officer_disburses_and_sees_the_indicators(console: Console) -> None:
    base = console.live.url
    await funds.record_receipt(
        console.live.state.db,
        console.officer,
        funds.ReceiptData(CASE_NUMBER, Decimal("30000.00"), date(2026, 2, 10), "DEDUCTION"),
    )
    token = await console.live.token("court_officer", "闽0623", name="漳浦县法院执行局 陈法官")
    async with chromium() as browser:
        page = await signed_in_page(browser, base, token)
        await page.goto(f"{base}/console/cases/{quote(CASE_NUMBER, safe='')}")
        assert "30,000.00 元" in await page.inner_text("[data-funds=held]")

        form = page.locator("#disburse-form")
        await form.locator("input[name=payee_name]").fill("黄某")
        await form.locator("input[name=payee_account]").fill("6217001830000123456")
        await form.locator("input[name=amount]").fill("40000.00")
        await form.locator("input[name=paid_on]").fill("2026-02-28")
        await form.locator("button[type=submit]").click()
        await page.wait_for_load_state()
        assert "发放金额超过案款余额" in await page.inner_text("[role=alert]")
        await shot(page, "funds-01-too-much")

        form = page.locator("#disburse-form")
        await form.locator("input[name=amount]").fill("25000.00")
        await form.locator("button[type=submit]").click()
        await page.wait_for_url("**/cases/*?done=disbursed#funds")
        assert "案款已发放" in await page.inner_text("[role=status]")
        assert "5,000.00 元" in await page.inner_text("[data-funds=held]")
        assert "黄某" in await page.inner_text("#disbursements")
        await shot(page, "funds-02-disbursed")

        await page.click("header a:has-text('质效指标')")
        await page.wait_for_url("**/console/courts/*/indicators")
        assert "案款发放及时率" in await page.inner_text("#rates")
        assert await page.locator("svg#trend polyline").count() == 2
        overdue = await page.inner_text("#overdue-funds")
        assert CASE_NUMBER in overdue and "5,000.00" in overdue  # the rest, late since March
        await shot(page, "funds-03-indicators")


async def test_a_supervisor_sees_the_courts_ranked(console: Console) -> None:
    base = console.live.url
    token = await console.live.token("supervisor", "闽06", name="漳州中院执行局 督导")
    async with chromium() as browser:
        page = await signed_in_page(browser, base, token)
        assert page.url.startswith(f"{base}/console/ranking")
        ranking = await page.inner_text("#ranking")
        assert "第 1 名" in ranking and "漳浦县人民法院" in ranking
        await shot(page, "funds-04-ranking")
        await page.click("#ranking a:has-text('漳浦县人民法院')")
        await page.wait_for_url("**/console/courts/*/indicators*")
        assert "结案率" in await page.inner_text("#rates")
