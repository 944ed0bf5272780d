"""A double-entry ledger under the case accounts (案款), and the proof that it balances.

Every movement of money is one transaction of legs that sum to zero, debits
positive and credits negative, in whole cents. Two kinds of account:

* ``custody:<court>`` — the court's custody bank account (案款专户), an asset:
  debited when money arrives, credited when it is paid out;
* ``case:<case number>`` — what the court holds for that case, a liability:
  credited on a receipt, debited on a disbursement.

So a receipt is ``custody +x / case −x`` (counterparty: who paid), a
disbursement ``case +x / custody −x`` (counterparty: the payee), and at any
time the custody balance equals the sum of what the court's cases hold.
The receipts and disbursements tables say the same from the other side;
``reconcile`` checks the three agree.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Case, Disbursement, LedgerEntry, Receipt

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> int:
    return int((amount / CENT).to_integral_exact())


def to_yuan(cents: int | None) -> Decimal:
    return (Decimal(cents or 0) * CENT).quantize(CENT)


def custody_account(court: str) -> str:
    return f"custody:{court}"


def case_account(case_number: str) -> str:
    return f"case:{case_number}"


def post(
    session: AsyncSession,
    *,
    court: str,
    legs: list[tuple[str, int]],
    counterparty: str | None,
) -> str:
    """Add one balanced transaction to ``session``; its id."""
    if sum(amount for _, amount in legs) != 0:
        raise ValueError("a ledger transaction must balance")
    txn = str(uuid.uuid4())
    for account, amount in legs:
        session.add(
            LedgerEntry(
                txn=txn,
                court_code=court,
                account=account,
                amount_cents=amount,
                counterparty=counterparty,
            )
        )
    return txn


def post_receipt(session: AsyncSession, case: Case, cents: int, payer: str) -> str:
    return post(
        session,
        court=case.court_code,
        legs=[(custody_account(case.court_code), cents), (case_account(case.number), -cents)],
        counterparty=payer,
    )


def post_disbursement(session: AsyncSession, case: Case, cents: int, payee: str) -> str:
    return post(
        session,
        court=case.court_code,
        legs=[(case_account(case.number), cents), (custody_account(case.court_code), -cents)],
        counterparty=payee,
    )


@dataclass
class Reconciliation:
    court: str
    transactions: int = 0
    custody: Decimal = Decimal("0.00")  # the custody account's balance
    held: Decimal = Decimal("0.00")  # what the court's case accounts hold, together
    problems: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return not self.problems


async def reconcile(session: AsyncSession, court: str) -> Reconciliation:
    """Prove a court's books: every transaction balances, the custody account holds what
    the case accounts do, and each case account agrees with its receipts, disbursements
    and recorded ``amount_recovered``."""
    out = Reconciliation(court=court)
    unbalanced = (
        await session.execute(
            select(LedgerEntry.txn)
            .where(LedgerEntry.court_code == court)
            .group_by(LedgerEntry.txn)
            .having(func.sum(LedgerEntry.amount_cents) != 0)
        )
    ).scalars()
    out.problems += [f"交易 {txn} 借贷不平" for txn in unbalanced]
    out.transactions = (
        await session.scalar(
            select(func.count(func.distinct(LedgerEntry.txn))).where(
                LedgerEntry.court_code == court
            )
        )
    ) or 0
    balances = dict(
        (
            await session.execute(
                select(LedgerEntry.account, func.sum(LedgerEntry.amount_cents))
                .where(LedgerEntry.court_code == court)
                .group_by(LedgerEntry.account)
            )
        ).all()
    )
    custody = int(balances.pop(custody_account(court), 0) or 0)
    held = -sum(int(v or 0) for v in balances.values())
    out.custody, out.held = to_yuan(custody), to_yuan(held)
    if custody != held:
        out.problems.append(f"专户余额 {to_yuan(custody)} 与各案余额合计 {to_yuan(held)} 不符")

    received = dict(
        (
            await session.execute(
                select(Receipt.case_id, func.sum(Receipt.amount_cents))
                .where(Receipt.court_code == court)
                .group_by(Receipt.case_id)
            )
        ).all()
    )
    paid = dict(
        (
            await session.execute(
                select(Disbursement.case_id, func.sum(Disbursement.amount_cents))
                .where(Disbursement.court_code == court)
                .group_by(Disbursement.case_id)
            )
        ).all()
    )
    case_ids = set(received) | set(paid)
    cases = (
        (await session.execute(select(Case).where(Case.id.in_(sorted(case_ids))))).scalars().all()
        if case_ids
        else []
    )
    for case in cases:
        ledger_held = -int(balances.get(case_account(case.number), 0) or 0)
        got, gave = int(received.get(case.id, 0) or 0), int(paid.get(case.id, 0) or 0)
        if ledger_held != got - gave:
            out.problems.append(f"{case.number} 账户余额与收付记录不符")
        if to_cents(case.amount_recovered) != got:
            out.problems.append(f"{case.number} 执行到位金额与到账记录不符")
    return out
