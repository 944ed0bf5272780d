"""Mock commercial banks (商业银行) answering enforcement inquiries by file exchange.

Banks take a court's point-to-point inquiry (网络查控) as files, not as an API:
the court uploads a batch query file or an order file, the bank takes it (202,
a batch number) and writes a result file the court fetches later. One server
serves several banks, each under ``/banks/{bank}`` (its code, e.g.
``icbc-zhangzhou``, or its name as in the world's ``bank_accounts``). Like
the real ones, a search matches an account holder by ID number *or* by name,
so same-name holders (重名) come back with their own ID numbers: telling them
apart is the hub's job. ``GET /docs`` serves ``DOCS`` below.

Deposit freezes follow the rules banks apply: a freeze ranks first (首冻)
unless the account already has an effective freeze of another case, then it
waits (轮候) without a term until promoted; a first freeze lasts one year;
lifting it promotes the earliest waiting one; a deduction (扣划) lowers the
balance, out of the court's own frozen amount first, never below zero and
never out of money another case froze first. The result file of an order that
promoted a waiting freeze has a line for it, as the account's query line would
show it (首冻, its new 到期日), so the court that lifted learns it from the answer
as any court learns it from a query; the waiting freeze's own court is not told
(banks send no notices), and learns it from its next query of the account.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from mocks._common import MockAgency, Order, OrderOutcome, build_app, hmac_ok

KIND = "bank"
ENCODING = "gbk"
CSV_TYPE = "text/csv; charset=GBK"
MAX_SUBJECTS = 100
FREEZE_YEARS = 1  # deposits: one year, then renewed (续冻) or lapsed
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
CENT = Decimal("0.01")
_KEY_SEP = "\x1f"  # idempotency keys are per bank: each is its own system

# The banks' codes for the ones the demo world names; any other bank gets a derived one.
BANK_CODES: dict[str, str] = {
    "中国工商银行漳州分行": "icbc-zhangzhou",
    "兴业银行漳州分行": "cib-zhangzhou",
    "中国建设银行漳州分行": "ccb-zhangzhou",
    "中国农业银行漳州分行": "abc-zhangzhou",
    "中国银行漳州分行": "boc-zhangzhou",
}

# Order types in the files, by the hub's action names.
ORDER_TYPES: dict[str, str] = {
    "QUERY": "查询",
    "FREEZE": "冻结",
    "UNFREEZE": "解冻",
    "DEDUCT": "扣划",
    "RENEW_SEAL": "续冻",
}
ACTION_OF_TYPE = {text: action for action, text in ORDER_TYPES.items()}
RECEIPT_STATUS = {
    "RECEIVED": "已接收",
    "ACKNOWLEDGED": "处理中",
    "COMPLETED": "处理成功",
    "REJECTED": "处理失败",
}
RANKS = {"FIRST": "首冻", "WAITING": "轮候"}
SUBJECT_KINDS = {"PERSON": "个人", "ORGANIZATION": "单位"}

QUERY_HEADER = ("证件号码", "户名", "主体类型")
ORDER_HEADER = (
    "业务类型", "请求编号", "法院", "案号", "文书号", "证件号码", "户名", "主体类型",
    "账号", "金额", "截止时间",
)  # fmt: skip
RECEIPT_HEADER = ("文件名", "批次号", "状态", "接收时间")
ACCOUNTS_HEADER = (
    "记录类型", "查询证件号码", "银行代码", "开户行", "账号", "户名", "证件号码", "账户类型",
    "币种", "余额", "开户日期", "冻结法院", "冻结案号", "冻结金额", "冻结顺位", "冻结日期",
    "冻结到期日",
)  # fmt: skip
RESULT_HEADER = (
    "批次号", "请求编号", "业务类型", "处理结果", "结果代码", "结果说明", "账号", "冻结顺位",
    "金额", "余额", "到期日", "账户数", "完成时间", "冻结法院", "冻结案号",
)  # fmt: skip
PROMOTED = "promoted"  # 结果代码 of a line telling of a waiting freeze that took effect
ERROR_HEADER = ("错误代码", "说明")

DOCS = f"""\
Bank enforcement inquiry by file exchange (点对点查控, 文件交换)
==========================================================
One server, several banks: {{bank}} is a bank's code (icbc-zhangzhou, cib-zhangzhou, ...) or its
name. Every file is CSV encoded in GBK, lines end CRLF, the first line is the header below.
Money is in fen (分, integers); dates are YYYYMMDD, times YYYYMMDDHHMMSS, Beijing time.
Auth: X-Bank-Timestamp (unix seconds) and X-Bank-Signature = hex HMAC-SHA256(secret,
timestamp + "\\n" + METHOD + "\\n" + path + "\\n" + raw file bytes).
Errors answer a file {",".join(ERROR_HEADER)} (codes UNAUTHORIZED, UNKNOWN_BANK, NOT_FOUND,
MALFORMED, TOO_MANY_SUBJECTS, IDEMPOTENCY_KEY_REQUIRED).

