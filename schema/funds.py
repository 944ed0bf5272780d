"""Case money (案款) in the graph: the case account, receipts, disbursements, offers,
overdue money and the books' reconciliation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from hub import fund_offers, ledger, policy
from hub import funds as service
from hub.models import Case as CaseRow
from hub.models import Disbursement as DisbursementRow
from hub.models import Receipt as ReceiptRow
from hub.validation import mask_id_number
from schema.context import Info

ReceiptSource = service.ReceiptSource
strawberry.enum(ReceiptSource, name="ReceiptSource")


@strawberry.type
class Receipt:
    row: strawberry.Private[ReceiptRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def amount(self) -> Decimal:
        return ledger.to_yuan(self.row.amount_cents)

    @strawberry.field
    def received_on(self) -> dt.date:
        return self.row.received_on

    @strawberry.field
    def source(self) -> ReceiptSource:
        return service.ReceiptSource(self.row.source)

    @strawberry.field
    def reference(self) -> str | None:
        return self.row.reference

    @strawberry.field(description="How much of it has been paid out (oldest receipts first).")
    def paid_out(self) -> Decimal:
        return ledger.to_yuan(self.row.paid_cents)

    @strawberry.field(description="30 days after receipt: the day it must be paid out by.")
    def due_on(self) -> dt.date:
        return self.row.due_on

    @strawberry.field(description="The day it was paid out in full, if it was.")
    def settled_on(self) -> dt.date | None:
        return self.row.settled_on

    @strawberry.field(description="The assistance request (扣划) it was booked from, if any.")
    def request_id(self) -> strawberry.ID | None:
        return strawberry.ID(self.row.request_id) if self.row.request_id else None


@strawberry.type
class Disbursement:
    row: strawberry.Private[DisbursementRow]
    full: strawberry.Private[bool]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def amount(self) -> Decimal:
        return ledger.to_yuan(self.row.amount_cents)

    @strawberry.field
    def paid_on(self) -> dt.date:
        return self.row.paid_on

    @strawberry.field
    def payee_name(self) -> str:
        return self.row.payee_name

    @strawberry.field(description="Masked unless the caller is the case's own court.")
    def payee_account(self) -> str:
        return self.row.payee_account if self.full else mask_id_number(self.row.payee_account)


@strawberry.type
class ReceiptOffer:
    """A completed deduction (扣划) whose amount can be booked with confirmReceiptOffer."""

    request_id: strawberry.ID
    agency_id: str
    action: str
    amount: Decimal
    received_on: dt.date
    document_number: str | None


@strawberry.type
class CaseFunds:
    received: Decimal
    disbursed: Decimal
    held: Decimal
    receipts: list[Receipt]
    disbursements: list[Disbursement]
    case_row: strawberry.Private[CaseRow]
    writer: strawberry.Private[bool]

    @strawberry.field(
        description="Completed deductions not yet booked, for the case's court to confirm "
        "(empty for anyone else)."
    )
    async def offers(self, info: Info) -> list[ReceiptOffer]:
        if not self.writer:
            return []
        return [
            ReceiptOffer(
                request_id=strawberry.ID(o.request_id),
                agency_id=o.agency_id,
                action=o.action,
                amount=o.amount,
                received_on=o.received_on,
                document_number=o.document_number,
            )
            for o in await fund_offers.offers_for_case(info.context.hub.db, self.case_row)
        ]


async def funds_of_case(info: Info, case: CaseRow) -> CaseFunds:
    ctx = info.context
    policy.require_read_funds(ctx.principal, case)

    async def load(ids: list[int]) -> list[service.CaseFunds]:
        by_case = await service.funds_for_cases(ctx.hub.db, ids)
        return [by_case[i] for i in ids]

    funds: service.CaseFunds = await ctx.loader("case_funds", load).load(case.id)
    own = policy.sees_full_id_numbers(ctx.principal, case)
    return CaseFunds(
        received=funds.received,
        disbursed=funds.disbursed,
        held=funds.held,
        receipts=[Receipt(row=r) for r in funds.receipts],
        disbursements=[Disbursement(row=d, full=own) for d in funds.disbursements],
        case_row=case,
        writer=own,
    )


@strawberry.type
class OverdueFunds:
    """A receipt not paid out in full within 30 days."""

    case_number: str
    receipt: Receipt
    outstanding: Decimal
    days_overdue: int


@strawberry.type
class FundsReconciliation:
    court: str
    balanced: bool
    transactions: int
    custody: Decimal = strawberry.field(description="The court's custody account's balance.")
    held: Decimal = strawberry.field(description="What the court's case accounts hold together.")
    problems: list[str]


@strawberry.input
class RecordReceiptInput:
    case_number: str
    amount: Decimal = strawberry.field(description='Yuan, as a string: "50000.00"')
    received_on: dt.date
    source: ReceiptSource
    reference: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class DisburseInput:
    case_number: str
    amount: Decimal = strawberry.field(description='Yuan, as a string: "50000.00"')
    paid_on: dt.date
    payee_name: str
    payee_account: str
    idempotency_key: str | None = None


@strawberry.type
class FundsQuery:
    @strawberry.field(
        description="Receipts of a court not paid out in full within 30 days, oldest first."
    )
    async def overdue_funds(self, info: Info, court: str) -> list[OverdueFunds]:
        rows = await service.overdue_receipts(info.context.hub.db, info.context.principal, court)
        return [
            OverdueFunds(
                case_number=o.case_number,
                receipt=Receipt(row=o.receipt),
                outstanding=o.outstanding,
                days_overdue=o.days_overdue,
            )
            for o in rows
        ]

    @strawberry.field(
        description="Proof that a court's books balance: every ledger transaction, the "
        "custody account against the case accounts, each case against its receipts."
    )
    async def funds_reconciliation(self, info: Info, court: str) -> FundsReconciliation:
        r = await service.reconciliation(info.context.hub.db, info.context.principal, court)
        return FundsReconciliation(
            court=r.court,
            balanced=r.balanced,
            transactions=r.transactions,
            custody=r.custody,
            held=r.held,
            problems=r.problems,
        )


@strawberry.type
class FundsMutation:
    @strawberry.mutation(description="Money into the case account.")
    async def record_receipt(self, info: Info, input: RecordReceiptInput) -> Receipt:
        row = await service.record_receipt(
            info.context.hub.db,
            info.context.principal,
            service.ReceiptData(
                case_number=input.case_number,
                amount=input.amount,
                received_on=input.received_on,
                source=input.source.value,
                reference=input.reference,
                idempotency_key=input.idempotency_key,
            ),
        )
        return Receipt(row=row)

    @strawberry.mutation(description="Money out of the case account, never more than it holds.")
    async def disburse(self, info: Info, input: DisburseInput) -> Disbursement:
        row = await service.disburse(
            info.context.hub.db,
            info.context.principal,
            service.DisbursementData(
                case_number=input.case_number,
                amount=input.amount,
                paid_on=input.paid_on,
                payee_name=input.payee_name,
                payee_account=input.payee_account,
                idempotency_key=input.idempotency_key,
            ),
        )
        return Disbursement(row=row, full=True)

    @strawberry.mutation(
        description="Book a completed deduction (扣划) as a receipt; confirming twice books once."
    )
    async def confirm_receipt_offer(
        self, info: Info, request_id: strawberry.ID, received_on: dt.date | None = None
    ) -> Receipt:
        row = await fund_offers.confirm_offer(
            info.context.hub.db, info.context.principal, str(request_id), received_on
        )
        return Receipt(row=row)
