"""The default world: the demo cast is there, valid, and tells the stories."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from hub.validation import validate_credit_code, validate_resident_id
from mocks._common import load_world

DEBTOR = "350602198003150015"
NAMESAKE = "350203198507220034"
LIN = "350302198806110029"
NOBODY = "350602197501010010"
FIRM = "91350206MA2Y00003K"


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    return load_world()


def test_every_identifier_is_valid(world: dict[str, Any]) -> None:
    people = {p["id_number"] for p in world["persons"]}
    people |= {"350302199002030044"}  # the applicant 黄某
    holdings = world["real_estate"] + world["vehicles"] + world["bank_accounts"]
    owners = {r["owner_id"] for r in holdings if r["owner_id"]}
    referenced = people | owners | {e["person_id"] for e in world["employment"]}
    referenced |= {t["taxpayer_id"] for t in world["tax"]} | {
        c["subject_id"] for c in world["credit"]
    }
    for value in referenced:
        if value[0].isdigit() and value[:17].isdigit():
            assert validate_resident_id(value) == value
        else:
            assert validate_credit_code(value) == value
    for org in world["organizations"]:
        assert validate_credit_code(org["credit_code"]) == org["credit_code"]


def test_money_is_decimal_text(world: dict[str, Any]) -> None:
    amounts = [t["income"] for t in world["tax"]] + [t["arrears"] for t in world["tax"]]
    amounts += [e["monthly_base"] for e in world["employment"]]
    amounts += [w["amount"] for w in world["wage_arrears"]]
    amounts += [m["amount"] for r in world["real_estate"] for m in r["mortgages"]]
    amounts += [a["balance"] for a in world["bank_accounts"]]
    amounts += [f["amount"] for a in world["bank_accounts"] for f in a["frozen"]]
    for amount in amounts:
        assert isinstance(amount, str) and Decimal(amount) == Decimal(amount).quantize(
            Decimal("0.01")
        )


def test_the_pawn_shop_debtor(world: dict[str, Any]) -> None:
    houses = [r for r in world["real_estate"] if r["owner_id"] == DEBTOR]
    assert {r["registry"] for r in houses} == {"350600"}
    assert any(r["mortgages"] for r in houses), "a house with a bank mortgage"
    sealed = [r for r in houses if r["seals"]]
    assert sealed and sealed[0]["seals"][0]["rank"] == "FIRST"
    assert sealed[0]["seals"][0]["court"] != "闽0602", "sealed first by another court"
    assert date.fromisoformat(sealed[0]["seals"][0]["expires_on"]) > date(2023, 9, 1)
    [car] = [v for v in world["vehicles"] if v["owner_id"] == DEBTOR]
    assert car["plate"] == "闽E12345"
    assert any("停车场" in s["place"] for s in car["sightings"])
    [person] = [p for p in world["persons"] if p["id_number"] == DEBTOR]
    assert {"from": "漳州", "to": "厦门"}.items() <= person["travel"][0].items()
    assert {t["year"] for t in world["tax"] if t["taxpayer_id"] == DEBTOR} == {2022, 2023}
    assert any(e["person_id"] == DEBTOR for e in world["employment"])
    [entry] = [c for c in world["credit"] if c["subject_id"] == DEBTOR]
    assert (entry["list"], entry["court"]) == ("DISHONEST", "闽0602")
    assert entry["measures"] == ["CONSUMPTION_RESTRICTION"]


def test_namesakes_and_the_name_only_record(world: dict[str, Any]) -> None:
    names = {p["id_number"]: p["name"] for p in world["persons"]}
    assert names[DEBTOR] == names[NAMESAKE] == "陈某某"
    [flat] = [r for r in world["real_estate"] if r["owner_id"] == NAMESAKE]
    assert flat["registry"] == "350200"
    [name_only] = [r for r in world["real_estate"] if r["owner_id"] is None]
    assert (name_only["registry"], name_only["owner_name"]) == ("350300", "陈某某")


def test_the_rest_of_the_cast(world: dict[str, Any]) -> None:
    assert any(e["person_id"] == LIN for e in world["employment"])
    assert any(t["taxpayer_id"] == LIN for t in world["tax"])
    [arrears] = world["wage_arrears"]
    assert (arrears["employer_code"], arrears["workers"], arrears["amount"]) == (
        FIRM,
        12,
        "150000.00",
    )
    assert any(
        e["person_id"] == "350206199209090052" and e["employer_code"] == FIRM
        for e in world["employment"]
    )
    assert any(r["registry"] == "350623" for r in world["real_estate"])
    records = [
        record
        for key in (
            "persons",
            "real_estate",
            "vehicles",
            "tax",
            "employment",
            "credit",
            "bank_accounts",
        )
        for record in world[key]
    ]
    assert not any(NOBODY in record.values() for record in records), "张某 has nothing"


def test_the_banks_hold_the_debtor_the_namesake_and_the_firm(world: dict[str, Any]) -> None:
    accounts = world["bank_accounts"]
    keys = {"bank", "account_number", "owner_id", "owner_name", "account_type", "currency"}
    assert all(keys | {"balance", "frozen"} <= set(a) for a in accounts)
    debtors = [a for a in accounts if a["owner_id"] == DEBTOR]
    assert {a["bank"] for a in debtors} == {"中国工商银行漳州分行", "兴业银行漳州分行"}
    # a same-name stranger at the debtor's bank: a search by name finds him too
    [namesake] = [a for a in accounts if a["owner_id"] == NAMESAKE]
    assert (namesake["bank"], namesake["owner_name"]) == ("中国工商银行漳州分行", "陈某某")
    # another court froze one of the debtor's deposits first: a freeze of ours would wait
    [frozen] = [a for a in debtors if a["frozen"]]
    assert [(f["court"], f["rank"]) for f in frozen["frozen"]] == [("闽0603", "FIRST")]
    assert any(a["owner_id"] == FIRM for a in accounts)
    assert len({a["account_number"] for a in accounts}) == len(accounts)
