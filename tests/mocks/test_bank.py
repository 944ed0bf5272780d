"""The mock banks: GBK CSV files, fen, same-name holders, freeze ranks, deductions, faults."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import AsyncIterator, Generator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from mocks import bank
from mocks._common import DEV_SECRETS, aclose_app, load_world, sign_hmac

SECRET = DEV_SECRETS["bank"]
DEBTOR = "350602198003150015"
NAMESAKE = "350203198507220034"
NOBODY = "350602197501010010"
ICBC = "/banks/icbc-zhangzhou"
DEBTOR_ICBC = "6222021408001234567"
NAMESAKE_ICBC = "6222021408007654321"
CASE = "（2024）闽0602执100号"
OTHER_CASE = "（2024）闽0603执200号"


class BankSignature(httpx.Auth):
    requires_request_body = True

    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        stamp = str(int(time.time()))
        request.headers["X-Bank-Timestamp"] = stamp
        request.headers["X-Bank-Signature"] = sign_hmac(
            self.secret, stamp, request.method, request.url.path, request.content
        )
        yield request


def gbk_csv(*rows: tuple[Any, ...]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("gbk")


def read_csv(response: httpx.Response) -> list[dict[str, str]]:
    assert response.headers["content-type"] == "text/csv; charset=GBK"
    header, *rows = list(csv.reader(io.StringIO(response.content.decode("gbk"))))
    return [dict(zip(header, row, strict=True)) for row in rows]


def small_world(*freezes: dict[str, Any], balance: str = "1000.00") -> dict[str, Any]:
    return {
        "bank_accounts": [
            {
                "bank": "中国工商银行漳州分行",
                "account_number": DEBTOR_ICBC,
                "owner_id": DEBTOR,
                "owner_name": "陈某某",
                "account_type": "活期",
                "currency": "CNY",
                "balance": balance,
                "frozen": list(freezes),
            }
        ]
    }


@pytest.fixture
async def app() -> AsyncIterator[Starlette]:
    application = bank.create_app()
    yield application
    await aclose_app(application)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock", auth=BankSignature()
    ) as c:
        await c.put("/_admin/faults", json={"complete_after_ms": 0})
        yield c


async def query(client: httpx.AsyncClient, *subjects: tuple[str, str, str]) -> str:
    body = gbk_csv(("证件号码", "户名", "主体类型"), *subjects)
    response = await client.put(f"{ICBC}/inbox/CX-{time.monotonic_ns()}.csv", content=body)
    assert response.status_code == 202, response.text
    (receipt,) = read_csv(response)
    return receipt["批次号"]


async def accounts(client: httpx.AsyncClient, *subjects: tuple[str, str, str]) -> list[dict]:
    batch = await query(client, *subjects)
    response = await client.get(f"{ICBC}/outbox/{batch}")
    assert response.status_code == 200, response.text
    return read_csv(response)


async def order(
    client: httpx.AsyncClient,
    kind: str,
    *,
    key: str,
    account: str = DEBTOR_ICBC,
    fen: int | None = None,
    court: str = "闽0602",
    case: str = CASE,
    subject: str = DEBTOR,
) -> dict[str, str]:
    """The order's line of its result file (``order_lines`` has them all)."""
    return (await order_lines(client, kind, key=key, account=account, fen=fen, court=court,
                              case=case, subject=subject))[0]  # fmt: skip


async def order_lines(
    client: httpx.AsyncClient,
    kind: str,
    *,
    key: str,
    account: str = DEBTOR_ICBC,
    fen: int | None = None,
    court: str = "闽0602",
    case: str = CASE,
    subject: str = DEBTOR,
) -> list[dict[str, str]]:
    row = (kind, f"req-{key}", court, case, "", subject, "陈某某", "个人", account, fen, "")
    body = gbk_csv(bank.ORDER_HEADER, tuple("" if v is None else v for v in row))
    sent = await client.put(
        f"{ICBC}/inbox/KZ{key}.csv", content=body, headers={"Idempotency-Key": key}
    )
    assert sent.status_code in (200, 202), sent.text
    (receipt,) = read_csv(sent)
    result = await client.get(f"{ICBC}/outbox/{receipt['批次号']}")
    assert result.status_code == 200, result.text
    lines = read_csv(result)
    assert lines[0]["请求编号"] == f"req-{key}"
    # what follows the order's own line tells of waiting freezes it made effective
    assert all(extra["结果代码"] == bank.PROMOTED for extra in lines[1:])
    return lines


