"""The bank's files: GBK-encoded CSV, money in fen, dates YYYYMMDD, Beijing time.

The bank documents them (its ``GET /docs``); in short::

    query file   证件号码,户名,主体类型                     one subject a line (个人 | 单位)
    order file   业务类型,请求编号,法院,案号,文书号,证件号码,户名,主体类型,账号,金额,截止时间
    receipt      文件名,批次号,状态,接收时间                 已接收 | 处理中 | 处理成功 | 处理失败
    accounts     记录类型(A|F),查询证件号码,银行代码,开户行,账号,户名,证件号码,账户类型,币种,
                 余额,开户日期,冻结法院,冻结案号,冻结金额,冻结顺位(首冻|轮候),冻结日期,冻结到期日
    order result 批次号,请求编号,业务类型,处理结果(成功|失败),结果代码,结果说明,账号,冻结顺位,
                 金额,余额,到期日,账户数,完成时间,冻结法院,冻结案号
                 the order's line, then (结果代码 promoted) one line per waiting freeze the
                 order made effective (an unfreeze, a deduction of all that was frozen):
                 its account, court and case, 首冻, amount and new 到期日, as a query shows it

Everything the bank sends is read defensively: a missing column, a malformed
number or date raises ``ValueError`` (the adapter turns it into an upstream
error naming the bank), and amounts become yuan ``Decimal`` here and only here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from adapters.bank.records import BankAccount, Freeze
from adapters.sdk.records import (
    AssistanceOrder,
    DispatchReceipt,
    OrderProgress,
    Subject,
    SubjectKind,
    match_kind,
)

ENCODING = "gbk"
CSV_TYPE = "text/csv; charset=GBK"
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
CENT = Decimal("0.01")

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
# a bank that reports no promotions writes the file without whose freeze a line is about
RESULT_HEADER_PLAIN = RESULT_HEADER[:13]
PROMOTED = "promoted"  # 结果代码 of a line telling of a waiting freeze that took effect
ERROR_HEADER = ("错误代码", "说明")

ORDER_TYPES = {"QUERY": "查询", "FREEZE": "冻结", "UNFREEZE": "解冻", "DEDUCT": "扣划"}
ORDER_TYPES["RENEW_SEAL"] = "续冻"
ACTION_OF_TYPE = {text: action for action, text in ORDER_TYPES.items()}
SUBJECT_KINDS = {SubjectKind.PERSON: "个人", SubjectKind.ORGANIZATION: "单位"}
RECEIPT_STATUS = {
    "已接收": "RECEIVED",
    "处理中": "ACKNOWLEDGED",
    "处理成功": "COMPLETED",
    "处理失败": "REJECTED",
}
RANKS = {"首冻": "FIRST", "轮候": "WAITING"}


# -- the file format -----------------------------------------------------------------------------


def encode(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """A GBK CSV file, CRLF line ends; ``None`` is an empty field.

    A character GBK lacks (a rare name character) goes as ``?``: the ID number
    still finds the subject, and a file the bank cannot read helps no one.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode(ENCODING, errors="replace")


def decode(content: bytes, header: Sequence[str]) -> list[dict[str, str]]:
    """The lines of a file with this header, as dicts; ``ValueError`` if it is not one."""
    try:
        text = content.decode(ENCODING)
    except UnicodeDecodeError as exc:
        raise ValueError("not GBK text") from exc
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(c.strip() for c in rows[0]) != tuple(header):
        raise ValueError(f"unexpected header (expected {len(header)} known columns)")
    lines = [r for r in rows[1:] if any(c.strip() for c in r)]
    for number, row in enumerate(lines, start=2):
        if len(row) != len(header):
            raise ValueError(f"line {number} has {len(row)} fields, not {len(header)}")
    return [dict(zip(header, (c.strip() for c in r), strict=True)) for r in lines]


def error_code(content: bytes) -> str:
    """The bank's error code (never its free text, which may quote a file)."""
    try:
        rows = decode(content, ERROR_HEADER)
    except ValueError:
        return "unreadable error"
    return rows[0]["错误代码"] if rows else "unknown error"