PUT /banks/{{bank}}/inbox/CX<name>.csv     a batch query file, at most {MAX_SUBJECTS} subjects
  {",".join(QUERY_HEADER)}
  350602198003150015,陈某某,个人          (主体类型 个人 | 单位)
  202 a receipt file (a file name uploaded before: 200 and the first receipt):
  {",".join(RECEIPT_HEADER)}
  CX....csv,CX000001,已接收,20261206120000
PUT /banks/{{bank}}/inbox/KZ<name>.csv     an order file, one order; header Idempotency-Key
  {",".join(ORDER_HEADER)}
  冻结,<request id>,闽0602,（2024）闽0602执100号,<文书号>,350602198003150015,陈某某,个人,
  6222021400012345678,5000000,20261209120000
  (业务类型 查询 | 冻结 | 解冻 | 扣划 | 续冻; 金额 for 冻结 and 扣划 only.) 202 a receipt; a key
  received before: 200 and the first receipt, the order is not taken twice.
GET /banks/{{bank}}/inbox/<file name>       the receipt of a file received (404 NOT_FOUND if not)
GET /banks/{{bank}}/outbox/<批次号>          the result file; 202 and the receipt while the bank
  is still at it (状态 已接收 | 处理中); 404 NOT_FOUND for an unknown batch.

Result of a query batch: one line per account (记录类型 A) and one per freeze on it (F):
  {",".join(ACCOUNTS_HEADER)}
  A,350602198003150015,icbc-zhangzhou,中国工商银行漳州分行,6222021400012345678,陈某某,
    350602198003150015,活期,CNY,8500000,20120418,,,,,,
  F,350602198003150015,icbc-zhangzhou,中国工商银行漳州分行,6222021400012345678,,,,,,,
    闽0603,（2023）闽0603执567号,1200050,首冻,20260901,20270831
  An account matches when its holder's ID number equals 查询证件号码 OR its 户名 equals the
  name asked for: same-name holders come back with their own 证件号码. 冻结顺位 首冻 | 轮候;
  a waiting freeze has no 到期日. Lapsed freezes are omitted.
Result of an order (one line, then one line per waiting freeze the order made effective):
  {",".join(RESULT_HEADER)}
  处理结果 成功 | 失败; 结果代码 frozen | unfrozen | deducted | renewed | found | not_found, or
  why it failed: no_such_account, owner_mismatch, amount_required, already_frozen,
  no_such_freeze, not_effective, insufficient_funds. 金额: frozen / released / deducted;
  余额: the balance after a deduction (or the total of a query); 账户数: accounts found.
  冻结法院, 冻结案号: whose freeze a line is about (empty on the order's own line).
  A 解冻 of a 首冻, or a 扣划 that takes all the court's frozen money, promotes the earliest
  轮候: a line follows for it, as its query line would show it (same 批次号, no 请求编号):
  KZ000003,,冻结,成功,{PROMOTED},轮候冻结生效,6222021400012345678,首冻,500000,,20271205,,
    20261206120000,闽0603,（2024）闽0603执200号

Rules: a freeze ranks 首冻 unless an effective freeze of another case is on the account, then
轮候 (no term until promoted); 首冻 lasts one year (to the day before); 解冻 of a 首冻 promotes the
earliest 轮候; 续冻 extends a 首冻 by one year from its 到期日; 扣划 takes at most the balance
less what other cases froze first, out of the court's own freeze first.
"""


# -- files -------------------------------------------------------------------------------------


def encode_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """A GBK CSV file: header, then rows (``None`` as an empty field)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode(ENCODING, errors="replace")


def decode_csv(content: bytes, header: Sequence[str]) -> list[dict[str, str]]:
    """The rows of a GBK CSV file whose header is ``header``; ``ValueError`` otherwise."""
    try:
        text = content.decode(ENCODING)
    except UnicodeDecodeError as exc:
        raise ValueError("文件须为GBK编码 (the file must be GBK-encoded)") from exc
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(c.strip() for c in rows[0]) != tuple(header):
        raise ValueError(f"表头须为 {','.join(header)}")
    body = [r for r in rows[1:] if any(c.strip() for c in r)]
    if any(len(r) != len(header) for r in body):
        raise ValueError(f"每行须有{len(header)}列")
    return [dict(zip(header, (c.strip() for c in r), strict=True)) for r in body]


def csv_response(
    header: Sequence[str], rows: Sequence[Sequence[Any]], status: int = 200
) -> Response:
    return Response(encode_csv(header, rows), status_code=status, media_type=CSV_TYPE)


def csv_error(status: int, message: str, code: str | None = None) -> Response:
    names = {400: "MALFORMED", 401: "UNAUTHORIZED", 404: "NOT_FOUND", 429: "RATE_LIMITED"}
    return csv_response(ERROR_HEADER, [(code or names.get(status, "UNAVAILABLE"), message)], status)


def to_fen(yuan: Any) -> int:
    return int((_yuan(yuan) * 100).to_integral_value(ROUND_HALF_UP))


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(CENT)


def _yuan(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value if value is not None else "0"))
    except InvalidOperation:
        return Decimal("0.00")
    return amount.quantize(CENT, ROUND_HALF_UP) if amount.is_finite() else Decimal("0.00")