# -- reads --------------------------------------------------------------------------------------


async def test_docs_describe_the_files() -> None:
    application = bank.create_app()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://mock"
        ) as c:
            text = (await c.get("/docs")).text
    finally:
        await aclose_app(application)
    for header in (bank.QUERY_HEADER, bank.ORDER_HEADER, bank.ACCOUNTS_HEADER, bank.RESULT_HEADER):
        assert ",".join(header) in text
    assert "GBK" in text and "fen" in text


async def test_a_query_file_finds_accounts_by_id_and_by_name(client: httpx.AsyncClient) -> None:
    lines = await accounts(client, (DEBTOR, "陈某某", "个人"), (NOBODY, "张某", "个人"))
    found = {(r["查询证件号码"], r["账号"], r["证件号码"]) for r in lines if r["记录类型"] == "A"}
    # the namesake's account comes back too, under his own ID number: the hub must drop it
    assert found == {(DEBTOR, DEBTOR_ICBC, DEBTOR), (DEBTOR, NAMESAKE_ICBC, NAMESAKE)}
    mine = next(r for r in lines if r["账号"] == DEBTOR_ICBC)
    assert mine["余额"] == "8500000"  # 85000.00 yuan, in fen
    assert (mine["开户行"], mine["银行代码"], mine["开户日期"]) == (
        "中国工商银行漳州分行",
        "icbc-zhangzhou",
        "20120418",
    )
    assert (mine["币种"], mine["账户类型"]) == ("CNY", "活期")


async def test_freezes_come_as_lines_of_their_account(client: httpx.AsyncClient) -> None:
    batch = await query(client, (DEBTOR, "陈某某", "个人"))
    response = await client.get(f"/banks/兴业银行漳州分行/outbox/{batch}")
    assert response.status_code == 404  # a batch is the bank's it was uploaded to
    cib = "/banks/cib-zhangzhou"
    body = gbk_csv(("证件号码", "户名", "主体类型"), (DEBTOR, "陈某某", "个人"))
    sent = await client.put(f"{cib}/inbox/CX-1.csv", content=body)
    (receipt,) = read_csv(sent)
    lines = read_csv(await client.get(f"{cib}/outbox/{receipt['批次号']}"))
    assert [r["记录类型"] for r in lines] == ["A", "F"]
    freeze = lines[1]
    assert (freeze["冻结法院"], freeze["冻结顺位"], freeze["冻结金额"]) == (
        "闽0603",
        "首冻",
        "1200050",
    )
    assert freeze["冻结到期日"] == "20270831"


async def test_the_result_file_comes_later(client: httpx.AsyncClient) -> None:
    await client.put("/_admin/faults", json={"complete_after_ms": 60_000})
    batch = await query(client, (DEBTOR, "陈某某", "个人"))
    pending = await client.get(f"{ICBC}/outbox/{batch}")
    assert pending.status_code == 202
    assert read_csv(pending)[0]["状态"] == "已接收"
    missing = await client.get(f"{ICBC}/outbox/CX999999")
    assert missing.status_code == 404 and read_csv(missing)[0]["错误代码"] == "NOT_FOUND"


