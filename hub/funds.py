"""Case money (案款): receipts into a case's account, disbursements out of it.

Each movement is a row (``Receipt`` / ``Disbursement``), a balanced ledger
transaction (``hub.ledger``), a case event and an audit entry, written in one
transaction. Disbursements are matched to receipts oldest first, so each
receipt knows when it was fully paid out (``settled_on``): that is what the
30-day rule (执行款到账后三十日内发放) and the timeliness indicator count.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub import audit, ledger, policy
from hub.cases import court_today, find_case
from hub.errors import BadUserInput, Conflict, NotFound
from hub.models import Case, CaseEvent, Disbursement, Receipt
from hub.principal import Principal
from hub.storage import Database
from hub.validation import parse_money, require_text

PAY_OUT_DAYS = 30  # 执行款到账后三十日内发放
REMIND_DAYS_BEFORE = 5  # the officer is reminded on day 25


class ReceiptSource(StrEnum):
    DEBTOR = "DEBTOR"  # 被执行人交纳
    DEDUCTION = "DEDUCTION"  # 扣划
    AUCTION = "AUCTION"  # 拍卖变卖
    OTHER = "OTHER"


SOURCE_LABELS: dict[str, str] = {
    "DEBTOR": "被执行人交纳",
    "DEDUCTION": "扣划",
    "AUCTION": "拍卖变卖",
    "OTHER": "其他",
}


@dataclass(frozen=True)
class ReceiptData:
    case_number: str
    amount: Decimal | str
    received_on: date
    source: str
    reference: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class DisbursementData:
    case_number: str
    amount: Decimal | str
    paid_on: date
    payee_name: str
    payee_account: str
    idempotency_key: str | None = None


@dataclass(frozen=True)
class CaseFunds:
    received: Decimal
    disbursed: Decimal
    receipts: list[Receipt]
    disbursements: list[Disbursement]

    @property
    def held(self) -> Decimal:
        return self.received - self.disbursed


@dataclass(frozen=True)
class OverdueReceipt:
    receipt: Receipt
    case_number: str
    outstanding: Decimal
    days_overdue: int


def _digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def _positive(amount: Decimal | str) -> Decimal:
    value = parse_money(amount, field="amount")
    if value <= 0:
        raise BadUserInput("amount", "金额须大于零")
    return value


def _key(value: str | None) -> str | None:
    return None if value is None else require_text(value, field="idempotencyKey", max_length=200)


def _dated(on: date, case: Case, field: str) -> date:
    if on > court_today():
        raise BadUserInput(field, "日期不能晚于今天")
    if on < case.filed_on:
        raise BadUserInput(field, "日期不能早于立案日期")
    return on


async def _case_for_update(session: AsyncSession, number: str) -> Case:
    found = await find_case(session, number, field="caseNumber")
    if found is None:
        raise NotFound("no such case")
    # lock the case row: two disbursements of one case must not both see the same balance
    locked = await session.scalar(
        select(Case)
        .where(Case.id == found.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert locked is not None
    return locked


async def _held_cents(session: AsyncSession, case_id: int, on: date) -> tuple[int, int]:
    """``(now, payable)``: what the account holds now, and the most a payment dated ``on``
    may take — the least it held on any day from ``on`` on, so that money is never paid
    out before it arrived (a backdated payment) nor twice over later payments."""
    got = await session.execute(
        select(Receipt.received_on, func.sum(Receipt.amount_cents))
        .where(Receipt.case_id == case_id)
        .group_by(Receipt.received_on)
    )
    gave = await session.execute(
        select(Disbursement.paid_on, func.sum(Disbursement.amount_cents))
        .where(Disbursement.case_id == case_id)
        .group_by(Disbursement.paid_on)
    )
    change: dict[date, int] = {}
    for day, cents in got:
        change[day] = change.get(day, 0) + int(cents or 0)
    for day, cents in gave:
        change[day] = change.get(day, 0) - int(cents or 0)
    held = sum(c for day, c in change.items() if day <= on)
    payable = held
    for day in sorted(d for d in change if d > on):
        held += change[day]
        payable = min(payable, held)
    return held, payable


# -- receipts ------------------------------------------------------------------------------


async def record_receipt(
    db: Database, principal: Principal, data: ReceiptData, *, request_id: str | None = None
) -> Receipt:
    """Book money into the case's account; the same key and body returns the first receipt."""
    key = _key(data.idempotency_key)
    try:
        async with db.transaction() as session:
            return await _record_in(session, principal, data, key, request_id)
    except IntegrityError:  # a concurrent booking under the same key (or of the same offer)
        async with db.session() as session:
            case = await find_case(session, data.case_number, field="caseNumber")
            if case is None:
                raise
            existing = await _existing_receipt(session, case.court_code, key, request_id)
            if existing is None:
                raise
            return _same_or_conflict(existing, _receipt_digest(case, data))