def _ymd(value: Any) -> str:
    return date.fromisoformat(str(value)).strftime("%Y%m%d") if value else ""


def _stamp(at: datetime) -> str:
    return at.astimezone(CHINA).strftime("%Y%m%d%H%M%S")


# -- the world ---------------------------------------------------------------------------------


def today() -> date:
    return datetime.now(CHINA).date()


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def freeze_term_end(start: date) -> date:
    """The last day of a freeze begun on ``start``: one year, to the day before."""
    return add_years(start, FREEZE_YEARS) - timedelta(days=1)


def bank_code(name: str) -> str:
    """A bank's code: the known ones by name, any other derived from its name."""
    return BANK_CODES.get(name) or "bank-" + hashlib.sha256(name.encode()).hexdigest()[:8]


def banks(world: Mapping[str, Any]) -> dict[str, str]:
    """Code → name of every bank holding an account in the world, in order of appearance."""
    found: dict[str, str] = {}
    for account in world.get("bank_accounts", []):
        name = str(account.get("bank") or "")
        if name:
            found.setdefault(bank_code(name), name)
    return found


def _resolve_bank(world: Mapping[str, Any], given: str) -> tuple[str, str] | None:
    for code, name in banks(world).items():
        if given in (code, name):
            return code, name
    return None


def _accounts(world: Mapping[str, Any], bank: str) -> list[dict[str, Any]]:
    return [a for a in world.get("bank_accounts", []) if a.get("bank") == bank]


def _lapsed(freeze: Mapping[str, Any], on: date) -> bool:
    expires = freeze.get("expires_on")
    return freeze.get("rank") == "FIRST" and bool(expires) and date.fromisoformat(str(expires)) < on


def settle(account: dict[str, Any], on: date) -> list[dict[str, Any]]:
    """Drop lapsed freezes and promote the earliest waiting one when none is first."""
    freezes = [f for f in account.get("frozen", []) if not _lapsed(f, on)]
    if freezes and not any(f.get("rank") == "FIRST" for f in freezes):
        earliest = freezes[0]  # kept in the order the bank received them
        earliest["rank"] = "FIRST"
        earliest["expires_on"] = freeze_term_end(on).isoformat()
        balance = _yuan(account.get("balance"))
        earliest["amount"] = str(min(_yuan(earliest.get("amount")), balance))
    account["frozen"] = freezes
    return freezes


def _account_rows(code: str, name: str, asked: str, account: dict[str, Any]) -> list[list[Any]]:
    number = account.get("account_number")
    rows: list[list[Any]] = [
        [
            "A", asked, code, name, number, account.get("owner_name"), account.get("owner_id"),
            account.get("account_type"), account.get("currency", "CNY"),
            to_fen(account.get("balance")), _ymd(account.get("opened_on")),
            None, None, None, None, None, None,
        ]
    ]  # fmt: skip
    for f in settle(account, today()):
        rows.append(
            [
                "F", asked, code, name, number, None, None, None, None, None, None,
                f.get("court"), f.get("case_number"), to_fen(f.get("amount")),
                RANKS.get(str(f.get("rank")), ""), _ymd(f.get("frozen_on")),
                _ymd(f.get("expires_on")),
            ]
        )  # fmt: skip
    return rows


