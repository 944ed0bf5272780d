"""BankAdapter: the conformance kit on the bank mock, then the file translation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from starlette.applications import Starlette

from adapters.bank import BANK_ACCOUNTS, BankAccount, BankAdapter, Freeze, _csv
from adapters.bank.actions import AccountDetails, AmountDetails, DeductResult
from adapters.sdk.config import AgencyConfig
from adapters.sdk.connector import RetryPolicy
from adapters.sdk.declare import Effect
from adapters.sdk.errors import UpstreamRejected, UpstreamTimeout, UpstreamUnavailable
from adapters.sdk.records import (
    Action,
    AssistanceOrder,
    MatchKind,
    OrderProgress,
    Subject,
    SubjectKind,
)
from adapters.sdk.testing import adapter_test_class
from mocks import bank as mock
from mocks._common import DEV_SECRETS, aclose_app

DEBTOR = Subject("350602198003150015", "陈某某")
ICBC_ACCOUNT = "6222021408001234567"

TestBank = adapter_test_class(
    BankAdapter,
    mock=mock.create_app,
    known=DEBTOR,
    order_action=Action.FREEZE,
    order_details={"account": ICBC_ACCOUNT, "amount": "50000.00"},
    config_extra={"bank": "icbc-zhangzhou"},
    skip={"test_urge_reaches_the_agency": "banks take no urge (催办) by file exchange"},
)


# -- the specifics ------------------------------------------------------------------------------

NAMESAKE_ACCOUNT = "6222021408007654321"
NOBODY = Subject("350602197501010010", "张某")
POLICY = RetryPolicy(max_attempts=3, timeout_s=1.0, deadline_s=2.0).without_waits()
ACCOUNTS_HEADER = ",".join(_csv.ACCOUNTS_HEADER)
# a bank that tells of no promotions: the older file, without 冻结法院 and 冻结案号
RESULT_HEADER = ",".join(_csv.RESULT_HEADER_PLAIN)


def config(bank: str | None = "icbc-zhangzhou", **extra: Any) -> AgencyConfig:
    keys: dict[str, Any] = {"bank": bank} if bank else {}
    return AgencyConfig(
        id="bank-icbc-zhangzhou",
        kind="bank",
        name="中国工商银行漳州分行",
        base_url="http://bank",
        secret=DEV_SECRETS["bank"],
        **keys,
        **extra,
    )


def adapter_for(handler: Callable[[httpx.Request], httpx.Response]) -> BankAdapter:
    return BankAdapter(config(), transport=httpx.MockTransport(handler), policy=POLICY)


def gbk(text: str, status: int = 200) -> httpx.Response:
    body = text.replace("\n", "\r\n").encode("gbk")
    return httpx.Response(status, content=body, headers={"Content-Type": _csv.CSV_TYPE})


RECEIPT = "文件名,批次号,状态,接收时间\nCX1.csv,CX000007,已接收,20261206120000\n"
ACCOUNTS = f"""{ACCOUNTS_HEADER}
A,350602198003150015,icbc-zhangzhou,中国工商银行漳州分行,6222021408001234567,陈某某,350602198003150015,活期,CNY,8500012,20120418,,,,,,
F,350602198003150015,icbc-zhangzhou,中国工商银行漳州分行,6222021408001234567,,,,,,,闽0603,（2023）闽0603执567号,5000000,首冻,20260901,20270831
F,350602198003150015,icbc-zhangzhou,中国工商银行漳州分行,6222021408001234567,,,,,,,闽0602,,100,轮候,20261001,
A,350602198003150015,icbc-zhangzhou,中国工商银行漳州分行,6222021408007654321,陈某某,350203198507220034,活期,CNY,23000000,,,,,,,
F,350602198003150015,icbc-zhangzhou,中国工商银行漳州分行,6222021408007654321,,,,,,,闽0205,,1,首冻,,
A,350602198003150015,icbc-zhangzhou,中国工商银行漳州分行,6222021408000000001,陈某某,,定期,CNY,1,,,,,,,
A,350602198003150015,cib-zhangzhou,兴业银行漳州分行,622909116001234518,陈某某,350602198003150015,定期,CNY,1,,,,,,,
A,999999999999999999,icbc-zhangzhou,中国工商银行漳州分行,6222021408000000002,别人,999999999999999999,活期,CNY,1,,,,,,,
"""


async def test_a_bank_is_required() -> None:
    with pytest.raises(ValueError, match="bank-icbc-zhangzhou") as raised:
        BankAdapter(config(bank=None))
    assert "'bank'" in str(raised.value)


def test_declarations() -> None:
    assert BankAdapter.kind == "bank" and BankAdapter.batch_size == 100
    assert BankAdapter.capabilities == frozenset({BANK_ACCOUNTS})
    assert BankAdapter.actions == {"QUERY", "FREEZE", "UNFREEZE", "DEDUCT", "RENEW_SEAL"}
    freeze = BankAdapter.action_specs["FREEZE"]
    assert (freeze.capability, freeze.reference, freeze.term_years) == (
        "bank_accounts",
        "account",
        1,
    )
    assert freeze.guards_name_only and freeze.effect is Effect.ENCUMBER
    renew = BankAdapter.action_specs["RENEW_SEAL"]
    assert (renew.lifts, renew.reference, renew.details) == ("FREEZE", "account", AccountDetails)
    assert BankAdapter.action_specs["DEDUCT"].result is DeductResult
    assert BANK_ACCOUNTS.screened and BANK_ACCOUNTS.graphql_type == "BankAccount"
    assert (BANK_ACCOUNTS.clue_kind, BANK_ACCOUNTS.field) == ("BANK", "bankAccounts")


@pytest.mark.parametrize(
    ("details", "field", "message"),
    [
        ({"account": ICBC_ACCOUNT}, "amount", "Field required"),
        ({"account": ICBC_ACCOUNT, "amount": "0"}, "amount", "金额须大于零"),
        ({"account": ICBC_ACCOUNT, "amount": "-5"}, "amount", "greater than zero"),
        ({"account": ICBC_ACCOUNT, "amount": "1.005"}, "amount", "至多两位小数"),
        ({"account": ICBC_ACCOUNT, "amount": "很多"}, "amount", "金额须为数字"),
        ({"account": "6222-abc", "amount": "1"}, "account", "账号须为6至32位数字"),
    ],
)
def test_freeze_details_are_checked_with_messages_for_people(
    details: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        AmountDetails.model_validate(details)
    (error,) = raised.value.errors()
    assert error["loc"] == (field,) and message in error["msg"]


def test_details_are_normalised_and_keep_extras() -> None:
    details = AmountDetails.model_validate(
        {"account": "6222 0214 0800 1234 567", "amount": 50000.1, "note": "x"}
    )
    assert (details.account, details.amount) == (ICBC_ACCOUNT, Decimal("50000.10"))
    assert details.model_extra == {"note": "x"}
    assert AccountDetails.model_validate({"account": ICBC_ACCOUNT}).account == ICBC_ACCOUNT


async def test_query_is_a_signed_gbk_file_then_the_result_file() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "PUT":
            return gbk(RECEIPT, 202)
        # the result is written on the bank's time: "not yet" once, then the file
        return gbk(ACCOUNTS) if len(seen) > 2 else gbk(RECEIPT, 202)

    adapter = adapter_for(handler)
    org = Subject("91350206MA2Y00003K", "福建某建设工程有限公司", SubjectKind.ORGANIZATION)
    try:
        answer = await adapter.bank_accounts([DEBTOR, NOBODY, org])
    finally:
        await adapter.aclose()
    upload, pending, done = seen
    assert upload.method == "PUT" and upload.url.path.startswith("/banks/icbc-zhangzhou/inbox/CX")
    assert upload.headers["X-Bank-Signature"] and upload.headers["X-Bank-Timestamp"]
    assert upload.content.decode("gbk").split("\r\n") == [
        "证件号码,户名,主体类型",
        "350602198003150015,陈某某,个人",
        "350602197501010010,张某,个人",
        "91350206MA2Y00003K,福建某建设工程有限公司,单位",
        "",
    ]
    assert pending.url.path == done.url.path == "/banks/icbc-zhangzhou/outbox/CX000007"
    assert set(answer) == {DEBTOR.id_number, NOBODY.id_number, org.id_number}
    assert answer[NOBODY.id_number] == [] and answer[org.id_number] == []
    # the namesake's account is dropped, the holder-less one is NAME_ONLY, CIB's is not ours
    own, name_only = answer[DEBTOR.id_number]
    assert own == BankAccount(
        bank_name="中国工商银行漳州分行",
        account_number=ICBC_ACCOUNT,
        account_type="活期",
        currency="CNY",
        balance=Decimal("85000.12"),
        frozen=(
            Freeze(
                "闽0603", "（2023）闽0603执567号", Decimal("50000.00"), "FIRST", date(2027, 8, 31)
            ),
            Freeze("闽0602", None, Decimal("1.00"), "WAITING", None),
        ),
        opened_on=date(2012, 4, 18),
        owner_id=DEBTOR.id_number,
        owner_name="陈某某",
        matched_by=MatchKind.ID_NUMBER,
    )
    assert (name_only.account_number, name_only.owner_id) == ("6222021408000000001", None)
    assert name_only.matched_by is MatchKind.NAME_ONLY and name_only.balance == Decimal("0.01")
    assert BANK_ACCOUNTS.asset is not None
    assert BANK_ACCOUNTS.asset.label(own) == "中国工商银行漳州分行 6222…4567 活期"
    assert BANK_ACCOUNTS.asset.value is not None
    assert BANK_ACCOUNTS.asset.value(own) == Decimal("85000.12")


async def test_empty_batch_makes_no_call() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no call expected")

    adapter = adapter_for(handler)
    try:
        assert await adapter.bank_accounts([]) == {}
    finally:
        await adapter.aclose()


async def test_a_result_never_written_ends_in_a_timeout_naming_the_bank() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return gbk(RECEIPT, 202)

    adapter = BankAdapter(
        config(),
        transport=httpx.MockTransport(handler),
        policy=RetryPolicy(timeout_s=0.2, deadline_s=0.3).without_waits(),
    )
    try:
        with pytest.raises(UpstreamTimeout) as raised:
            await adapter.bank_accounts([DEBTOR])
    finally:
        await adapter.aclose()
    assert raised.value.agency_id == "bank-icbc-zhangzhou"
    assert DEBTOR.id_number not in str(raised.value) and DEBTOR.name not in str(raised.value)


@pytest.mark.parametrize(
    "text",
    [
        "证件号码,户名\n1,2\n",  # not the result file
        f"{ACCOUNTS_HEADER}\nA,350602198003150015,icbc-zhangzhou\n",  # short line
        f"{ACCOUNTS_HEADER}\n"
        "A,350602198003150015,icbc-zhangzhou,中国工商银行漳州分行,6222,陈某某,"
        "350602198003150015,活期,CNY,85000.00,,,,,,,\n",  # yuan where fen belong
        f"{ACCOUNTS_HEADER}\n"
        "F,350602198003150015,icbc-zhangzhou,中国工商银行漳州分行,6222,,,,,,,闽0603,,1,首冻,,\n",
    ],
    ids=["wrong-file", "short-line", "decimal-fen", "orphan-freeze"],
)
async def test_unreadable_files_name_the_bank_not_the_citizen(text: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return gbk(RECEIPT, 202) if request.method == "PUT" else gbk(text)

    adapter = adapter_for(handler)
    try:
        with pytest.raises(UpstreamUnavailable) as raised:
            await adapter.bank_accounts([DEBTOR])
    finally:
        await adapter.aclose()
    message = str(raised.value)
    assert "bank-icbc-zhangzhou" in message
    assert DEBTOR.id_number not in message and DEBTOR.name not in message


# -- orders, unit -------------------------------------------------------------------------------


def freeze_order(key: str = "key-1", **details: Any) -> AssistanceOrder:
    return AssistanceOrder(
        request_id="req-1",
        idempotency_key=key,
        action=Action.FREEZE,
        case_number="（2024）闽0602执100号",
        court="闽0602",
        subject=DEBTOR,
        document_number="（2024）闽0602执100号之一",
        details=details or {"account": ICBC_ACCOUNT, "amount": "50000.00"},
        due_at=datetime(2024, 6, 1, 8, 0, tzinfo=UTC),
    )


async def test_dispatch_uploads_an_order_file_in_fen_named_by_its_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return gbk("文件名,批次号,状态,接收时间\nKZ.csv,KZ-000003,已接收,20240601160000\n", 202)

    adapter = adapter_for(handler)
    try:
        receipt = await adapter.dispatch(freeze_order())
        await adapter.dispatch(freeze_order())
        await adapter.dispatch(freeze_order("key-2", account="6222 0214-0800 1234 567", amount=1))
    finally:
        await adapter.aclose()
    assert (receipt.agency_ref, receipt.status) == ("KZ-000003", "RECEIVED")
    first, again, other = seen
    assert first.headers["Idempotency-Key"] == "key-1"
    assert first.url.path == again.url.path != other.url.path
    assert first.url.path == f"/banks/icbc-zhangzhou/inbox/{BankAdapter.order_file_name('key-1')}"
    header, row = first.content.decode("gbk").split("\r\n")[:2]
    assert header == ",".join(_csv.ORDER_HEADER)
    assert row.split(",") == [
        "冻结",
        "req-1",
        "闽0602",
        "（2024）闽0602执100号",
        "（2024）闽0602执100号之一",
        DEBTOR.id_number,
        "陈某某",
        "个人",
        ICBC_ACCOUNT,
        "5000000",  # 50000.00 yuan
        "20240601160000",  # 08:00 UTC is 16:00 in Beijing
    ]
    typed = other.content.decode("gbk").split("\r\n")[1].split(",")
    assert typed[8:10] == [ICBC_ACCOUNT, "100"]  # the bank keys accounts by their digits


@pytest.mark.parametrize(
    ("line", "status", "result"),
    [
        (
            "KZ-1,req-1,冻结,成功,frozen,冻结成功,6222,首冻,5000000,,20271205,,20261206120000",
            "COMPLETED",
            {"rank": "FIRST", "amount": "50000.00", "expires_on": "2027-12-05", "account": "6222"},
        ),
        (
            "KZ-1,req-1,冻结,成功,frozen,已轮候冻结,6222,轮候,5000000,,,,20261206120000",
            "COMPLETED",
            {"rank": "WAITING", "amount": "50000.00", "expires_on": None, "account": "6222"},
        ),
        (
            "KZ-1,req-1,扣划,成功,deducted,扣划成功,6222,,1234567,7265433,,,20261206120000",
            "COMPLETED",
            {"amount": "12345.67", "balance": "72654.33", "account": "6222"},
        ),
        (
            "KZ-1,req-1,解冻,成功,unfrozen,解除冻结成功,6222,,100,,,,20261206120000",
            "COMPLETED",
            {"amount": "1.00", "account": "6222"},
        ),
        (
            "KZ-1,req-1,续冻,成功,renewed,续冻成功,6222,首冻,100,,20281205,,20261206120000",
            "COMPLETED",
            {"rank": "FIRST", "expires_on": "2028-12-05", "account": "6222"},
        ),
        (
            "KZ-1,req-1,查询,成功,found,查得账户2户,,,,9700050,,2,20261206120000",
            "COMPLETED",
            {"accounts": 2, "balance": "97000.50"},
        ),
        (
            "KZ-1,req-1,扣划,失败,insufficient_funds,账户无可扣划余额,6222,,,,,,20261206120000",
            "REJECTED",
            None,
        ),
    ],
    ids=["freeze", "waiting", "deduct", "unfreeze", "renew", "query", "rejected"],
)
async def test_poll_translates_the_result_file_into_yuan(
    line: str, status: str, result: dict[str, Any] | None
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/banks/icbc-zhangzhou/outbox/KZ-1"
        return gbk(f"{RESULT_HEADER}\n{line}\n")

    adapter = adapter_for(handler)
    try:
        progress = await adapter.poll("KZ-1")
    finally:
        await adapter.aclose()
    assert (progress.agency_ref, progress.status, progress.request_id) == ("KZ-1", status, "req-1")
    assert progress.result == result
    assert progress.at == datetime(2026, 12, 6, 4, 0, tzinfo=UTC)
    if result is not None:  # what the bank answered is what the action's result model says
        action = {"冻结": "FREEZE", "扣划": "DEDUCT", "解冻": "UNFREEZE", "续冻": "RENEW_SEAL"}
        name = action.get(line.split(",")[2], "QUERY")
        model = BankAdapter.action_specs[name].result
        assert model is not None and model.model_validate(result)


@pytest.mark.parametrize(
    ("order_line", "result"),
    [
        (
            "KZ-1,req-1,解冻,成功,unfrozen,解除冻结成功,6222,,100,,,,20261206120000,,",
            {"amount": "1.00", "account": "6222"},
        ),
        (
            "KZ-1,req-1,扣划,成功,deducted,扣划成功,6222,,100,900,,,20261206120000,,",
            {"amount": "1.00", "balance": "9.00", "account": "6222"},
        ),
    ],
    ids=["unfreeze", "deduct"],
)
async def test_a_freeze_the_order_made_effective_is_in_its_result(
    order_line: str, result: dict[str, Any]
) -> None:
    promoted = (
        "KZ-1,,冻结,成功,promoted,轮候冻结生效,6222,首冻,500000,,20271205,,20261206120000,"
        "闽0603,（2024）闽0603执200号"
    )
    header = ",".join(_csv.RESULT_HEADER)
    adapter = adapter_for(lambda request: gbk(f"{header}\n{order_line}\n{promoted}\n"))
    try:
        progress = await adapter.poll("KZ-1")
    finally:
        await adapter.aclose()
    assert progress.status == "COMPLETED" and progress.request_id == "req-1"
    # keyed as the freeze orders are (``account``), so the hub finds its waiting freeze
    assert progress.result == {
        **result,
        "promoted": [
            {
                "account": "6222",
                "court": "闽0603",
                "case_number": "（2024）闽0603执200号",
                "rank": "FIRST",
                "amount": "5000.00",
                "expires_on": "2027-12-05",
            }
        ],
    }
    model = BankAdapter.action_specs["UNFREEZE" if "解冻" in order_line else "DEDUCT"].result
    assert model is not None and model.model_validate(progress.result)


async def test_a_line_after_the_orders_that_is_no_promotion_is_unreadable() -> None:
    header = ",".join(_csv.RESULT_HEADER)
    lines = [
        "KZ-1,req-1,解冻,成功,unfrozen,解除冻结成功,6222,,100,,,,20261206120000,,",
        "KZ-2,req-2,解冻,成功,unfrozen,解除冻结成功,6223,,100,,,,20261206120000,,",
    ]
    adapter = adapter_for(lambda request: gbk("\n".join([header, *lines]) + "\n"))
    try:
        with pytest.raises(UpstreamUnavailable, match="bank-icbc-zhangzhou"):
            await adapter.poll("KZ-1")
    finally:
        await adapter.aclose()


async def test_poll_of_an_order_not_done_reads_the_receipt() -> None:
    receipt = "文件名,批次号,状态,接收时间\n,KZ-1,处理中,20261206120000\n"
    adapter = adapter_for(lambda request: gbk(receipt, 202))
    try:
        progress = await adapter.poll("KZ-1")
    finally:
        await adapter.aclose()
    assert (progress.status, progress.result, progress.outcome) == ("ACKNOWLEDGED", None, None)


async def test_lookup_tells_no_file_from_a_wrong_bank() -> None:
    not_found = "错误代码,说明\nNOT_FOUND,未收到该文件\n"
    unknown = "错误代码,说明\nUNKNOWN_BANK,无此银行\n"
    answers = {
        BankAdapter.order_file_name("known"): gbk(RECEIPT),
        BankAdapter.order_file_name("unknown"): gbk(not_found, 404),
        BankAdapter.order_file_name("misconfigured"): gbk(unknown, 404),
    }
    adapter = adapter_for(lambda request: answers[request.url.path.rsplit("/", 1)[1]])
    try:
        found = await adapter.lookup("known")
        assert found is not None and found.agency_ref == "CX000007"
        assert await adapter.lookup("unknown") is None
        with pytest.raises(UpstreamRejected):
            await adapter.lookup("misconfigured")
    finally:
        await adapter.aclose()


async def test_banks_take_no_urge() -> None:
    adapter = adapter_for(lambda request: gbk(RECEIPT))
    try:
        with pytest.raises(NotImplementedError, match="urge"):
            await adapter.urge("KZ-1", "请尽快办理")
    finally:
        await adapter.aclose()


# -- against the bank mock ----------------------------------------------------------------------


@pytest.fixture
async def app() -> AsyncIterator[Starlette]:
    application = mock.create_app()
    application.state.agency.set_faults({"complete_after_ms": 0})
    yield application
    await aclose_app(application)


def bank_adapter(app: Starlette, bank: str = "icbc-zhangzhou") -> BankAdapter:
    return BankAdapter(config(bank), transport=httpx.ASGITransport(app=app), policy=POLICY)


async def completed(adapter: BankAdapter, order: AssistanceOrder) -> OrderProgress:
    receipt = await adapter.dispatch(order)
    progress = await adapter.poll(receipt.agency_ref)
    assert progress.status == "COMPLETED", progress
    return progress


async def test_the_debtor_is_told_apart_from_the_namesake(app: Starlette) -> None:
    icbc, cib = bank_adapter(app), bank_adapter(app, "兴业银行漳州分行")
    try:
        at_icbc = await icbc.bank_accounts([DEBTOR, NOBODY])
        at_cib = await cib.bank_accounts([DEBTOR])
    finally:
        await icbc.aclose()
        await cib.aclose()
    assert [a.account_number for a in at_icbc[DEBTOR.id_number]] == [ICBC_ACCOUNT]
    assert NAMESAKE_ACCOUNT not in str(at_icbc) and at_icbc[NOBODY.id_number] == []
    (deposit,) = at_cib[DEBTOR.id_number]
    assert (deposit.bank_name, deposit.balance) == ("兴业银行漳州分行", Decimal("12000.50"))
    assert [(f.court, f.rank) for f in deposit.frozen] == [("闽0603", "FIRST")]


async def test_freeze_deduct_unfreeze_round_trip(app: Starlette) -> None:
    adapter = bank_adapter(app)
    try:
        frozen = await completed(adapter, freeze_order("f-1"))
        assert frozen.outcome == "frozen" and frozen.result is not None
        assert (frozen.result["rank"], frozen.result["amount"]) == ("FIRST", "50000.00")
        expires = mock.add_years(mock.today(), 1) - timedelta(days=1)
        assert frozen.result["expires_on"] == expires.isoformat()

        (account,) = (await adapter.bank_accounts([DEBTOR]))[DEBTOR.id_number]
        assert account.frozen == (
            Freeze("闽0602", "（2024）闽0602执100号", Decimal("50000.00"), "FIRST", expires),
        )

        deduct = replace(freeze_order("d-1"), action=Action.DEDUCT)
        taken = await completed(adapter, deduct)
        assert taken.result == {
            "amount": "50000.00",
            "balance": "35000.00",
            "account": ICBC_ACCOUNT,
        }
        (account,) = (await adapter.bank_accounts([DEBTOR]))[DEBTOR.id_number]
        assert account.balance == Decimal("35000.00")  # the next read shows the lower balance
        assert account.frozen == ()  # all it froze was taken: the freeze has done its work

        again = await completed(adapter, freeze_order("f-2", account=ICBC_ACCOUNT, amount="100"))
        unfreeze = replace(freeze_order("u-1", account=ICBC_ACCOUNT), action=Action.UNFREEZE)
        lifted = await completed(adapter, unfreeze)
        assert again.result is not None and again.result["rank"] == "FIRST"
        assert lifted.result == {"amount": "100.00", "account": ICBC_ACCOUNT}
        (account,) = (await adapter.bank_accounts([DEBTOR]))[DEBTOR.id_number]
        assert account.frozen == ()
    finally:
        await adapter.aclose()


async def test_a_second_courts_freeze_waits(app: Starlette) -> None:
    adapter = BankAdapter(
        config("cib-zhangzhou"), transport=httpx.ASGITransport(app=app), policy=POLICY
    )
    try:
        order = freeze_order("w-1", account="622909116001234518", amount="1000.00")
        progress = await completed(adapter, order)
    finally:
        await adapter.aclose()
    assert progress.result == {
        "rank": "WAITING",
        "amount": "1000.00",
        "expires_on": None,
        "account": "622909116001234518",
    }
