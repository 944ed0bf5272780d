"""The bank kind through the whole hub, over HTTP against the bank's mock (file exchange):
its accounts in the dossier and among the assets, the same-name stranger's never; a FREEZE
without an amount refused when made; FREEZE, DEDUCT and UNFREEZE completed by the real
dispatcher, each read after showing what the bank did."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from mocks.runner import MockCluster
from tests.assistance.loop import DEBTOR, Loop, api_loop, data, error, mocks

ICBC = "bank-icbc-zhangzhou"
ACCOUNT = "6222021408001234567"  # 陈某某's, 85000.00
STRANGERS = "6222021408007654321"  # the other 陈某某's, another ID number

DOSSIER = """query($c: String!, $id: String!) { dossier(caseNumber: $c, idNumber: $id) {
  bankAccounts { bankName accountNumber balance matchedBy frozen { court caseNumber amount rank }
                 agency { id } }
  bankAccountsCount
  assets { kind label estimatedValue matchedBy ... on BankAccount { accountNumber } }
  sources { agency { id } state } } }"""


OFFERS = """query($n: String!) { case(number: $n) {
  funds { received held offers { requestId amount } } } }"""
CONFIRM = "mutation($id: ID!) { confirmReceiptOffer(requestId: $id) { amount source } }"


@pytest.fixture
async def cluster() -> AsyncIterator[MockCluster]:
    async with mocks() as running:
        yield running


async def accounts(loop: Loop) -> dict[str, dict[str, Any]]:
    body = data(await loop.gql(DOSSIER, {"c": loop.number, "id": DEBTOR}))["dossier"]
    return {a["accountNumber"]: a for a in body["bankAccounts"]}


async def order(loop: Loop, action: str, details: dict[str, Any], n: int) -> dict[str, Any]:
    made = await loop.create(
        agencyId=ICBC,
        action=action,
        documentNumber=f"{loop.number}之{n}",
        details=details,
        idempotencyKey=f"bank-{action}-{n}",
    )
    node = data(made)["createAssistanceRequest"]
    return await loop.wait_status(node["id"], {"COMPLETED", "REJECTED", "FAILED"})


async def test_accounts_in_the_dossier_and_assets(database_url: str, cluster: MockCluster) -> None:
    async with api_loop(database_url, cluster) as (loop, _):
        body = data(await loop.gql(DOSSIER, {"c": loop.number, "id": DEBTOR}))["dossier"]
        numbers = {a["accountNumber"] for a in body["bankAccounts"]}
        assert ACCOUNT in numbers and STRANGERS not in numbers
        mine = next(a for a in body["bankAccounts"] if a["accountNumber"] == ACCOUNT)
        assert mine["bankName"] == "中国工商银行漳州分行"
        assert mine["balance"] == "85000.00" and mine["matchedBy"] == "ID_NUMBER"
        assert body["bankAccountsCount"] == len(numbers)
        banked = [a for a in body["assets"] if a["kind"] == "bank"]
        assert {a["accountNumber"] for a in banked} == numbers
        listed = next(a for a in banked if a["accountNumber"] == ACCOUNT)
        assert listed["estimatedValue"] == "85000.00"
        assert listed["label"].startswith("中国工商银行漳州分行 6222")
        assert {"agency": {"id": ICBC}, "state": "OK"} in body["sources"]
        # every kind's assets are there, whatever their type
        assert {a["kind"] for a in body["assets"]} >= {"bank", "realestate", "police"}


async def test_freeze_deduct_unfreeze(database_url: str, cluster: MockCluster) -> None:
    # banks answer by result file, never by callback: the dispatcher polls for it
    async with api_loop(database_url, cluster, poll_after_s=0.2) as (loop, admin):
        refused = await loop.create(
            agencyId=ICBC, action="FREEZE", documentNumber=f"{loop.number}之一",
            details={"account": ACCOUNT},
        )  # fmt: skip
        assert error(refused)["extensions"] == {"code": "BAD_USER_INPUT", "field": "details.amount"}
        assert (await admin.stats("bank"))["assistance_received"] == 0  # nothing was sent

        frozen = await order(loop, "FREEZE", {"account": ACCOUNT, "amount": "50000.00"}, 1)
        assert frozen["status"] == "COMPLETED", frozen
        assert frozen["sealRank"] == "FIRST" and frozen["sealExpiresOn"]
        seen = (await accounts(loop))[ACCOUNT]
        assert seen["frozen"] == [
            {"court": "闽0602", "caseNumber": loop.number, "amount": "50000.00", "rank": "FIRST"}
        ]

        deducted = await order(loop, "DEDUCT", {"account": ACCOUNT, "amount": "30000.00"}, 2)
        assert deducted["status"] == "COMPLETED", deducted
        assert deducted["answer"]["result"]["amount"] == "30000.00"
        assert (await accounts(loop))[ACCOUNT]["balance"] == "55000.00"
        # the deduction offers itself as money received, for the officer to confirm
        offers = data(await loop.gql(OFFERS, {"n": loop.number}))["case"]["funds"]["offers"]
        assert [(o["requestId"], o["amount"]) for o in offers] == [(deducted["id"], "30000.00")]
        data(await loop.gql(CONFIRM, {"id": deducted["id"]}))
        funds = data(await loop.gql(OFFERS, {"n": loop.number}))["case"]["funds"]
        assert (funds["received"], funds["held"], funds["offers"]) == ("30000.00", "30000.00", [])

        lifted = await order(loop, "UNFREEZE", {"account": ACCOUNT}, 3)
        assert lifted["status"] == "COMPLETED", lifted
        assert lifted["unsealsId"] == frozen["id"]  # the freeze it lifted
        after = (await accounts(loop))[ACCOUNT]
        assert after["frozen"] == [] and after["balance"] == "55000.00"
        stats = await admin.stats("bank")
        assert stats["assistance_received"] == 3 and stats["assistance_duplicates"] == 0
