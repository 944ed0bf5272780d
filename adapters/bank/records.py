"""What a bank reports: accounts with their freezes, and the capability that declares them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from adapters.sdk.declare import AssetView, CapabilitySpec
from adapters.sdk.records import MatchKind


@dataclass(frozen=True)
class Freeze:
    """A court's freeze (冻结) on an account."""

    court: str = field(metadata={"description": "The court that froze it (its code, e.g. 闽0603)."})
    case_number: str | None = field(metadata={"description": "The case it was frozen for."})
    amount: Decimal = field(metadata={"description": "Yuan frozen (requested, while waiting)."})
    rank: str | None = field(
        metadata={"description": "FIRST (首冻, in effect) or WAITING (轮候, until promoted)."}
    )
    expires_on: date | None = field(
        metadata={"description": "Last day of the term; none while waiting."}
    )


@dataclass(frozen=True)
class BankAccount:
    """A deposit account at one bank, as the bank's result file gives it."""

    bank_name: str = field(metadata={"description": "The bank (branch) holding the account."})
    account_number: str = field(metadata={"description": "What orders name it by."})
    account_type: str | None = field(metadata={"description": "活期, 定期, 基本存款账户 ..."})
    currency: str = field(metadata={"description": "ISO 4217 code, e.g. CNY."})
    balance: Decimal = field(metadata={"description": "Yuan, as the bank last reported."})
    frozen: tuple[Freeze, ...] = field(
        metadata={"description": "Freezes in effect or waiting; lapsed ones are left out."}
    )
    opened_on: date | None = field(metadata={"description": "When the account was opened."})
    owner_id: str | None = field(metadata={"description": "The holder's ID number, if known."})
    owner_name: str = field(metadata={"description": "The holder's name (户名)."})
    matched_by: MatchKind = field(
        metadata={
            "description": "NAME_ONLY: the bank gave no ID number; an officer must verify it."
        }
    )


def _masked(number: str) -> str:
    return f"{number[:4]}…{number[-4:]}" if len(number) > 8 else number


def account_label(account: BankAccount) -> str:
    """``中国工商银行漳州分行 6222…4567 活期``: enough to tell accounts apart, not to copy one."""
    parts = (account.bank_name, _masked(account.account_number), account.account_type or "")
    return " ".join(p for p in parts if p)


def account_value(account: BankAccount) -> Decimal | None:
    return account.balance


BANK_ACCOUNTS = CapabilitySpec(
    name="bank_accounts",
    record=BankAccount,
    field="bankAccounts",
    type_name="BankAccount",
    title="银行账户",
    noun="账户",
    description="Deposit accounts at banks, with the freezes on them.",
    asset=AssetView(label=account_label, reference="account_number", value=account_value),
    columns=(
        ("bank_name", "开户行"),
        ("account_number", "账号"),
        ("account_type", "账户类型"),
        ("currency", "币种"),
        ("balance", "余额（元）"),
        ("opened_on", "开户日期"),
    ),
    clue_kind="BANK",
    clue_title="银行账户",
)
