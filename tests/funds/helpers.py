"""Filing cases and moving money over the graph, for the funds tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.support import LiveHub

COURT = "闽0602"
APPLICANT = "91350600MA2Y00001B"
RESPONDENT = "350602198003150015"

FILE = """mutation($input: FileCaseInput!) { fileCase(input: $input) { number } }"""
STATUS = """mutation($n: String!, $s: CaseStatus!, $note: String, $on: Date) {
  updateCaseStatus(number: $n, status: $s, note: $note, effectiveOn: $on) {
    status events { kind note } } }"""
RECEIPT = """mutation($input: RecordReceiptInput!) {
  recordReceipt(input: $input) { id amount receivedOn source dueOn paidOut settledOn } }"""
DISBURSE = """mutation($input: DisburseInput!) {
  disburse(input: $input) { id amount paidOn payeeName payeeAccount } }"""
FUNDS = """query($n: String!) { case(number: $n) { amountRecovered funds {
  received disbursed held
  receipts { id amount receivedOn source paidOut settledOn requestId }
  disbursements { id amount paidOn payeeName payeeAccount }
  offers { requestId amount receivedOn agencyId action } } } }"""


def china_today() -> date:
    return (datetime.now(UTC) + timedelta(hours=8)).date()


def ok(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    ext: dict[str, Any] = body["errors"][0]["extensions"]
    return ext


async def file_case(
    live: LiveHub, token: str, seq: int, filed_on: date, claimed: str = "100000.00"
) -> str:
    number = f"（{filed_on.year}）{COURT}执{seq}号"
    data = {
        "number": number,
        "filedOn": filed_on.isoformat(),
        "cause": "借款合同纠纷",
        "amountClaimed": claimed,
        "parties": [
            {
                "role": "APPLICANT",
                "kind": "ORGANIZATION",
                "name": "漳州市某典当有限责任公司",
                "idNumber": APPLICANT,
            },
            {"role": "RESPONDENT", "kind": "PERSON", "name": "陈某某", "idNumber": RESPONDENT},
        ],
    }
    ok(await live.gql(FILE, {"input": data}, token=token))
    return number


async def status(
    live: LiveHub, token: str, number: str, to: str, on: date | None = None, note: str | None = None
) -> dict[str, Any]:
    variables = {"n": number, "s": to, "note": note, "on": on.isoformat() if on else None}
    return await live.gql(STATUS, variables, token=token)


async def receive(
    live: LiveHub,
    token: str,
    number: str,
    amount: str,
    on: date,
    source: str = "DEBTOR",
    key: str | None = None,
) -> dict[str, Any]:
    variables = {
        "input": {
            "caseNumber": number,
            "amount": amount,
            "receivedOn": on.isoformat(),
            "source": source,
            "idempotencyKey": key,
        }
    }
    return await live.gql(RECEIPT, variables, token=token)


async def pay(
    live: LiveHub,
    token: str,
    number: str,
    amount: str,
    on: date,
    key: str | None = None,
    payee: str = "漳州市某典当有限责任公司",
) -> dict[str, Any]:
    variables = {
        "input": {
            "caseNumber": number,
            "amount": amount,
            "paidOn": on.isoformat(),
            "payeeName": payee,
            "payeeAccount": "6222020402012345678",
            "idempotencyKey": key,
        }
    }
    return await live.gql(DISBURSE, variables, token=token)


async def funds(live: LiveHub, token: str, number: str) -> dict[str, Any]:
    case: dict[str, Any] = ok(await live.gql(FUNDS, {"n": number}, token=token))["case"]
    return case