async def test_the_same_file_twice_is_one_batch(client: httpx.AsyncClient) -> None:
    body = gbk_csv(("证件号码", "户名", "主体类型"), (DEBTOR, "陈某某", "个人"))
    first = await client.put(f"{ICBC}/inbox/CX-same.csv", content=body)
    again = await client.put(f"{ICBC}/inbox/CX-same.csv", content=body)
    assert (first.status_code, again.status_code) == (202, 200)
    assert read_csv(first)[0]["批次号"] == read_csv(again)[0]["批次号"]
    receipt = await client.get(f"{ICBC}/inbox/CX-same.csv")
    assert read_csv(receipt)[0]["批次号"] == read_csv(first)[0]["批次号"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("证件号码,户名,主体类型\r\n350602198003150015,陈某某,个人\r\n".encode(), "MALFORMED"),
        (gbk_csv(("身份证", "名字")), "MALFORMED"),
        (gbk_csv(("证件号码", "户名", "主体类型"), ("1", "2")), "MALFORMED"),
        (
            gbk_csv(
                ("证件号码", "户名", "主体类型"), *[(str(i), "某", "个人") for i in range(101)]
            ),
            "TOO_MANY_SUBJECTS",
        ),
    ],
    ids=["utf-8", "header", "short-line", "101-subjects"],
)
async def test_malformed_files_are_refused(
    client: httpx.AsyncClient, body: bytes, code: str
) -> None:
    response = await client.put(f"{ICBC}/inbox/CX-bad.csv", content=body)
    assert response.status_code == 400
    assert read_csv(response)[0]["错误代码"] == code


async def test_auth_and_unknown_banks(app: Starlette) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://mock", auth=BankSignature("wrong")
    ) as wrong:
        refused = await wrong.get(f"{ICBC}/inbox/CX-1.csv")
        assert refused.status_code == 401 and read_csv(refused)[0]["错误代码"] == "UNAUTHORIZED"
    async with httpx.AsyncClient(
        transport=transport, base_url="http://mock", auth=BankSignature()
    ) as ok:
        unknown = await ok.get("/banks/no-such-bank/inbox/CX-1.csv")
        assert unknown.status_code == 404 and read_csv(unknown)[0]["错误代码"] == "UNKNOWN_BANK"
        by_name = await ok.get("/banks/中国工商银行漳州分行/inbox/CX-1.csv")
        assert read_csv(by_name)[0]["错误代码"] == "NOT_FOUND"  # the bank, but no such file


# -- orders -------------------------------------------------------------------------------------


async def test_an_order_file_is_taken_once_per_key(client: httpx.AsyncClient) -> None:
    first = await order(client, "冻结", key="k1", fen=5_000_000)
    again = await order(client, "冻结", key="k1", fen=5_000_000)
    assert first == again
    stats = (await client.get("/_admin/stats")).json()
    assert (stats["assistance_received"], stats["assistance_duplicates"]) == (1, 1)
    no_key = await client.put(f"{ICBC}/inbox/KZx.csv", content=gbk_csv(bank.ORDER_HEADER))
    assert read_csv(no_key)[0]["错误代码"] == "IDEMPOTENCY_KEY_REQUIRED"