def query_rows(
    world: Mapping[str, Any], code: str, name: str, subjects: list[dict[str, str]]
) -> list[list[Any]]:
    """The result file's lines: by ID number or by name, as the banks search."""
    rows: list[list[Any]] = []
    accounts = _accounts(world, name)
    for subject in subjects:
        sid, holder = subject["证件号码"], subject["户名"]
        for account in accounts:
            if (sid and account.get("owner_id") == sid) or (
                holder and account.get("owner_name") == holder
            ):
                rows.extend(_account_rows(code, name, sid, account))
    return rows


# -- executing orders --------------------------------------------------------------------------


def _reject(outcome: str, message: str, account: str | None = None) -> OrderOutcome:
    return OrderOutcome("REJECTED", outcome, {"message": message, "account": account})


def _query(accounts: list[dict[str, Any]], subject: Mapping[str, Any]) -> OrderOutcome:
    # A written order names the subject by ID: answer ID matches and holder-less same-name
    # accounts, never another person's.
    sid, name = subject.get("id_number"), subject.get("name")
    found = [
        a
        for a in accounts
        if a.get("owner_id") == sid or (not a.get("owner_id") and a.get("owner_name") == name)
    ]
    total = sum((to_fen(a.get("balance")) for a in found), 0)
    result = {"accounts": len(found), "balance_fen": total, "message": f"查得账户{len(found)}户"}
    return OrderOutcome("COMPLETED", "found" if found else "not_found", result)


def _freeze(account: dict[str, Any], order: Order, on: date) -> OrderOutcome:
    number = str(account.get("account_number"))
    amount = _yuan(order.details.get("amount"))
    if amount <= 0:
        return _reject("amount_required", "冻结须载明金额", number)
    court, case_number = order.fields.get("court"), order.fields.get("case_number")
    freezes = settle(account, on)
    if any(f.get("court") == court and f.get("case_number") == case_number for f in freezes):
        return _reject("already_frozen", "本案已冻结该账户", number)
    first = not any(f.get("rank") == "FIRST" for f in freezes)
    balance = _yuan(account.get("balance"))
    freeze = {
        "court": court,
        "case_number": case_number,
        "amount": str(min(amount, balance) if first else amount),
        "rank": "FIRST" if first else "WAITING",
        "frozen_on": on.isoformat(),
        "expires_on": freeze_term_end(on).isoformat() if first else None,
    }
    freezes.append(freeze)
    result = {
        "account": number,
        "rank": freeze["rank"],
        "amount_fen": to_fen(freeze["amount"]),
        "expires_on": freeze["expires_on"],
        "message": "冻结成功" if first else "已轮候冻结",
    }
    return OrderOutcome("COMPLETED", "frozen", result)


def _own(freezes: list[dict[str, Any]], order: Order) -> list[dict[str, Any]]:
    court, case_number = order.fields.get("court"), order.fields.get("case_number")
    return [f for f in freezes if f.get("court") == court and f.get("case_number") == case_number]


