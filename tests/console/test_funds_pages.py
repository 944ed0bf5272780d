"""The case account, the court's indicators and the ranking in the console, over HTTP."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import quote

from sqlalchemy import func, select

from hub import funds
from hub.cases import court_today
from hub.models import Disbursement
from tests.console.conftest import CASE_NUMBER, Console, csrf_of

CASE_URL = f"/console/cases/{quote(CASE_NUMBER, safe='')}"
COURT = ("court_officer", "闽0623")


async def _receive(console: Console, amount: str, on: date) -> None:
    await funds.record_receipt(
        console.live.state.db,
        console.officer,
        funds.ReceiptData(CASE_NUMBER, Decimal(amount), on, "DEBTOR"),
    )


async def _disbursed(console: Console) -> int:
    async with console.live.state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Disbursement)) or 0)


async def test_disbursement_form_pays_once_and_refuses_too_much(console: Console) -> None:
    await _receive(console, "12000.00", date(2026, 3, 1))
    async with console.signed_in(*COURT) as client:
        page = await client.get(CASE_URL)
        assert page.status_code == 200
        assert "案款" in page.text and "12,000.00 元" in page.text
        assert 'action="' + CASE_URL + '/funds/disburse"' in page.text
        form = {
            "csrf": csrf_of(page.text),
            "payee_name": "黄某",
            "payee_account": "6217001830000123456",
            "amount": "20000.00",
            "paid_on": "2026-03-20",
            "key": "console-test-1",
        }
        refused = await client.post(f"{CASE_URL}/funds/disburse", data=form)
        assert refused.status_code == 400
        assert "发放金额超过案款余额" in refused.text and "金额" in refused.text
        assert await _disbursed(console) == 0

        form["amount"] = "12000.00"
        paid = await client.post(f"{CASE_URL}/funds/disburse", data=form)
        assert paid.status_code == 303
        twice = await client.post(f"{CASE_URL}/funds/disburse", data=form)  # a double click
        assert twice.status_code == 303
        assert await _disbursed(console) == 1
        after = await client.get(paid.headers["location"])
        assert "案款已发放。" in after.text and "黄某" in after.text

        stale = dict(form, csrf="not-the-token", key="console-test-2")
        assert (await client.post(f"{CASE_URL}/funds/disburse", data=stale)).status_code == 403

    async with console.signed_in("observer", CASE_NUMBER) as observer:
        seen = await observer.get(CASE_URL)
        assert "12,000.00" in seen.text and "/funds/disburse" not in seen.text
        assert "6217001830000123456" not in seen.text  # the account is masked


async def test_court_indicators_page_and_ranking(console: Console) -> None:
    await _receive(console, "5000.00", date(2026, 2, 1))  # never paid out: overdue
    soon = court_today() - timedelta(days=27)  # due in three days; its officer reminded
    if soon.year == 2026:
        await _receive(console, "300.00", soon)
    async with console.signed_in(*COURT) as client:
        page = await client.get(
            f"/console/courts/{quote('闽0623')}/indicators",
            params={"from": "2026-01-01", "to": "2026-11-30"},
        )
        assert page.status_code == 200
        for words in ("结案率", "执行到位率", "法定审限内结案率", "案款发放及时率", "<svg"):
            assert words in page.text
        assert "<script" not in page.text
        assert CASE_NUMBER in page.text and "逾期未发放案款" in page.text
        assert "收支平衡" in page.text
        if soon.year == 2026:
            due = page.text.split('id="due-soon-funds"')[1]
            assert "300.00" in due and "3 天" in due
        other = await client.get(f"/console/courts/{quote('闽0602')}/indicators")
        assert other.status_code == 403
        assert (await client.get("/console/ranking")).status_code == 403
    async with console.signed_in("supervisor", "闽06") as supervisor:
        ranking = await supervisor.get("/console/ranking")
        assert ranking.status_code == 200
        assert "第 1 名" in ranking.text and "漳浦县人民法院" in ranking.text
        court = await supervisor.get(f"/console/courts/{quote('闽0623')}/indicators")
        assert court.status_code == 200
        assert (await supervisor.get(CASE_URL)).status_code == 403  # figures, not cases
