"""The case account over HTTP: receipts, disbursements, idempotency, refusals, the books."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa

from hub.models import AuditEntry, LedgerEntry
from tests.funds.helpers import (
    COURT,
    china_today,
    error,
    file_case,
    funds,
    ok,
    pay,
    receive,
)
from tests.support import LiveHub

RECONCILE = """query($c: String!) { fundsReconciliation(court: $c) {
  balanced transactions custody held problems } }"""


async def _audit_count(live: LiveHub) -> int:
    async with live.state.db.session() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) or 0)


async def _ledger_count(live: LiveHub) -> int:
    async with live.state.db.session() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) or 0)


async def test_receipts_and_disbursements_move_the_account(hub: LiveHub) -> None:
    officer = await hub.token("court_officer", COURT)
    today = china_today()
    filed = today - timedelta(days=20) if (today - timedelta(days=20)).year == today.year else today
    number = await file_case(hub, officer, 101, filed)

    first = ok(await receive(hub, officer, number, "30000.00", filed, "DEBTOR"))["recordReceipt"]
    assert first["amount"] == "30000.00" and first["source"] == "DEBTOR"
    assert first["dueOn"] == (filed + timedelta(days=30)).isoformat()
    ok(await receive(hub, officer, number, "20000.50", today, "AUCTION"))
    paid = ok(await pay(hub, officer, number, "35000.00", today))["disburse"]
    assert paid["amount"] == "35000.00" and paid["payeeAccount"] == "6222020402012345678"

    case = await funds(hub, officer, number)
    assert case["amountRecovered"] == "50000.50"
    account = case["funds"]
    assert (account["received"], account["disbursed"], account["held"]) == (
        "50000.50",
        "35000.00",
        "15000.50",
    )
    # oldest receipt first: the first is paid out in full, the second in part
    assert [r["paidOut"] for r in account["receipts"]] == ["30000.00", "5000.00"]
    assert account["receipts"][0]["settledOn"] == today.isoformat()
    assert account["receipts"][1]["settledOn"] is None
    assert [d["payeeName"] for d in account["disbursements"]] == ["漳州市某典当有限责任公司"]

    books = ok(await hub.gql(RECONCILE, {"c": COURT}, token=officer))["fundsReconciliation"]
    assert books == {
        "balanced": True,
        "transactions": 3,
        "custody": "15000.50",
        "held": "15000.50",
        "problems": [],
    }
    async with hub.state.db.session() as session:
        actions = (
            await session.scalars(
                sa.select(AuditEntry.action).where(AuditEntry.action.like("funds.%"))
            )
        ).all()
    assert sorted(actions) == ["funds.disbursement", "funds.receipt", "funds.receipt"]


async def test_over_payment_is_refused_and_writes_nothing(hub: LiveHub) -> None:
    officer = await hub.token("court_officer", COURT)
    today = china_today()
    number = await file_case(hub, officer, 102, today)
    ok(await receive(hub, officer, number, "1000.00", today))
    audits, legs = await _audit_count(hub), await _ledger_count(hub)

    too_much = error(await pay(hub, officer, number, "1000.01", today))
    assert too_much == {"code": "BAD_USER_INPUT", "field": "amount"}
    for bad in ("0.00", "-5.00", "1.005", "abc"):
        refused = await pay(hub, officer, number, bad, today)
        assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", bad
    future = error(await pay(hub, officer, number, "10.00", today + timedelta(days=1)))
    assert future == {"code": "BAD_USER_INPUT", "field": "paidOn"}

    assert (await _audit_count(hub), await _ledger_count(hub)) == (audits, legs)
    account = (await funds(hub, officer, number))["funds"]
    assert (account["held"], account["disbursements"]) == ("1000.00", [])
    ok(await pay(hub, officer, number, "1000.00", today))  # exactly what it holds is fine
    assert error(await pay(hub, officer, number, "0.01", today))["field"] == "amount"


async def test_money_is_not_paid_out_before_it_arrived(hub: LiveHub) -> None:
    """A backdated payment may take only what the account held on its day and kept after."""
    officer = await hub.token("court_officer", COURT)
    today = china_today()
    filed = today - timedelta(days=40)
    number = await file_case(hub, officer, 105, filed)
    ok(await receive(hub, officer, number, "1000.00", filed + timedelta(days=1)))
    ok(await receive(hub, officer, number, "1000.00", today))
    audits, legs = await _audit_count(hub), await _ledger_count(hub)

    # 2000.00 held now, but only 1000.00 had arrived by the second day
    early = await pay(hub, officer, number, "1500.00", filed + timedelta(days=2))
    assert error(early) == {"code": "BAD_USER_INPUT", "field": "amount"}
    before_any = await pay(hub, officer, number, "1.00", filed)
    assert error(before_any) == {"code": "BAD_USER_INPUT", "field": "amount"}
    assert (await _audit_count(hub), await _ledger_count(hub)) == (audits, legs)

    ok(await pay(hub, officer, number, "800.00", filed + timedelta(days=2)))  # 200.00 left then
    # on the first day 1000.00 was there, but 800.00 of it went out the next day
    spoken_for = await pay(hub, officer, number, "500.00", filed + timedelta(days=1))
    assert error(spoken_for) == {"code": "BAD_USER_INPUT", "field": "amount"}
    ok(await pay(hub, officer, number, "200.00", filed + timedelta(days=1)))
    account = (await funds(hub, officer, number))["funds"]
    assert (account["received"], account["disbursed"], account["held"]) == (
        "2000.00",
        "1000.00",
        "1000.00",
    )


async def test_a_repeated_key_pays_once(hub: LiveHub) -> None:
    officer = await hub.token("court_officer", COURT)
    today = china_today()
    number = await file_case(hub, officer, 103, today)
    ok(await receive(hub, officer, number, "5000.00", today, key="r-1"))
    again = ok(await receive(hub, officer, number, "5000.00", today, key="r-1"))
    first = ok(await pay(hub, officer, number, "3000.00", today, key="p-1"))["disburse"]
    second = ok(await pay(hub, officer, number, "3000.00", today, key="p-1"))["disburse"]
    assert first["id"] == second["id"]
    assert again["recordReceipt"]["amount"] == "5000.00"

    other_body = error(await pay(hub, officer, number, "1000.00", today, key="p-1"))
    assert other_body["code"] == "CONFLICT"
    other_receipt = error(await receive(hub, officer, number, "1.00", today, key="r-1"))
    assert other_receipt["code"] == "CONFLICT"

    account = (await funds(hub, officer, number))["funds"]
    assert (account["received"], account["disbursed"], account["held"]) == (
        "5000.00",
        "3000.00",
        "2000.00",
    )
    assert len(account["disbursements"]) == 1 and len(account["receipts"]) == 1


async def test_who_may_read_and_write_the_account(hub: LiveHub) -> None:
    officer = await hub.token("court_officer", COURT)
    today = china_today()
    number = await file_case(hub, officer, 104, today)
    ok(await receive(hub, officer, number, "800.00", today))
    ok(await pay(hub, officer, number, "300.00", today))
    observer = await hub.token("observer", number)
    other_court = await hub.token("court_officer", "闽0206")
    agency = await hub.token("agency_officer", "realestate-zhangpu")

    seen = (await funds(hub, observer, number))["funds"]
    assert seen["held"] == "500.00"
    assert seen["disbursements"][0]["payeeAccount"] != "6222020402012345678"  # masked
    assert seen["offers"] == []
    for token in (observer, other_court, agency):
        assert error(await receive(hub, token, number, "1.00", today))["code"] == "FORBIDDEN"
        assert error(await pay(hub, token, number, "1.00", today))["code"] == "FORBIDDEN"
    assert error(await hub.gql(RECONCILE, {"c": COURT}, token=other_court))["code"] == "FORBIDDEN"
    assert (await funds(hub, officer, number))["funds"]["held"] == "500.00"


async def test_receipt_dates_and_amounts_are_checked(hub: LiveHub) -> None:
    officer = await hub.token("court_officer", COURT)
    today = china_today()
    number = await file_case(hub, officer, 105, today)
    before = error(await receive(hub, officer, number, "1.00", today - timedelta(days=1)))
    assert before == {"code": "BAD_USER_INPUT", "field": "receivedOn"}
    later = error(await receive(hub, officer, number, "1.00", today + timedelta(days=1)))
    assert later == {"code": "BAD_USER_INPUT", "field": "receivedOn"}
    zero = error(await receive(hub, officer, number, "0.00", today))
    assert zero == {"code": "BAD_USER_INPUT", "field": "amount"}
    assert (await funds(hub, officer, number))["funds"]["receipts"] == []


async def test_concurrent_disbursements_never_overdraw(hub: LiveHub) -> None:
    officer = await hub.token("court_officer", COURT)
    today = china_today()
    number = await file_case(hub, officer, 106, today)
    ok(await receive(hub, officer, number, "1000.00", today))
    bodies = await asyncio.gather(
        *(pay(hub, officer, number, "400.00", today, key=f"c-{i}") for i in range(5)),
        *(pay(hub, officer, number, "400.00", today, key="same") for _ in range(3)),
    )
    paid = [b for b in bodies if "errors" not in b]
    refused = [error(b) for b in bodies if "errors" in b]
    assert len({b["data"]["disburse"]["id"] for b in paid}) == 2
    assert refused and all(e == {"code": "BAD_USER_INPUT", "field": "amount"} for e in refused)
    account = (await funds(hub, officer, number))["funds"]
    assert (account["disbursed"], account["held"]) == ("800.00", "200.00")
    books = ok(await hub.gql(RECONCILE, {"c": COURT}, token=officer))["fundsReconciliation"]
    assert books["balanced"] is True
