"""The ``details`` a bank order takes and the ``result`` it answers, as pydantic models.

Checked when a request is created, so a FREEZE without an amount is refused
then (``details.amount``), never first at the bank. Messages are for people:
zh-CN first, then English.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_ACCOUNT = re.compile(r"^[0-9]{6,32}$")
CENT = Decimal("0.01")


def _account(value: Any) -> str:
    text = re.sub(r"[\s-]", "", str(value if value is not None else ""))
    if not _ACCOUNT.match(text):
        raise ValueError("账号须为6至32位数字 (account: 6 to 32 digits)")
    return text


def _amount(value: Any) -> Decimal:
    if isinstance(value, float):
        value = repr(value)  # 50000.1 is meant as written, not as its binary neighbour
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError("金额须为数字，单位元 (amount: a number of yuan)") from exc
    if not amount.is_finite() or amount <= 0:
        raise ValueError("金额须大于零 (amount must be greater than zero)")
    if amount != amount.quantize(CENT):
        raise ValueError("金额至多两位小数 (amount: at most 2 decimal places, yuan and fen)")
    return amount.quantize(CENT)


class AccountDetails(BaseModel):
    """UNFREEZE, RENEW_SEAL: the account the order is about."""

    model_config = ConfigDict(extra="allow")

    account: str = Field(title="账号", description="账号 (account number)")

    _check_account = field_validator("account", mode="before")(_account)


class AmountDetails(AccountDetails):
    """FREEZE, DEDUCT: the account and the sum in yuan."""

    amount: Decimal = Field(
        title="金额（元）", description="金额，元 (amount in yuan, > 0, 2 decimal places)"
    )

    _check_amount = field_validator("amount", mode="before")(_amount)


class _Result(BaseModel):
    model_config = ConfigDict(extra="allow")


class FreezeResult(_Result):
    rank: Literal["FIRST", "WAITING"] = Field(
        title="冻结顺位",
        description="FIRST (首冻) or WAITING (轮候)",
        json_schema_extra={"labels": {"FIRST": "首冻", "WAITING": "轮候"}},
    )
    amount: Decimal = Field(title="冻结金额（元）", description="冻结金额，元 (yuan frozen)")
    expires_on: date | None = Field(
        default=None, title="冻结到期日", description="冻结到期日 (none while waiting)"
    )


class UnfreezeResult(_Result):
    amount: Decimal = Field(title="解冻金额（元）", description="解冻金额，元 (yuan released)")


class DeductResult(_Result):
    amount: Decimal = Field(title="扣划金额（元）", description="扣划金额，元 (yuan deducted)")
    balance: Decimal = Field(title="扣划后余额（元）", description="扣划后余额，元 (balance left)")


class RenewResult(_Result):
    rank: str = Field(title="冻结顺位", description="FIRST: a renewed freeze keeps its rank")
    expires_on: date = Field(title="冻结到期日", description="新的到期日 (the new last day)")


class QueryResult(_Result):
    accounts: int = Field(title="查得账户数", description="查得账户数 (accounts found)")
    balance: Decimal = Field(title="余额合计（元）", description="余额合计，元 (total balance)")
