"""The dossier over HTTP against the real mocks: every kind at once, same-name safety,
purpose binding, only what is asked for, and the audit trail."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from hub.audit import verify_chain
from hub.models import AuditEntry
from mocks.runner import MockCluster
from tests.dossier.conftest import (
    API_AGENCIES,
    CASE,
    CHEN,
    CHEN_XIAMEN,
    PAWNSHOP,
    Scene,
    case_input,
    open_scene,
)

EVERYTHING = """
  subject { name idNumber role }
  realEstate { certificateNumber address areaM2 usage matchedBy registry
               mortgages { creditor amount registeredOn }
               seals { court caseNumber rank sealedOn expiresOn } agency { id kind } }
  realEstateCount
  vehicles { plate model matchedBy sightings { at place } agency { id } }
  whereabouts { householdAddress residence travel { date mode origin destination } }
  tax { records { year income withholderCode arrears } arrears }
  employment { employerName employerCode monthlyBase since until }
  wageArrears { employerCode workers amount status }
  credit { listed entries { list court caseNumber listedOn measures } }
  sources { agency { id kind channel } state latencyMs attempts fetchedAt message }
"""

XIAMEN_FLAT = "闽(2018)厦门市不动产权第0034567号"
PUTIAN_FLAT = "闽(2016)莆田市不动产权第0045678号"


async def test_dossier_from_all_five_kinds(scene: Scene) -> None:
    # The world's seal has lapsed by now (registries omit lapsed seals): renew it.
    world = copy.deepcopy(scene.cluster.world)
    for record in world["real_estate"]:
        for seal in record["seals"]:
            seal["expires_on"] = "2099-02-28"
    url = f"{scene.cluster.base_urls['realestate']}/_admin/world"
    (await scene.admin.put(url, json=world)).raise_for_status()

    body = await scene.dossier(EVERYTHING)
    assert "errors" not in body, body
    d = body["data"]["dossier"]
    assert d["subject"] == {"name": "陈某某", "idNumber": CHEN, "role": "RESPONDENT"}

    shop = next(h for h in d["realEstate"] if h["certificateNumber"].endswith("0023456号"))
    assert shop["areaM2"] == "45.20" and shop["usage"] == "商业"
    assert shop["agency"] == {"id": "realestate-zhangzhou", "kind": "realestate"}
    [planted] = next(
        r for r in world["real_estate"] if r["certificate"] == shop["certificateNumber"]
    )["seals"]
    assert shop["seals"] == [
        {
            "court": planted["court"],
            "caseNumber": planted["case_number"],
            "rank": planted["rank"],
            "sealedOn": planted["sealed_on"],
            "expiresOn": "2099-02-28",
        }
    ]
    home = next(h for h in d["realEstate"] if h["certificateNumber"].endswith("0012345号"))
    assert home["mortgages"][0]["amount"] == "600000.00"  # money is a Decimal string

    [car] = d["vehicles"]
    assert car["plate"] == "闽E12345" and car["agency"] == {"id": "police-fujian"}
    assert car["sightings"][0] == {
        "at": "2023-08-29T10:00:00+08:00",
        "place": "漳州万达广场地下停车场",
    }
    assert d["whereabouts"]["householdAddress"] == "福建省漳州市芗城区新华南路某巷12号"
    assert d["whereabouts"]["travel"][0] == {
        "date": "2023-08-20",
        "mode": "rail",
        "origin": "漳州",
        "destination": "厦门",
    }
    assert [(r["year"], r["income"]) for r in d["tax"]["records"]] == [
        (2022, "96000.00"),
        (2023, "102000.00"),
    ]
    assert d["tax"]["arrears"] == "0.00"
    assert d["employment"] == [
        {
            "employerName": "漳州市某食品有限公司",
            "employerCode": "91350602MA2Y00004H",
            "monthlyBase": "6000.00",
            "since": "2020-01-01",
            "until": None,
        }
    ]
    assert d["wageArrears"] == []  # a person is nobody's employer of record
    assert d["credit"]["listed"] is True
    assert d["credit"]["entries"][0]["measures"] == ["CONSUMPTION_RESTRICTION"]

    states = {s["agency"]["id"]: s["state"] for s in d["sources"]}
    assert states == {**dict.fromkeys(API_AGENCIES, "OK"), "realestate-zhangpu": "NOT_APPLICABLE"}
    for source in d["sources"]:
        if source["state"] == "OK":
            assert source["attempts"] >= 1 and source["latencyMs"] >= 0
            assert source["fetchedAt"].endswith("+08:00")
        else:
            assert source["agency"]["channel"] == "CONSOLE" and source["attempts"] == 0


async def test_same_name_owner_is_never_the_subject(scene: Scene) -> None:
    body = await scene.dossier(
        "realEstate { certificateNumber matchedBy agency { id } } realEstateCount "
        "sources { agency { id } state }"
    )
    assert "errors" not in body, body
    d = body["data"]["dossier"]
    found = {h["certificateNumber"]: h for h in d["realEstate"]}
    # Xiamen was asked and answered, but its 陈某某 is another person (another ID number).
    assert {"agency": {"id": "realestate-xiamen"}, "state": "OK"} in d["sources"]
    assert XIAMEN_FLAT not in found
    # Putian's record has a name and no ID number: shown, flagged, not counted.
    assert found[PUTIAN_FLAT]["matchedBy"] == "NAME_ONLY"
    assert found[PUTIAN_FLAT]["agency"] == {"id": "realestate-putian"}
    id_matches = [h for h in d["realEstate"] if h["matchedBy"] == "ID_NUMBER"]
    assert len(id_matches) == 2 and d["realEstateCount"] == 2

    # The Xiamen 陈某某, party to another case: his flat, and none of Zhangzhou's.
    other = "（2023）闽0602执1240号"
    await scene.file(case_input(other, ("陈某某", CHEN_XIAMEN)))
    body = await scene.dossier(
        "realEstate { certificateNumber matchedBy } realEstateCount",
        number=other,
        id_number=CHEN_XIAMEN,
    )
    flats = {h["certificateNumber"]: h["matchedBy"] for h in body["data"]["dossier"]["realEstate"]}
    assert flats == {XIAMEN_FLAT: "ID_NUMBER", PUTIAN_FLAT: "NAME_ONLY"}
    assert body["data"]["dossier"]["realEstateCount"] == 1


async def test_party_dossier_and_organizations(scene: Scene) -> None:
    query = """query($n: String!) { case(number: $n) { parties {
        role idNumber dossier { subject { name } credit { listed } employment { employerCode }
                                wageArrears { workers } sources { agency { id } state } } } } }"""
    body = await scene.hub.gql(query, {"n": CASE}, token=scene.officer)
    # the applicant's own property is none of the enforcement's business (§7.4)
    [refused] = body["errors"]
    assert refused["path"] == ["case", "parties", 0, "dossier"]
    assert refused["extensions"]["code"] == "FORBIDDEN"
    pawnshop, chen = body["data"]["case"]["parties"]
    assert pawnshop["idNumber"] == PAWNSHOP and pawnshop["dossier"] is None
    assert chen["dossier"]["credit"]["listed"] is True
    assert chen["dossier"]["employment"][0]["employerCode"] == "91350602MA2Y00004H"

    # an organization as the respondent
    other = "（2023）闽0602执1241号"
    data = case_input(other)
    data["parties"] = [
        {"role": "APPLICANT", "kind": "PERSON", "name": "陈某某", "idNumber": CHEN},
        {**data["parties"][0], "role": "RESPONDENT"},
    ]
    await scene.file(data)
    body = await scene.hub.gql(query, {"n": other}, token=scene.officer)
    company = next(p for p in body["data"]["case"]["parties"] if p["idNumber"] == PAWNSHOP)
    assert company["dossier"]["credit"] == {"listed": False}
    assert company["dossier"]["employment"] == []  # not asked: a company has no employer
    sources = {s["agency"]["id"]: s["state"] for s in company["dossier"]["sources"]}
    assert sources == {"hr-fujian": "OK", "credit-fujian": "OK"}  # hr for its wage arrears


async def test_only_selected_capabilities_are_consulted(scene: Scene) -> None:
    before = await scene.requests()
    body = await scene.dossier("credit { listed } sources { agency { id } state }")
    assert "errors" not in body, body
    assert body["data"]["dossier"]["sources"] == [
        {"agency": {"id": "credit-fujian"}, "state": "OK"}
    ]
    after = await scene.requests()
    assert {k: after[k] - before[k] for k in after} == {
        "police": 0,
        "realestate": 0,
        "tax": 0,
        "hr": 0,
        "credit": 1,
        "bank": 0,
    }

    # A field inside a fragment is selected too; one skipped with @skip is not.
    body = await scene.dossier(
        "... on Dossier { vehicles { plate } } tax @skip(if: true) { arrears } "
        "sources { agency { id } }"
    )
    assert [s["agency"]["id"] for s in body["data"]["dossier"]["sources"]] == ["police-fujian"]
    assert (await scene.requests())["tax"] == after["tax"]

    # A named fragment's fields count; @include decided by a variable is honoured.
    query = (
        "query($c: String!, $i: String!, $tax: Boolean!) {"
        " dossier(caseNumber: $c, idNumber: $i) {"
        " ...Asked tax @include(if: $tax) { arrears } sources { agency { id } } } }"
        " fragment Asked on Dossier { credit { listed } }"
    )
    for tax, expected in ((False, ["credit-fujian"]), (True, ["tax-fujian", "credit-fujian"])):
        body = await scene.hub.gql(query, {"c": CASE, "i": CHEN, "tax": tax}, token=scene.officer)
        assert "errors" not in body, body
        asked = [s["agency"]["id"] for s in body["data"]["dossier"]["sources"]]
        assert sorted(asked) == sorted(expected), tax


async def test_refused_reads_call_no_agency_and_write_nothing(scene: Scene) -> None:
    hub = scene.hub
    tokens = {
        "observer": await hub.token("observer", CASE),
        "other court": await hub.token("court_officer", "闽0603"),
        "agency officer": await hub.token("agency_officer", "credit-fujian"),
        "admin": await hub.token("admin", "*"),
    }
    before = await scene.requests()
    for who, token in tokens.items():
        body = await scene.dossier("credit { listed } realEstate { address }", token=token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", who
        assert body["data"] is None, who
    # The observer reads the case, but its parties' dossiers come back null and FORBIDDEN.
    query = "query($n: String!) { case(number: $n) { number parties { dossier { credit { listed } } } } }"
    body = await hub.gql(query, {"n": CASE}, token=tokens["observer"])
    assert body["data"]["case"]["number"] == CASE
    assert [p["dossier"] for p in body["data"]["case"]["parties"]] == [None, None]
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    assert await scene.requests() == before
    assert await scene.audit("dossier.read") == []
    assert await scene.audit("agency.read") == []


@pytest.mark.parametrize(
    ("number", "id_number", "code", "field"),
    [
        (CASE, CHEN_XIAMEN, "BAD_USER_INPUT", "idNumber"),  # not a party of this case
        ("（2023）闽0602执9999号", CHEN, "NOT_FOUND", None),
        ("not a case number", CHEN, "BAD_USER_INPUT", "caseNumber"),
    ],
)
async def test_subject_must_be_a_party_of_the_case(
    scene: Scene, number: str, id_number: str, code: str, field: str | None
) -> None:
    before = await scene.requests()
    body = await scene.dossier("credit { listed }", number=number, id_number=id_number)
    error = body["errors"][0]
    assert error["extensions"]["code"] == code
    assert error["extensions"].get("field") == field
    assert id_number not in error["message"]  # errors never name the citizen
    assert await scene.requests() == before


async def test_every_read_is_audited(scene: Scene) -> None:
    body = await scene.dossier("credit { listed } realEstate { address } sources { state }")
    assert "errors" not in body, body
    [read] = await scene.audit("dossier.read")
    assert read.purpose == CASE and read.subject == CHEN
    assert read.detail["capabilities"] == ["credit", "real_estate"]
    assert read.detail["sources"] == {
        "realestate-zhangzhou": "OK",
        "realestate-xiamen": "OK",
        "realestate-putian": "OK",
        "realestate-zhangpu": "NOT_APPLICABLE",
        "credit-fujian": "OK",
    }
    exchanges = await scene.audit("agency.read")
    assert sorted(e.target or "" for e in exchanges) == [
        "credit-fujian",
        "realestate-putian",
        "realestate-xiamen",
        "realestate-zhangzhou",
    ]
    for entry in exchanges:
        assert entry.purpose == CASE and entry.subject == CHEN
        assert entry.detail["state"] == "OK" and entry.detail["attempts"] == 1
        assert set(entry.detail) >= {"agency", "capability", "latency_ms"}
    assert (await verify_chain(scene.hub.state.db))[1] is None


async def test_reads_past_the_rate_limit_are_refused(
    database_url: str, cluster: MockCluster
) -> None:
    async with open_scene(database_url, cluster, dossier_reads_per_minute=2) as scene:
        for _ in range(2):
            assert "errors" not in await scene.dossier("credit { listed }")
        before = await scene.requests()
        body = await scene.dossier("credit { listed }")
        error = body["errors"][0]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert 0 < error["extensions"]["retryAfter"] <= 30
        assert await scene.requests() == before
        assert len(await scene.audit("dossier.read")) == 2
        # another officer has a budget of their own
        other = await scene.hub.token("court_officer", "闽0602")
        assert "errors" not in await scene.dossier("credit { listed }", token=other)


def test_money_is_decimal_in_the_service() -> None:
    # The graph's Decimal scalar is a string; the service hands it Decimals, never floats.
    from adapters.sdk.records import TaxProfile, TaxRecord
    from adapters.sdk.standard import Capability

    assert Capability.TAX.merge is not None
    merged = Capability.TAX.merge(
        [
            TaxProfile((TaxRecord(2022, Decimal("1.10"), None),), Decimal("0.10")),
            TaxProfile((TaxRecord(2023, Decimal("2.20"), None),), Decimal("0.20")),
        ]
    )
    assert merged is not None and merged.arrears == Decimal("0.30")
    assert [r.year for r in merged.records] == [2022, 2023]


async def test_the_graphs_read_is_written_in_one_transaction_with_its_audited_reads(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub import read_audit
    from hub.fetcher import DossierFetcher

    flushed: list[str] = []
    real_flush = DossierFetcher._flush
    real_reads = read_audit.flush

    async def fetcher_flush(self: DossierFetcher, done: Any) -> None:
        flushed.append("fetcher")
        await real_flush(self, done)

    async def reads_flush(db: Any, reads: Any) -> None:
        flushed.append("reads")
        await real_reads(db, reads)

    monkeypatch.setattr(DossierFetcher, "_flush", fetcher_flush)
    monkeypatch.setattr(read_audit, "flush", reads_flush)
    body = await scene.dossier("subject { idNumber } credit { listed } vehicles { plate }")
    assert "errors" not in body, body
    assert body["data"]["dossier"]["subject"]["idNumber"] == CHEN
    assert flushed == ["fetcher"]
    async with scene.hub.state.db.session() as session:
        rows = await session.execute(
            select(AuditEntry.action, AuditEntry.subject).where(
                AuditEntry.action.in_(["case.read", "dossier.read", "agency.read"])
            )
        )
        written = sorted((action, subject) for action, subject in rows)
    assert written == [
        ("agency.read", CHEN),
        ("agency.read", CHEN),
        ("case.read", CHEN),  # the full ID number shown
        ("dossier.read", CHEN),
    ]
