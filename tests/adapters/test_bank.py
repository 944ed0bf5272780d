"""BankAdapter: the conformance kit on the bank mock, then the file translation."""

from __future__ import annotations

from adapters.bank import BankAdapter
from adapters.sdk.records import Action, Subject
from adapters.sdk.testing import adapter_test_class
from mocks import bank as mock

DEBTOR = Subject("350602198003150015", "陈某某")
ICBC_ACCOUNT = "6222021408001234567"

TestBank = adapter_test_class(
    BankAdapter,
    mock=mock.create_app,
    known=DEBTOR,
    order_action=Action.FREEZE,
    order_details={"account": ICBC_ACCOUNT, "amount": "50000.00"},
    config_extra={"bank": "icbc-zhangzhou"},
)
