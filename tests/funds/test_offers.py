"""A completed deduction (扣划) offers itself as a receipt; confirming it books it once.
The 30-day reminder reaches the case's officer before the limit, once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from hub import funds_reminders
from hub.dispatcher import Dispatcher
from hub.models import AssistanceRequest, Case, Party
from tests.funds.helpers import COURT, china_today, error, file_case, funds, ok, receive
from tests.support import LiveHub

CONFIRM = """mutation($id: ID!) { confirmReceiptOffer(requestId: $id) {
  id amount source reference requestId } }"""
EVENTS = """query($n: String!) { case(number: $n) { events { kind actor note } } }"""


async def _completed_request(
    live: LiveHub, number: str, action: str, result: dict[str, object]
) -> str:
    """A request the bank answered: planted in the table as the dispatcher would leave it."""
    async with live.state.db.transaction() as session:
        case = await session.scalar(sa.select(Case).where(Case.number == number))
        assert case is not None
        party = await session.scalar(
            sa.select(Party).where(Party.case_id == case.id, Party.role == "RESPONDENT")
        )
        assert party is not None
        now = datetime.now(UTC)
        row = AssistanceRequest(
            case_id=case.id,
            party_id=party.id,
            agency_id="bank-icbc-zhangzhou",
            action=action,
            # what the bank kind declares of each action (the hub fixes it at creation)
            effect={"DEDUCT": "MOVE_MONEY", "SEAL": "ENCUMBER"}.get(action, "NONE"),
            status="COMPLETED",
            document_number=f"{number}之三",
            details={"account": "6222020402012345678", "amount": "8000.00"},
            idempotency_key=f"test:{number}:{action}",
            body_hash="0" * 64,
            due_at=now + timedelta(days=7),
            answered_at=now,
            outcome="已扣划",
            result=result,
        )
        session.add(row)
        await session.flush()
        return row.id


async def test_a_deduction_offers_itself_and_books_once(hub: LiveHub) -> None:
    officer = await hub.token("court_officer", COURT)
    number = await file_case(hub, officer, 401, china_today())
    deduct = await _completed_request(hub, number, "DEDUCT", {"amount": "8000.00"})
    await _completed_request(hub, number, "SEAL", {"amount": "1.00"})  # moves no money
    await _completed_request(hub, number, "QUERY", {})

    offers = (await funds(hub, officer, number))["funds"]["offers"]
    assert [(o["requestId"], o["amount"], o["action"]) for o in offers] == [
        (deduct, "8000.00", "DEDUCT")
    ]
    observer = await hub.token("observer", number)
    assert (await funds(hub, observer, number))["funds"]["offers"] == []
    assert error(await hub.gql(CONFIRM, {"id": deduct}, token=observer))["code"] == "FORBIDDEN"

    first = ok(await hub.gql(CONFIRM, {"id": deduct}, token=officer))["confirmReceiptOffer"]
    again = ok(await hub.gql(CONFIRM, {"id": deduct}, token=officer))["confirmReceiptOffer"]
    assert first == again
    assert (first["amount"], first["source"], first["requestId"]) == (
        "8000.00",
        "DEDUCTION",
        deduct,
    )
    case = await funds(hub, officer, number)
    assert case["amountRecovered"] == "8000.00"
    assert case["funds"]["received"] == "8000.00" and case["funds"]["offers"] == []


async def test_the_officer_is_reminded_before_day_thirty(hub: LiveHub) -> None:
    officer = await hub.token("court_officer", COURT, name="李法官")
    today = china_today()
    received = today - timedelta(days=26)
    filed = received if received.year == today.year else today
    number = await file_case(hub, officer, 402, filed)
    ok(await receive(hub, officer, number, "6000.00", max(received, filed)))

    # the job's clock is the test's: nothing is due four days after receipt
    assert await funds_reminders.remind_due(hub.state.db, max(received, filed) + timedelta(4)) == 0
    reminded_day = max(received, filed) + timedelta(days=25)
    assert await funds_reminders.remind_due(hub.state.db, reminded_day) == 1
    assert await funds_reminders.remind_due(hub.state.db, reminded_day) == 0  # once
    events = ok(await hub.gql(EVENTS, {"n": number}, token=officer))["case"]["events"]
    reminders = [e for e in events if e["kind"] == "FUNDS_REMINDER"]
    assert len(reminders) == 1
    assert "李法官" in reminders[0]["note"] and "6000.00" in reminders[0]["note"]


async def test_the_worker_loop_sends_the_reminder(hub: LiveHub) -> None:
    officer = await hub.token("court_officer", COURT, name="王法官")
    today = china_today()
    received = today - timedelta(days=27)
    if received.year != today.year:
        pytest.skip("needs 27 days of this year behind us")
    number = await file_case(hub, officer, 403, received)
    ok(await receive(hub, officer, number, "700.00", received))

    dispatcher = Dispatcher(hub.state, poll_s=0.02)
    await dispatcher.start()
    try:
        async with asyncio.timeout(10):
            while True:
                events = ok(await hub.gql(EVENTS, {"n": number}, token=officer))["case"]["events"]
                if any(e["kind"] == "FUNDS_REMINDER" for e in events):
                    break
                await asyncio.sleep(0.05)
    finally:
        await dispatcher.stop()
    assert sum(e["kind"] == "FUNDS_REMINDER" for e in events) == 1