def yuan(fen: str) -> Decimal:
    """Fen as the bank writes them (an integer) → yuan."""
    if not fen.lstrip("-").isdigit():
        raise ValueError("malformed amount")
    return (Decimal(int(fen)) / 100).quantize(CENT)


def fen(amount: Decimal) -> int:
    """Yuan → fen; the details models allow no fraction of a fen."""
    return int((amount * 100).to_integral_value())


def day(text: str) -> date | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError as exc:
        raise ValueError("malformed date") from exc


def instant(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=CHINA)
    except ValueError as exc:
        raise ValueError("malformed time") from exc


def _stamp(at: datetime | None) -> str | None:
    return at.astimezone(CHINA).strftime("%Y%m%d%H%M%S") if at else None


# -- reads ---------------------------------------------------------------------------------------


def query_file(subjects: Sequence[Subject]) -> bytes:
    rows = [(s.id_number, s.name, SUBJECT_KINDS[s.kind]) for s in subjects]
    return encode(QUERY_HEADER, rows)


def _mine(row: dict[str, str], bank: str) -> bool:
    return bank in (row["银行代码"], row["开户行"])


def _freeze(row: dict[str, str]) -> Freeze:
    if not row["冻结法院"]:
        raise ValueError("a freeze line without a court")
    return Freeze(
        court=row["冻结法院"],
        case_number=row["冻结案号"] or None,
        amount=yuan(row["冻结金额"]),
        rank=RANKS.get(row["冻结顺位"], row["冻结顺位"] or None),
        expires_on=day(row["冻结到期日"]),
    )


def parse_accounts(
    content: bytes, subjects: Sequence[Subject], bank: str
) -> dict[str, list[BankAccount]]:
    """One list per subject; another holder's account dropped, a holder-less one NAME_ONLY.

    Lines of another bank (a shared front end may answer for several) are not ours.
    """
    by_id = {s.id_number: s for s in subjects}
    answer: dict[str, list[BankAccount]] = {s.id_number: [] for s in subjects}
    accounts: dict[tuple[str, str], dict[str, Any]] = {}  # (asked id, account) → fields
    for row in decode(content, ACCOUNTS_HEADER):
        subject = by_id.get(row["查询证件号码"])
        if subject is None or not _mine(row, bank):
            continue  # an answer about someone we did not ask for: not ours to show
        key = (subject.id_number, row["账号"])
        if row["记录类型"] == "A":
            kind = match_kind(subject, row["证件号码"] or None, row["户名"])
            if kind is None or key in accounts:
                accounts.setdefault(key, {"drop": True})
                continue
            accounts[key] = {
                "subject": subject.id_number,
                "bank_name": row["开户行"],
                "account_number": row["账号"],
                "account_type": row["账户类型"] or None,
                "currency": row["币种"] or "CNY",
                "balance": yuan(row["余额"]),
                "frozen": [],
                "opened_on": day(row["开户日期"]),
                "owner_id": row["证件号码"] or None,
                "owner_name": row["户名"],
                "matched_by": kind,
            }
        elif row["记录类型"] == "F":
            known = accounts.get(key)
            if known is None:
                raise ValueError("a freeze line before its account")
            if not known.get("drop"):
                known["frozen"].append(_freeze(row))
        else:
            raise ValueError("unknown line type")
    for fields in accounts.values():
        if fields.get("drop"):
            continue
        subject_id = fields.pop("subject")
        fields["frozen"] = tuple(fields["frozen"])
        answer[subject_id].append(BankAccount(**fields))
    return answer


# -- orders --------------------------------------------------------------------------------------


def _account(value: Any) -> str | None:
    """An account number as the bank keys it: digits only (people type spaces and dashes)."""
    if value in (None, ""):
        return None
    return "".join(c for c in str(value) if c not in " -\t")


def order_file(order: AssistanceOrder) -> bytes:
    details = order.details
    amount = details.get("amount")
    row = (
        ORDER_TYPES[order.action],
        order.request_id,
        order.court,
        order.case_number,
        order.document_number,
        order.subject.id_number,
        order.subject.name,
        SUBJECT_KINDS[order.subject.kind],
        _account(details.get("account")),
        fen(Decimal(str(amount))) if amount not in (None, "") else None,
        _stamp(order.due_at),
    )
    return encode(ORDER_HEADER, [row])


