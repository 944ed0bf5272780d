"""The bank kind through the whole hub, over HTTP against the bank's mock (file exchange):
its accounts in the dossier and among the assets, the same-name stranger's never; a FREEZE
without an amount refused when made; FREEZE, DEDUCT and UNFREEZE completed by the real
dispatcher, each read after showing what the bank did; a waiting freeze promoted, learned
from the bank's answer to our own order or, when another court caused it, from a read of
the account."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from hub import seals
from mocks import bank
from mocks._common import DEV_SECRETS, sign_hmac
from mocks.runner import MockCluster
from tests.assistance.loop import DEBTOR, Admin, Loop, api_loop, data, error, file_case, mocks

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


async def order(
    loop: Loop, action: str, details: dict[str, Any], n: int, agency: str = ICBC
) -> dict[str, Any]:
    made = await loop.create(
        agencyId=agency,
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


CIB = "bank-cib-zhangzhou"
TIME_DEPOSIT = "622909116001234518"  # 陈某某's at 兴业银行, first frozen by 闽0603
THEIR_CASE = "（2023）闽0603执567号"
EXPIRING = "query($d: Int!) { expiringSeals(withinDays: $d) { id sealRank sealExpiresOn } }"


def freeze_term() -> str:
    """The last day of a freeze the bank puts in effect today: a year, to the day before."""
    return bank.freeze_term_end(bank.today()).isoformat()


async def expiring(loop: Loop) -> list[str]:
    found = data(await loop.gql(EXPIRING, {"d": 400}))["expiringSeals"]
    return [s["id"] for s in found]


async def test_our_unfreeze_promotes_our_waiting_freeze_at_once(
    database_url: str, cluster: MockCluster
) -> None:
    async with api_loop(database_url, cluster, poll_after_s=0.2) as (loop, _):
        second = await file_case(loop.live, 2)
        first = await order(loop, "FREEZE", {"account": ACCOUNT, "amount": "50000.00"}, 1)
        assert first["sealRank"] == "FIRST"
        waiting = await order(second, "FREEZE", {"account": ACCOUNT, "amount": "20000.00"}, 2)
        assert (waiting["sealRank"], waiting["sealExpiresOn"]) == ("WAITING", None)
        assert await expiring(loop) == [first["id"]]  # a waiting freeze runs no term

        lifted = await order(loop, "UNFREEZE", {"account": ACCOUNT}, 3)
        assert lifted["status"] == "COMPLETED", lifted
        # the bank's answer tells which waiting freeze took effect, as its query would show it
        assert lifted["answer"]["result"]["promoted"] == [
            {
                "account": ACCOUNT,
                "court": "闽0602",
                "case_number": second.number,
                "rank": "FIRST",
                "amount": "20000.00",
                "expires_on": freeze_term(),
            }
        ]
        promoted = await second.get(waiting["id"])
        assert promoted is not None
        assert (promoted["sealRank"], promoted["sealExpiresOn"]) == ("FIRST", freeze_term())
        event = promoted["events"][-1]
        assert event["kind"] == "PROMOTED"
        assert event["note"] == f"在先冻结解除，本案轮候冻结转为正式冻结，期限至 {freeze_term()}"
        # the lifted freeze is done with; the promoted one now runs a term to renew in time
        assert await expiring(loop) == [waiting["id"]]


async def test_a_deduction_of_all_a_freeze_held_promotes_the_next(
    database_url: str, cluster: MockCluster
) -> None:
    async with api_loop(database_url, cluster, poll_after_s=0.2) as (loop, _):
        second = await file_case(loop.live, 2)
        await order(loop, "FREEZE", {"account": ACCOUNT, "amount": "30000.00"}, 1)
        waiting = await order(second, "FREEZE", {"account": ACCOUNT, "amount": "20000.00"}, 2)
        assert waiting["sealRank"] == "WAITING"
        taken = await order(loop, "DEDUCT", {"account": ACCOUNT, "amount": "30000.00"}, 3)
        assert taken["status"] == "COMPLETED", taken
        assert [p["case_number"] for p in taken["answer"]["result"]["promoted"]] == [second.number]
        promoted = await second.get(waiting["id"])
        assert promoted is not None
        assert (promoted["sealRank"], promoted["sealExpiresOn"]) == ("FIRST", freeze_term())


async def their_unfreeze(admin: Admin) -> list[dict[str, str]]:
    """闽0603 lifts its freeze of the time deposit, by its own order file to the bank."""
    path = "/banks/cib-zhangzhou/inbox/KZ-their-unfreeze.csv"
    row = ("解冻", "their-1", "闽0603", THEIR_CASE, "", DEBTOR, "陈某某", "个人", TIME_DEPOSIT)
    content = bank.encode_csv(bank.ORDER_HEADER, [(*row, None, None)])
    stamp = str(int(time.time()))
    signature = sign_hmac(DEV_SECRETS["bank"], stamp, "PUT", path, content)
    headers = {"X-Bank-Timestamp": stamp, "X-Bank-Signature": signature}
    sent = await admin.client.put(
        f"{admin.urls['bank']}{path}",
        content=content,
        headers={**headers, "Idempotency-Key": "their-unfreeze"},
    )
    assert sent.status_code == 202, sent.text
    batch = bank.decode_csv(sent.content, bank.RECEIPT_HEADER)[0]["批次号"]
    outbox = f"/banks/cib-zhangzhou/outbox/{batch}"
    for _ in range(100):
        stamp = str(int(time.time()))
        signature = sign_hmac(DEV_SECRETS["bank"], stamp, "GET", outbox, b"")
        answer = await admin.client.get(
            f"{admin.urls['bank']}{outbox}",
            headers={"X-Bank-Timestamp": stamp, "X-Bank-Signature": signature},
        )
        if answer.status_code == 200:
            return bank.decode_csv(answer.content, bank.RESULT_HEADER)
        await asyncio.sleep(0.05)
    raise AssertionError("the bank never wrote 闽0603's result file")


async def test_a_promotion_another_court_caused_is_learned_from_the_account(
    database_url: str, cluster: MockCluster
) -> None:
    async with api_loop(database_url, cluster, poll_after_s=0.2) as (loop, admin):
        url = f"{admin.urls['bank']}/_admin/world"
        world = (await admin.client.get(url)).json()
        deposit = next(a for a in world["bank_accounts"] if a["account_number"] == TIME_DEPOSIT)
        began = bank.today() - timedelta(days=30)  # 闽0603's first freeze, still in force
        deposit["frozen"][0].update(
            frozen_on=began.isoformat(), expires_on=bank.freeze_term_end(began).isoformat()
        )
        assert (await admin.client.put(url, json=world)).status_code == 200
        waiting = await order(
            loop, "FREEZE", {"account": TIME_DEPOSIT, "amount": "5000.00"}, 1, CIB
        )
        assert (waiting["sealRank"], waiting["sealExpiresOn"]) == ("WAITING", None)
        hub = loop.live.state
        assert await seals.promote_from_snapshots(hub) == 0

        # 闽0603 lifts its freeze: the bank's answer to 闽0603 tells of ours; we are not told
        their_answer = await their_unfreeze(admin)
        assert [(r["结果代码"], r["冻结法院"], r["冻结案号"]) for r in their_answer] == [
            ("unfrozen", "", ""),
            (bank.PROMOTED, "闽0602", loop.number),
        ]
        assert await seals.promote_from_snapshots(hub) == 0  # the hub has not read it yet
        assert waiting["id"] not in await expiring(loop)

        # a read of the account shows our freeze in effect, and the hub learns it from there
        seen = (await accounts(loop))[TIME_DEPOSIT]
        assert seen["frozen"] == [
            {"court": "闽0602", "caseNumber": loop.number, "amount": "5000.00", "rank": "FIRST"}
        ]
        assert await seals.promote_from_snapshots(hub) == 1
        node = await loop.get(waiting["id"])
        assert node is not None
        assert (node["sealRank"], node["sealExpiresOn"]) == ("FIRST", freeze_term())
        assert node["events"][-1]["kind"] == "PROMOTED"
        assert node["events"][-1]["note"] == (
            f"兴业银行漳州分行记载本案轮候冻结已转为正式冻结，期限至 {freeze_term()}"
        )
        assert await expiring(loop) == [waiting["id"]]
        assert await seals.promote_from_snapshots(hub) == 0  # once
