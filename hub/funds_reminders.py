"""Reminders before the 30-day pay-out limit: a durable job the worker loop runs.

Durable because its state is in the receipts themselves: ``remind_on`` says when
a receipt's officer is to be reminded, ``reminded_at`` that it was done. A claim
is one conditional UPDATE, so any number of workers remind each receipt once,
and a worker that was down catches up on its next run.
"""

from __future__ import annotations

import time
from datetime import date

from sqlalchemy import select, update

from hub import audit, ledger
from hub.cases import court_today
from hub.models import Case, CaseEvent, Receipt, utcnow
from hub.state import HubState, Slot
from hub.storage import Database

ACTOR = "hub:funds"
EVERY_S = 60.0  # how often the worker loop looks for receipts to remind of
_LAST_RUN: Slot[float] = Slot("funds.reminders.last_run")  # time.monotonic()


async def remind_due(db: Database, today: date | None = None) -> int:
    """Remind the officers of every receipt due for a reminder; how many were sent."""
    today = today or court_today()
    async with db.session() as session:
        due = (
            await session.scalars(
                select(Receipt.id).where(
                    Receipt.settled_on.is_(None),
                    Receipt.reminded_at.is_(None),
                    Receipt.remind_on <= today,
                )
            )
        ).all()
    sent = 0
    for receipt_id in due:
        async with db.transaction() as session:
            claimed = await session.execute(
                update(Receipt)
                .where(Receipt.id == receipt_id, Receipt.reminded_at.is_(None))
                .values(reminded_at=utcnow())
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue  # another worker took it
            receipt = await session.get(Receipt, receipt_id)
            case = await session.get(Case, receipt.case_id) if receipt else None
            if receipt is None or case is None:
                continue
            outstanding = ledger.to_yuan(receipt.amount_cents - receipt.paid_cents)
            officer = case.created_by or "承办人"
            session.add(
                CaseEvent(
                    case_id=case.id,
                    kind="FUNDS_REMINDER",
                    actor=ACTOR,
                    note=f"提醒{_person(officer)}：{receipt.received_on.isoformat()} 到账的案款"
                    f"尚有 {outstanding} 元未发放，须于 {receipt.due_on.isoformat()} 前发放",
                )
            )
            await audit.record(
                session,
                actor=ACTOR,
                action="funds.reminder",
                purpose=case.number,
                target=case.number,
                detail={"receipt": receipt.id, "officer": officer, "due_on": str(receipt.due_on)},
            )
            sent += 1
    return sent


def _person(actor: str) -> str:
    """``court_officer:李法官#3`` → ``李法官``."""
    name = actor.split(":", 1)[-1]
    return name.rsplit("#", 1)[0]


async def maybe_run(hub: HubState) -> None:
    """The worker loop's hook: run at most every ``EVERY_S`` seconds per process."""
    now = time.monotonic()
    last = hub.get(_LAST_RUN)
    if last is not None and now - last < EVERY_S:
        return
    hub.put(_LAST_RUN, now)
    await remind_due(hub.db)