def parse_receipt(content: bytes) -> DispatchReceipt:
    rows = decode(content, RECEIPT_HEADER)
    if len(rows) != 1 or not rows[0]["批次号"]:
        raise ValueError("a receipt names one batch")
    status = RECEIPT_STATUS.get(rows[0]["状态"])
    if status is None:
        raise ValueError("unknown receipt status")
    return DispatchReceipt(agency_ref=rows[0]["批次号"], status=status)


def _order_result(action: str, row: dict[str, str]) -> dict[str, Any] | None:
    """The result in the hub's terms: yuan as strings ("50000.00"), dates ISO."""

    def money(column: str) -> str | None:
        return str(yuan(row[column])) if row[column] else None

    expires = day(row["到期日"])
    rank = RANKS.get(row["冻结顺位"], row["冻结顺位"] or None)
    result: dict[str, Any]
    if action == "FREEZE":
        result = {"rank": rank, "amount": money("金额"), "expires_on": expires}
    elif action == "UNFREEZE":
        result = {"amount": money("金额")}
    elif action == "DEDUCT":
        result = {"amount": money("金额"), "balance": money("余额")}
    elif action == "RENEW_SEAL":
        result = {"rank": rank, "expires_on": expires}
    else:
        result = {"accounts": int(row["账户数"] or 0), "balance": money("余额") or "0.00"}
    if "expires_on" in result:
        result["expires_on"] = expires.isoformat() if expires else None
    if row["账号"] and action != "QUERY":
        result["account"] = row["账号"]
    return result


def _promotion(row: dict[str, str]) -> dict[str, Any]:
    """A waiting freeze the order made effective, keyed as the orders and seals are: the
    ``account`` it is on, whose it is, and its new term (``hub.seals`` reads these)."""
    if row["结果代码"] != PROMOTED or not row["账号"] or not row.get("冻结法院"):
        raise ValueError("a line after the order's is a promotion, with account and court")
    amount = row["金额"]
    expires = day(row["到期日"])
    return {
        "account": row["账号"],
        "court": row["冻结法院"],
        "case_number": row.get("冻结案号") or None,
        "rank": RANKS.get(row["冻结顺位"], "FIRST"),
        "amount": str(yuan(amount)) if amount else None,
        "expires_on": expires.isoformat() if expires else None,
    }


def parse_result(content: bytes, agency_ref: str) -> OrderProgress:
    header = RESULT_HEADER if content_header(content) == RESULT_HEADER else RESULT_HEADER_PLAIN
    rows = decode(content, header)
    if not rows:
        raise ValueError("an order result has the order's line")
    row, *extra = rows
    action = ACTION_OF_TYPE.get(row["业务类型"])
    if action is None:
        raise ValueError("unknown order type")
    done = {"成功": "COMPLETED", "失败": "REJECTED"}.get(row["处理结果"])
    if done is None:
        raise ValueError("unknown outcome")
    result = _order_result(action, row) if done == "COMPLETED" else None
    promoted = [_promotion(r) for r in extra]
    if result is not None and promoted:
        result["promoted"] = promoted
    elif promoted:
        raise ValueError("a failed order promotes nothing")
    return OrderProgress(
        agency_ref=row["批次号"] or agency_ref,
        status=done,
        outcome=row["结果代码"] or ("done" if done == "COMPLETED" else "rejected"),
        result=result,
        at=instant(row["完成时间"]),
        request_id=row["请求编号"] or None,
    )


def content_header(content: bytes) -> tuple[str, ...]:
    """The first line's columns (``()`` if the file has none or is not GBK)."""
    try:
        first = next(csv.reader(io.StringIO(content.decode(ENCODING))), [])
    except (UnicodeDecodeError, csv.Error):
        return ()
    return tuple(c.strip() for c in first)


def parse_pending(content: bytes, agency_ref: str) -> OrderProgress:
    """A 'not yet' answer: the receipt, as it stands."""
    receipt = parse_receipt(content)
    return OrderProgress(agency_ref=receipt.agency_ref or agency_ref, status=receipt.status)