def _promoted(account: dict[str, Any], waiting: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Of the freezes that were waiting, those now in effect, as the result file tells them."""
    number = str(account.get("account_number"))
    return [
        {
            "account": number,
            "court": f.get("court"),
            "case_number": f.get("case_number"),
            "amount_fen": to_fen(f.get("amount")),
            "expires_on": f.get("expires_on"),
        }
        for f in waiting
        if f.get("rank") == "FIRST" and f in account.get("frozen", [])
    ]


def _waiting(freezes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in freezes if f.get("rank") == "WAITING"]


def _unfreeze(account: dict[str, Any], order: Order, on: date) -> OrderOutcome:
    number = str(account.get("account_number"))
    freezes = settle(account, on)
    mine = _own(freezes, order)
    if not mine:
        return _reject("no_such_freeze", "本案未冻结该账户", number)
    waiting = _waiting(freezes)
    account["frozen"] = [f for f in freezes if f not in mine]
    settle(account, on)  # lifting the first freeze promotes the earliest waiting one
    released = sum((to_fen(f.get("amount")) for f in mine), 0)
    result: dict[str, Any] = {"account": number, "amount_fen": released, "message": "解除冻结成功"}
    promoted = _promoted(account, waiting)
    if promoted:  # which waiting freezes took effect, so that their courts learn of it
        result["promoted"] = promoted
    return OrderOutcome("COMPLETED", "unfrozen", result)


def _deduct(account: dict[str, Any], order: Order, on: date) -> OrderOutcome:
    number = str(account.get("account_number"))
    amount = _yuan(order.details.get("amount"))
    if amount <= 0:
        return _reject("amount_required", "扣划须载明金额", number)
    freezes = settle(account, on)
    mine = [f for f in _own(freezes, order) if f.get("rank") == "FIRST"]
    held_by_others = sum(
        (_yuan(f.get("amount")) for f in freezes if f.get("rank") == "FIRST" and f not in mine),
        Decimal("0.00"),
    )
    balance = _yuan(account.get("balance"))
    taken = min(amount, max(balance - held_by_others, Decimal("0.00")))
    if taken <= 0:
        return _reject("insufficient_funds", "账户无可扣划余额", number)
    account["balance"] = str(balance - taken)
    left = taken
    for freeze in mine:  # out of the court's own frozen amount first
        frozen = _yuan(freeze.get("amount"))
        used = min(frozen, left)
        freeze["amount"] = str(frozen - used)
        left -= used
    exhausted = [f for f in mine if _yuan(f.get("amount")) <= 0]
    waiting = _waiting(freezes)
    if exhausted:  # a freeze whose money was all deducted ends; the next in line moves up
        account["frozen"] = [f for f in freezes if f not in exhausted]
        settle(account, on)
    result: dict[str, Any] = {
        "account": number,
        "amount_fen": to_fen(taken),
        "balance_fen": to_fen(account["balance"]),
        "message": "扣划成功",
    }
    promoted = _promoted(account, waiting)
    if promoted:
        result["promoted"] = promoted
    return OrderOutcome("COMPLETED", "deducted", result)


def _renew(account: dict[str, Any], order: Order, on: date) -> OrderOutcome:
    number = str(account.get("account_number"))
    mine = _own(settle(account, on), order)
    if not mine:
        return _reject("no_such_freeze", "本案未冻结该账户", number)
    first = [f for f in mine if f.get("rank") == "FIRST"]
    if not first:
        return _reject("not_effective", "轮候冻结尚未生效，无需续冻", number)
    freeze = first[0]
    ends = date.fromisoformat(str(freeze.get("expires_on") or on.isoformat()))
    freeze["expires_on"] = (add_years(ends, FREEZE_YEARS)).isoformat()
    result = {
        "account": number,
        "rank": "FIRST",
        "amount_fen": to_fen(freeze.get("amount")),
        "expires_on": freeze["expires_on"],
        "message": "续冻成功",
    }
    return OrderOutcome("COMPLETED", "renewed", result)


def execute(agency: MockAgency, order: Order) -> OrderOutcome:
    bank = str(order.fields.get("bank_name", ""))
    accounts = _accounts(agency.world, bank)
    if order.action == "QUERY":
        return _query(accounts, order.subject)
    number = str(order.details.get("account") or "")
    account = next((a for a in accounts if a.get("account_number") == number), None)
    if account is None:
        return _reject("no_such_account", "本行无此账号", number or None)
    subject, owner_id = order.subject, account.get("owner_id")
    if (owner_id and owner_id != subject.get("id_number")) or (
        not owner_id and account.get("owner_name") != subject.get("name")
    ):
        return _reject("owner_mismatch", "账户户名与被执行人不符", number)
    on = today()
    steps = {"FREEZE": _freeze, "UNFREEZE": _unfreeze, "DEDUCT": _deduct, "RENEW_SEAL": _renew}
    return steps[order.action](account, order, on)


# -- handlers ----------------------------------------------------------------------------------


async def _guard(agency: MockAgency, request: Request) -> tuple[tuple[str, str], Response | None]:
    """The bank (code, name) of the path, or the error to answer instead."""
    given = str(request.path_params["bank"])
    if not await hmac_ok(request, "Bank", agency.secret):
        return (given, given), csv_error(401, "签名错误或缺失 (bad or missing signature)")
    found = _resolve_bank(agency.world, given)
    if found is None:
        return (given, given), csv_error(404, "无此银行 (no such bank)", "UNKNOWN_BANK")
    return found, None


def _files(agency: MockAgency) -> dict[tuple[str, str], tuple[str, str]]:
    """(bank code, file name) → ("query", batch) or ("order", order ref)."""
    files: dict[tuple[str, str], tuple[str, str]] = agency.state.setdefault("files", {})
    return files


def _batches(agency: MockAgency) -> dict[str, dict[str, Any]]:
    batches: dict[str, dict[str, Any]] = agency.state.setdefault("batches", {})
    return batches


def _receipt_row(agency: MockAgency, file: str, kind: str, ref: str) -> list[Any]:
    if kind == "query":
        batch = _batches(agency)[ref]
        status = "COMPLETED" if _ready(agency, batch) else "RECEIVED"
        return [file, ref, RECEIPT_STATUS[status], _stamp(batch["created_at"])]
    order = agency.get_order(ref)
    assert order is not None
    return [file, ref, RECEIPT_STATUS[order.status], _stamp(order.created_at)]


def _ready(agency: MockAgency, batch: dict[str, Any]) -> bool:
    return bool(time.monotonic() >= batch["ready_at"])


def _take_query(
    agency: MockAgency, bank: tuple[str, str], file: str, content: bytes
) -> tuple[str, Response | None]:
    try:
        subjects = decode_csv(content, QUERY_HEADER)
    except ValueError as exc:
        return "", csv_error(400, str(exc))
    if len(subjects) > MAX_SUBJECTS:
        return "", csv_error(400, f"每批至多{MAX_SUBJECTS}人", "TOO_MANY_SUBJECTS")
    if any(not s["证件号码"] for s in subjects):
        return "", csv_error(400, "证件号码不能为空")
    batches = _batches(agency)
    batch_id = f"CX{len(batches) + 1:06d}"
    # A batch is processed as fast as an order is acknowledged (a third of complete_after_ms).
    delay = max(float(agency.faults.get("complete_after_ms") or 0), 0.0) / 3000
    batches[batch_id] = {
        "bank": bank,
        "subjects": subjects,
        "created_at": datetime.now(CHINA),
        "ready_at": time.monotonic() + delay,
        "rows": None,
    }
    return batch_id, None


def _take_order(
    agency: MockAgency, bank: tuple[str, str], request: Request, content: bytes
) -> tuple[str, bool, Response | None]:
    key = request.headers.get("idempotency-key", "").strip()
    if not key:
        return "", False, csv_error(400, "须有Idempotency-Key", "IDEMPOTENCY_KEY_REQUIRED")
    try:
        rows = decode_csv(content, ORDER_HEADER)
    except ValueError as exc:
        return "", False, csv_error(400, str(exc))
    if len(rows) != 1:
        return "", False, csv_error(400, "一个指令文件只载一项指令")
    row = rows[0]
    action = ACTION_OF_TYPE.get(row["业务类型"])
    if action is None or not row["证件号码"] or not row["案号"]:
        return "", False, csv_error(400, "业务类型、证件号码、案号须填写")
    try:
        amount = from_fen(int(row["金额"])) if row["金额"] else None
    except ValueError:
        return "", False, csv_error(400, "金额须为整数（分）")
    kinds = {text: kind for kind, text in SUBJECT_KINDS.items()}
    fields = {
        "bank": bank[0],
        "bank_name": bank[1],
        "request_id": row["请求编号"] or None,
        "action": action,
        "court": row["法院"],
        "case_number": row["案号"],
        "document_number": row["文书号"] or None,
        "subject": {
            "id_number": row["证件号码"],
            "name": row["户名"],
            "kind": kinds.get(row["主体类型"], "PERSON"),
        },
        "details": {
            k: v for k, v in {"account": row["账号"], "amount": amount and str(amount)}.items() if v
        },
        "due_at": row["截止时间"] or None,
    }
    order, new = agency.submit_order(f"{bank[0]}{_KEY_SEP}{key}", fields)
    if new:
        order.idempotency_key = key  # the scoped key stays internal
    return order.ref, new, None


async def upload(agency: MockAgency, request: Request) -> Response:
    bank, refused = await _guard(agency, request)
    if refused:
        return refused
    file = str(request.path_params["file"])
    files = _files(agency)
    content = await request.body()
    known = files.get((bank[0], file))
    if file.startswith("CX"):
        if known is not None:  # the same file again: the first receipt, no second batch
            return csv_response(RECEIPT_HEADER, [_receipt_row(agency, file, *known)], 200)
        ref, error = _take_query(agency, bank, file, content)
        if error:
            return error
        files[(bank[0], file)] = ("query", ref)
        return csv_response(RECEIPT_HEADER, [_receipt_row(agency, file, "query", ref)], 202)
    if file.startswith("KZ"):
        ref, new, error = _take_order(agency, bank, request, content)
        if error:
            return error
        files.setdefault((bank[0], file), ("order", ref))
        row = _receipt_row(agency, file, "order", ref)
        return csv_response(RECEIPT_HEADER, [row], 202 if new else 200)
    return csv_error(400, "文件名须以CX（查询）或KZ（控制指令）开头")


async def receipt(agency: MockAgency, request: Request) -> Response:
    bank, refused = await _guard(agency, request)
    if refused:
        return refused
    file = str(request.path_params["file"])
    known = _files(agency).get((bank[0], file))
    if known is None:
        return csv_error(404, "未收到该文件 (no such file)")
    return csv_response(RECEIPT_HEADER, [_receipt_row(agency, file, *known)])


def _order_result(order: Order) -> list[list[Any]]:
    """The order's line, then a line for each waiting freeze it made effective."""
    result = order.result or {}
    ok = order.status == "COMPLETED"
    rank = result.get("rank")
    done = _stamp(order.updated_at or order.created_at)
    rows: list[list[Any]] = [
        [
            order.ref,
            order.request_id,
            ORDER_TYPES.get(order.action, order.action),
            "成功" if ok else "失败",
            order.outcome,
            result.get("message"),
            result.get("account") or order.details.get("account"),
            RANKS.get(str(rank), "") if rank else None,
            result.get("amount_fen"),
            result.get("balance_fen"),
            _ymd(result.get("expires_on")),
            result.get("accounts"),
            done,
            None,
            None,
        ]
    ]
    for p in result.get("promoted") or ():
        rows.append(
            [
                order.ref, None, ORDER_TYPES["FREEZE"], "成功", PROMOTED, "轮候冻结生效",
                p["account"], RANKS["FIRST"], p["amount_fen"], None, _ymd(p["expires_on"]),
                None, done, p["court"], p["case_number"],
            ]
        )  # fmt: skip
    return rows


async def result(agency: MockAgency, request: Request) -> Response:
    bank, refused = await _guard(agency, request)
    if refused:
        return refused
    ref = str(request.path_params["batch"])
    batch = _batches(agency).get(ref)
    if batch is not None and batch["bank"] == bank:
        if not _ready(agency, batch):
            return csv_response(
                RECEIPT_HEADER, [["", ref, "已接收", _stamp(batch["created_at"])]], 202
            )
        if batch["rows"] is None:  # answered once, as the world stood when the bank got to it
            batch["rows"] = query_rows(agency.world, bank[0], bank[1], batch["subjects"])
        return csv_response(ACCOUNTS_HEADER, batch["rows"])
    order = agency.get_order(ref)
    if order is None or order.fields.get("bank") != bank[0]:
        return csv_error(404, "无此批次 (no such batch)")
    if not order.terminal:
        row = ["", ref, RECEIPT_STATUS[order.status], _stamp(order.created_at)]
        return csv_response(RECEIPT_HEADER, [row], 202)
    return csv_response(RESULT_HEADER, _order_result(order))


async def docs(request: Request) -> Response:
    return PlainTextResponse(DOCS)


def create_app(world: dict[str, Any] | None = None, *, secret: str | None = None) -> Starlette:
    agency = MockAgency(
        KIND, world, secret=secret, ref_prefix="KZ", execute=execute, error_response=csv_error
    )
    p = "/banks/{bank}"
    routes = [
        Route(f"{p}/inbox/{{file}}", partial(upload, agency), methods=["PUT"]),
        Route(f"{p}/inbox/{{file}}", partial(receipt, agency), methods=["GET"]),
        Route(f"{p}/outbox/{{batch}}", partial(result, agency), methods=["GET"]),
        Route("/docs", docs, methods=["GET"]),
    ]
    return build_app(agency, routes)


app = create_app()