def _receipt_digest(case: Case, data: ReceiptData) -> str:
    return _digest(
        {
            "case": case.number,
            "amount": str(Decimal(str(data.amount)).quantize(ledger.CENT))
            if _decimal_like(data.amount)
            else str(data.amount),
            "on": data.received_on.isoformat(),
            "source": data.source,
            "reference": data.reference,
        }
    )


def _decimal_like(value: Decimal | str) -> bool:
    try:
        Decimal(str(value))
    except InvalidOperation:
        return False
    return True


async def _existing_receipt(
    session: AsyncSession, court: str, key: str | None, request_id: str | None
) -> Receipt | None:
    if request_id is not None:
        found = await session.scalar(select(Receipt).where(Receipt.request_id == request_id))
        if found is not None:
            return found
    if key is None:
        return None
    return await session.scalar(
        select(Receipt).where(Receipt.court_code == court, Receipt.idempotency_key == key)
    )


R = TypeVar("R", Receipt, Disbursement)


def _same_or_conflict(row: R, digest: str) -> R:
    if row.body_hash != digest:
        raise Conflict("该幂等键已用于另一笔不同的款项")
    return row


async def _record_in(
    session: AsyncSession,
    principal: Principal,
    data: ReceiptData,
    key: str | None,
    request_id: str | None,
) -> Receipt:
    case = await _case_for_update(session, data.case_number)
    policy.require_write_funds(principal, case)
    digest = _receipt_digest(case, data)
    existing = await _existing_receipt(session, case.court_code, key, request_id)
    if existing is not None:
        return _same_or_conflict(existing, digest)
    amount = _positive(data.amount)
    received_on = _dated(data.received_on, case, "receivedOn")
    if data.source not in ReceiptSource.__members__:
        raise BadUserInput("source", "未知的款项来源")
    reference = (
        None
        if data.reference is None
        else require_text(data.reference, field="reference", max_length=200)
    )
    cents = ledger.to_cents(amount)
    receipt = Receipt(
        case_id=case.id,
        court_code=case.court_code,
        amount_cents=cents,
        paid_cents=0,
        received_on=received_on,
        due_on=received_on + timedelta(days=PAY_OUT_DAYS),
        remind_on=received_on + timedelta(days=PAY_OUT_DAYS - REMIND_DAYS_BEFORE),
        source=data.source,
        reference=reference,
        request_id=request_id,
        idempotency_key=key,
        body_hash=digest,
        created_by=principal.actor,
    )
    session.add(receipt)
    case.amount_recovered = case.amount_recovered + amount
    ledger.post_receipt(session, case, cents, SOURCE_LABELS[data.source])
    session.add(
        CaseEvent(
            case_id=case.id,
            kind="FUNDS_RECEIVED",
            actor=principal.actor,
            note=f"案款到账 {amount} 元（{SOURCE_LABELS[data.source]}，{received_on.isoformat()}）",
        )
    )
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="funds.receipt",
        purpose=case.number,
        target=case.number,
        detail={
            "receipt": receipt.id,
            "amount": str(amount),
            "source": data.source,
            "received_on": received_on.isoformat(),
            "request": request_id,
        },
    )
    return receipt


# -- disbursements -------------------------------------------------------------------------


async def disburse(db: Database, principal: Principal, data: DisbursementData) -> Disbursement:
    """Pay out of the case's account, never more than it holds; a key pays once."""
    key = _key(data.idempotency_key)
    try:
        async with db.transaction() as session:
            return await _disburse_in(session, principal, data, key)
    except IntegrityError:
        if key is None:
            raise
        async with db.session() as session:
            case = await find_case(session, data.case_number, field="caseNumber")
            assert case is not None
            existing = await session.scalar(
                select(Disbursement).where(
                    Disbursement.court_code == case.court_code, Disbursement.idempotency_key == key
                )
            )
            if existing is None:
                raise
            result: Disbursement = _same_or_conflict(existing, _disbursement_digest(case, data))
            return result


def _disbursement_digest(case: Case, data: DisbursementData) -> str:
    return _digest(
        {
            "case": case.number,
            "amount": str(Decimal(str(data.amount)).quantize(ledger.CENT))
            if _decimal_like(data.amount)
            else str(data.amount),
            "on": data.paid_on.isoformat(),
            "payee": data.payee_name.strip(),
            "account": data.payee_account.strip(),
        }
    )