async def test_freeze_ranks_and_the_first_freeze_promotes_the_next(app: Starlette) -> None:
    agency = app.state.agency
    agency.set_world(small_world(balance="1000.00"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock", auth=BankSignature()
    ) as client:
        await client.put("/_admin/faults", json={"complete_after_ms": 0})
        first = await order(client, "冻结", key="f1", fen=50_000_000)
        today = bank.today()
        term_end = bank.add_years(today, 1) - timedelta(days=1)
        assert (first["处理结果"], first["结果代码"], first["冻结顺位"]) == (
            "成功",
            "frozen",
            "首冻",
        )
        assert first["金额"] == "100000"  # 500000.00 asked, the 1000.00 there is frozen
        assert first["到期日"] == term_end.strftime("%Y%m%d")

        second = await order(client, "冻结", key="f2", fen=30_000, court="闽0603", case=OTHER_CASE)
        assert (second["冻结顺位"], second["到期日"], second["金额"]) == ("轮候", "", "30000")
        again = await order(client, "冻结", key="f3", fen=30_000)
        assert (again["处理结果"], again["结果代码"]) == ("失败", "already_frozen")

        lifted, promoted = await order_lines(client, "解冻", key="u1")
        assert (lifted["结果代码"], lifted["金额"]) == ("unfrozen", "100000")
        assert (lifted["冻结法院"], lifted["冻结案号"]) == ("", "")
        # the answer tells which waiting freeze took effect, as a query would show it
        assert {k: promoted[k] for k in ("批次号", "请求编号", "业务类型", "处理结果")} == {
            "批次号": lifted["批次号"],
            "请求编号": "",
            "业务类型": "冻结",
            "处理结果": "成功",
        }
        assert (promoted["冻结法院"], promoted["冻结案号"], promoted["账号"]) == (
            "闽0603",
            OTHER_CASE,
            DEBTOR_ICBC,
        )
        assert (promoted["冻结顺位"], promoted["金额"]) == ("首冻", "30000")
        assert promoted["到期日"] == term_end.strftime("%Y%m%d")
        lines = await accounts(client, (DEBTOR, "陈某某", "个人"))
        (freeze,) = [r for r in lines if r["记录类型"] == "F"]
        assert (freeze["冻结法院"], freeze["冻结顺位"]) == ("闽0603", "首冻")
        assert freeze["冻结到期日"] == term_end.strftime("%Y%m%d")  # its term starts now

        not_mine = await order(client, "解冻", key="u2")
        assert not_mine["结果代码"] == "no_such_freeze"


async def test_deduct_lowers_the_balance_but_not_below_others_freezes(app: Starlette) -> None:
    today = bank.today()
    theirs = {
        "court": "闽0603",
        "case_number": OTHER_CASE,
        "amount": "300.00",
        "rank": "FIRST",
        "frozen_on": today.isoformat(),
        "expires_on": bank.add_years(today, 1).isoformat(),
    }
    app.state.agency.set_world(small_world(theirs, balance="1000.00"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock", auth=BankSignature()
    ) as client:
        await client.put("/_admin/faults", json={"complete_after_ms": 0})
        taken = await order(client, "扣划", key="d1", fen=50_000)
        assert (taken["结果代码"], taken["金额"], taken["余额"]) == ("deducted", "50000", "50000")
        lines = await accounts(client, (DEBTOR, "陈某某", "个人"))
        assert lines[0]["余额"] == "50000"  # the next read shows the lower balance
        rest = await order(client, "扣划", key="d2", fen=100_000)
        # 300.00 is another case's first freeze: only 200.00 can be taken
        assert (rest["金额"], rest["余额"]) == ("20000", "30000")
        none_left = await order(client, "扣划", key="d3", fen=1)
        assert (none_left["处理结果"], none_left["结果代码"]) == ("失败", "insufficient_funds")


async def test_deduct_takes_the_courts_own_frozen_money_first(app: Starlette) -> None:
    app.state.agency.set_world(small_world(balance="1000.00"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock", auth=BankSignature()
    ) as client:
        await client.put("/_admin/faults", json={"complete_after_ms": 0})
        await order(client, "冻结", key="f1", fen=40_000)
        await order(client, "冻结", key="f2", fen=10_000, court="闽0603", case=OTHER_CASE)
        taken, promoted = await order_lines(client, "扣划", key="d1", fen=40_000)
        assert (taken["金额"], taken["余额"]) == ("40000", "60000")
        # all the money it froze is deducted: that freeze ends and the waiting one takes effect
        assert (promoted["冻结法院"], promoted["冻结顺位"], promoted["金额"]) == (
            "闽0603",
            "首冻",
            "10000",
        )
        lines = await accounts(client, (DEBTOR, "陈某某", "个人"))
        freezes = [(r["冻结法院"], r["冻结顺位"], r["冻结金额"]) for r in lines[1:]]
        assert freezes == [("闽0603", "首冻", "10000")]


async def test_renewal_extends_a_first_freeze_by_a_year(app: Starlette) -> None:
    app.state.agency.set_world(small_world())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock", auth=BankSignature()
    ) as client:
        await client.put("/_admin/faults", json={"complete_after_ms": 0})
        frozen = await order(client, "冻结", key="f1", fen=10_000)
        renewed = await order(client, "续冻", key="r1")
        assert (renewed["结果代码"], renewed["冻结顺位"]) == ("renewed", "首冻")
        assert int(renewed["到期日"]) == int(frozen["到期日"]) + 10_000  # a year later
        await order(client, "冻结", key="f2", fen=10_000, court="闽0603", case=OTHER_CASE)
        waiting = await order(client, "续冻", key="r2", court="闽0603", case=OTHER_CASE)
        assert waiting["结果代码"] == "not_effective"


async def test_a_lapsed_freeze_is_gone_and_the_next_moves_up(app: Starlette) -> None:
    today = bank.today()
    lapsed = {
        "court": "闽0603",
        "case_number": OTHER_CASE,
        "amount": "300.00",
        "rank": "FIRST",
        "frozen_on": (today - timedelta(days=400)).isoformat(),
        "expires_on": (today - timedelta(days=1)).isoformat(),
    }
    waiting = {"court": "闽0602", "case_number": CASE, "amount": "2000.00", "rank": "WAITING"}
    app.state.agency.set_world(small_world(lapsed, waiting, balance="1000.00"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock", auth=BankSignature()
    ) as client:
        await client.put("/_admin/faults", json={"complete_after_ms": 0})
        lines = await accounts(client, (DEBTOR, "陈某某", "个人"))
    freezes = [(r["冻结法院"], r["冻结顺位"], r["冻结金额"]) for r in lines[1:]]
    assert freezes == [("闽0602", "首冻", "100000")]  # at most the balance is frozen


async def test_orders_on_someone_elses_or_no_account_are_rejected(
    client: httpx.AsyncClient,
) -> None:
    theirs = await order(client, "冻结", key="x1", account=NAMESAKE_ICBC, fen=100)
    assert (theirs["处理结果"], theirs["结果代码"]) == ("失败", "owner_mismatch")
    missing = await order(client, "扣划", key="x2", account="6222000000000000", fen=100)
    assert missing["结果代码"] == "no_such_account"
    no_amount = await order(client, "冻结", key="x3")
    assert no_amount["结果代码"] == "amount_required"
    found = await order(client, "查询", key="q1", account="")
    assert (found["结果代码"], found["账户数"], found["余额"]) == ("found", "1", "8500000")


# -- faults -------------------------------------------------------------------------------------


async def test_faults_and_stats_through_the_admin_surface(client: httpx.AsyncClient) -> None:
    await client.put("/_admin/faults", json={"down": True})
    down = await client.get(f"{ICBC}/inbox/CX-1.csv")
    assert down.status_code == 503 and read_csv(down)[0]["错误代码"] == "UNAVAILABLE"
    await client.put("/_admin/faults", json={"down": False, "error_rate": 1.0, "status": 429})
    limited = await client.get(f"{ICBC}/inbox/CX-1.csv")
    assert limited.status_code == 429 and read_csv(limited)[0]["错误代码"] == "RATE_LIMITED"
    stats = (await client.get("/_admin/stats")).json()
    assert stats["requests"] == 2
    assert stats["by_path"] == {f"{ICBC}/inbox/CX-1.csv": 2}
    assert (await client.post("/_admin/reset")).status_code == 200
    assert (await client.get("/_admin/stats")).json()["requests"] == 0


async def test_a_new_world_through_the_admin_surface(client: httpx.AsyncClient) -> None:
    world = load_world()
    world["bank_accounts"] = [
        dict(a, balance="1.00") for a in world["bank_accounts"] if a["owner_id"] == DEBTOR
    ]
    assert (await client.put("/_admin/world", json=world)).status_code == 200
    lines = await accounts(client, (DEBTOR, "陈某某", "个人"))
    assert [(r["账号"], r["余额"]) for r in lines] == [(DEBTOR_ICBC, "100")]
