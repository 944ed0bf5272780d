"""Completed money-moving assistance requests (扣划) offered as receipts.

A request offers itself when it is COMPLETED, its action moves money (its kind
declares the action's effect ``MOVE_MONEY``, fixed on the request when it was
made) and its answer's ``result`` carries an ``amount``; the case's
court confirms it (``confirm_offer``), which books one receipt of source
DEDUCTION tied to the request: confirming again returns the same receipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from adapters.sdk.declare import Effect
from hub import policy
from hub.cases import SHANGHAI, court_today
from hub.errors import BadUserInput, NotFound
from hub.funds import ReceiptData, ReceiptSource, record_receipt
from hub.models import AssistanceRequest, Case, Receipt
from hub.principal import Principal
from hub.storage import Database
from hub.validation import parse_money


# ---------------------------------------------------------------------------------------
def _moves_money(request: AssistanceRequest) -> bool:
    return request.effect == Effect.MOVE_MONEY.value


# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptOffer:
    """A completed money-moving request whose answer names an amount, not yet booked."""

    request_id: str
    case_number: str
    agency_id: str
    action: str
    amount: Decimal
    received_on: date
    document_number: str | None


def _offered_amount(result: dict[str, Any] | None) -> Decimal | None:
    if not isinstance(result, dict) or "amount" not in result:
        return None
    try:
        amount = parse_money(str(result["amount"]), field="amount")
    except BadUserInput:
        return None
    return amount if amount > 0 else None


def _local_day(at: datetime | None) -> date:
    return at.astimezone(SHANGHAI).date() if at is not None else court_today()


async def offers_for_case(db: Database, case: Case) -> list[ReceiptOffer]:
    """Completed money-moving requests of the case whose amount is not booked yet."""
    async with db.session() as session:
        rows = (
            await session.scalars(
                select(AssistanceRequest)
                .where(
                    AssistanceRequest.case_id == case.id,
                    AssistanceRequest.status == "COMPLETED",
                    AssistanceRequest.id.not_in(
                        select(Receipt.request_id).where(Receipt.request_id.is_not(None))
                    ),
                )
                .order_by(AssistanceRequest.answered_at)
            )
        ).all()
    offers = []
    for row in rows:
        amount = _offered_amount(row.result)
        if not _moves_money(row) or amount is None:
            continue
        offers.append(
            ReceiptOffer(
                request_id=row.id,
                case_number=case.number,
                agency_id=row.agency_id,
                action=row.action,
                amount=amount,
                received_on=_local_day(row.answered_at),
                document_number=row.document_number,
            )
        )
    return offers


async def confirm_offer(
    db: Database, principal: Principal, request_id: str, received_on: date | None = None
) -> Receipt:
    """Book a completed deduction (扣划) as a receipt, once: confirming again returns it."""
    async with db.session() as session:
        request = await session.get(AssistanceRequest, request_id)
        case = await session.get(Case, request.case_id) if request is not None else None
    if request is None or case is None or not policy.can_read_case(principal, case):
        raise NotFound("no such assistance request")
    policy.require_write_funds(principal, case)
    amount = _offered_amount(request.result)
    if request.status != "COMPLETED" or not _moves_money(request) or amount is None:
        raise BadUserInput("requestId", "该协助请求没有可确认的到账款项")
    data = ReceiptData(
        case_number=case.number,
        amount=amount,
        received_on=received_on or _local_day(request.answered_at),
        source=ReceiptSource.DEDUCTION.value,
        reference=request.document_number or f"协助请求 {request.id}",
        idempotency_key=f"offer:{request.id}",
    )
    async with db.session() as session:
        existing = await session.scalar(select(Receipt).where(Receipt.request_id == request.id))
    if existing is not None:
        return existing
    return await record_receipt(db, principal, data, request_id=request.id)