async def _disburse_in(
    session: AsyncSession, principal: Principal, data: DisbursementData, key: str | None
) -> Disbursement:
    case = await _case_for_update(session, data.case_number)
    policy.require_write_funds(principal, case)
    digest = _disbursement_digest(case, data)
    if key is not None:
        existing = await session.scalar(
            select(Disbursement).where(
                Disbursement.court_code == case.court_code, Disbursement.idempotency_key == key
            )
        )
        if existing is not None:
            result: Disbursement = _same_or_conflict(existing, digest)
            return result
    amount = _positive(data.amount)
    paid_on = _dated(data.paid_on, case, "paidOn")
    payee = require_text(data.payee_name, field="payeeName", max_length=200)
    account = require_text(data.payee_account, field="payeeAccount", max_length=64)
    cents = ledger.to_cents(amount)
    held, payable = await _held_cents(session, case.id, paid_on)
    if cents > held:
        raise BadUserInput("amount", f"发放金额超过案款余额（余额 {ledger.to_yuan(held)} 元）")
    if cents > payable:
        raise BadUserInput(
            "amount",
            f"{paid_on.isoformat()} 起可发放的案款只有 {ledger.to_yuan(payable)} 元"
            "（发放日期早于款项到账，或之后已有发放）",
        )
    row = Disbursement(
        case_id=case.id,
        court_code=case.court_code,
        amount_cents=cents,
        paid_on=paid_on,
        payee_name=payee,
        payee_account=account,
        idempotency_key=key,
        body_hash=digest,
        created_by=principal.actor,
    )
    session.add(row)
    await _allocate(session, case.id, cents, paid_on)
    ledger.post_disbursement(session, case, cents, payee)
    session.add(
        CaseEvent(
            case_id=case.id,
            kind="FUNDS_DISBURSED",
            actor=principal.actor,
            note=f"案款发放 {amount} 元给 {payee}（{paid_on.isoformat()}）",
        )
    )
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="funds.disbursement",
        purpose=case.number,
        target=case.number,
        detail={
            "disbursement": row.id,
            "amount": str(amount),
            "payee": payee,
            "account": account,
            "paid_on": paid_on.isoformat(),
        },
    )
    return row


async def _allocate(session: AsyncSession, case_id: int, cents: int, paid_on: date) -> None:
    """Match a payment to the oldest receipts still open; a receipt paid in full is settled
    on the day of the payment that completed it."""
    open_receipts = await session.scalars(
        select(Receipt)
        .where(Receipt.case_id == case_id, Receipt.paid_cents < Receipt.amount_cents)
        .order_by(Receipt.received_on, Receipt.id)
    )
    left = cents
    for receipt in open_receipts:
        if left <= 0:
            break
        take = min(left, receipt.amount_cents - receipt.paid_cents)
        receipt.paid_cents += take
        left -= take
        if receipt.paid_cents == receipt.amount_cents:
            receipt.settled_on = max(paid_on, receipt.received_on)


# -- reading -------------------------------------------------------------------------------


async def funds_for_cases(db: Database, case_ids: Sequence[int]) -> dict[int, CaseFunds]:
    async with db.session() as session:
        receipts = (
            await session.scalars(
                select(Receipt)
                .where(Receipt.case_id.in_(case_ids))
                .order_by(Receipt.received_on, Receipt.id)
            )
        ).all()
        payments = (
            await session.scalars(
                select(Disbursement)
                .where(Disbursement.case_id.in_(case_ids))
                .order_by(Disbursement.paid_on, Disbursement.id)
            )
        ).all()
    out: dict[int, CaseFunds] = {}
    for cid in case_ids:
        mine = [r for r in receipts if r.case_id == cid]
        paid = [d for d in payments if d.case_id == cid]
        out[cid] = CaseFunds(
            received=ledger.to_yuan(sum(r.amount_cents for r in mine)),
            disbursed=ledger.to_yuan(sum(d.amount_cents for d in paid)),
            receipts=mine,
            disbursements=paid,
        )
    return out


async def overdue_receipts(
    db: Database, principal: Principal, court: str, today: date | None = None
) -> list[OverdueReceipt]:
    """Receipts of the court not fully paid out within 30 days, oldest first."""
    policy.require_court_figures(principal, court)
    today = today or court_today()
    return await _unpaid(db, court, today, Receipt.due_on < today)


async def due_soon_receipts(
    db: Database, principal: Principal, court: str, today: date | None = None
) -> list[OverdueReceipt]:
    """Receipts not paid out whose officer has been reminded: due within the next days
    (``days_overdue`` ≤ 0 is minus the days left)."""
    policy.require_court_figures(principal, court)
    today = today or court_today()
    return await _unpaid(db, court, today, Receipt.due_on >= today, Receipt.remind_on <= today)


async def _unpaid(
    db: Database, court: str, today: date, *when: ColumnElement[bool]
) -> list[OverdueReceipt]:
    async with db.session() as session:
        rows = (
            await session.execute(
                select(Receipt, Case.number)
                .join(Case, Case.id == Receipt.case_id)
                .where(Receipt.court_code == court, Receipt.settled_on.is_(None), *when)
                .order_by(Receipt.received_on, Receipt.id)
            )
        ).all()
    return [
        OverdueReceipt(
            receipt=r,
            case_number=number,
            outstanding=ledger.to_yuan(r.amount_cents - r.paid_cents),
            days_overdue=(today - r.due_on).days,
        )
        for r, number in rows
    ]


async def reconciliation(db: Database, principal: Principal, court: str) -> ledger.Reconciliation:
    policy.require_court_figures(principal, court)
    async with db.session() as session:
        return await ledger.reconcile(session, court)
