"""The mock registry: XML in its own style, name-or-ID search, seals with rank and expiry."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from mocks import realestate
from mocks._common import DEV_SECRETS, aclose_app, load_world

SECRET = DEV_SECRETS["realestate"]
DEBTOR = ("350602198003150015", "陈某某")
STRANGER = ("350203198507220034", "陈某某")
HOUSE = "闽(2019)漳州市不动产权第0012345号"
SHOP = "闽(2020)漳州市不动产权第0023456号"
XIAMEN_FLAT = "闽(2018)厦门市不动产权第0034567号"
PUTIAN_FLAT = "闽(2016)莆田市不动产权第0045678号"


def world() -> dict[str, Any]:
    """The default world, with the shop's existing seal still in force whatever today is."""
    doc = load_world()
    today = realestate.today()
    for record in doc["real_estate"]:
        if record["certificate"] == SHOP:
            record["seals"] = [
                {
                    "court": "闽0603",
                    "case_number": "（2023）闽0603执567号",
                    "rank": "FIRST",
                    "sealed_on": (today - timedelta(days=100)).isoformat(),
                    "expires_on": (today + timedelta(days=900)).isoformat(),
                },
                {
                    "court": "闽0602",
                    "case_number": "（2020）闽0602执1号",
                    "rank": "FIRST",
                    "sealed_on": "2020-01-02",
                    "expires_on": (today - timedelta(days=1)).isoformat(),  # lapsed
                },
            ]
    return doc


@pytest.fixture
async def app() -> AsyncIterator[Starlette]:
    application = realestate.create_app(world())
    yield application
    await aclose_app(application)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock", auth=("hub", SECRET)
    ) as c:
        yield c


def query_body(*subjects: tuple[str, str]) -> bytes:
    root = ET.Element("QueryRequest")
    for id_number, name in subjects:
        ET.SubElement(root, "Subject", idNumber=id_number, name=name)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def order_body(action: str, case: str = "（2024）闽0602执100号", **details: str) -> bytes:
    root = ET.Element("Order", requestId="r-1", action=action, caseNumber=case, court=case[6:11])
    ET.SubElement(root, "Subject", idNumber=DEBTOR[0], name=DEBTOR[1], kind="PERSON")
    fields = ET.SubElement(root, "Details", type="object")
    for key, value in details.items():
        ET.SubElement(fields, "Field", name=key).text = value
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


async def complete_now(client: httpx.AsyncClient) -> None:
    response = await client.put("/_admin/faults", json={"complete_after_ms": 0})
    assert response.status_code == 200


async def place(
    client: httpx.AsyncClient, key: str, body: bytes, code: str = "350600"
) -> ET.Element:
    """Submit an order that completes at once and return its final <OrderStatus>."""
    response = await client.post(
        f"/registries/{code}/orders", content=body, headers={"Idempotency-Key": key}
    )
    assert response.status_code == 201, response.text
    ref = ET.fromstring(response.content).get("reference")
    status = await client.get(f"/registries/{code}/orders/{ref}")
    assert status.status_code == 200
    return ET.fromstring(status.content)


def result_of(status: ET.Element) -> Any:
    result = status.find("Result")
    assert result is not None
    return realestate.decode_value(result)


async def test_requires_basic_auth(app: Starlette) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as anonymous:
        response = await anonymous.post("/registries/350600/query", content=query_body(DEBTOR))
        assert response.status_code == 401
        assert ET.fromstring(response.content).get("code") == "UNAUTHORIZED"
        wrong = await anonymous.post(
            "/registries/350600/query", content=query_body(DEBTOR), auth=("hub", "nope")
        )
        assert wrong.status_code == 401


async def test_unknown_registry_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/registries/999999/query", content=query_body(DEBTOR))
    assert response.status_code == 404
    assert ET.fromstring(response.content).get("code") == "UNKNOWN_REGISTRY"


async def test_search_by_id_or_name_returns_same_name_owners(client: httpx.AsyncClient) -> None:
    own = await client.post("/registries/350600/query", content=query_body(DEBTOR))
    assert own.status_code == 200
    assert own.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert own.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(own.content)
    assert root.tag == "QueryResponse" and root.get("registry") == "350600"
    (result,) = root.findall("Result")
    assert result.get("idNumber") == DEBTOR[0]
    props = {p.get("certificate"): p for p in result.iter("Property")}
    assert set(props) == {HOUSE, SHOP}
    house = props[HOUSE]
    assert house.get("ownerName") == "陈某某" and house.get("ownerId") == DEBTOR[0]
    assert house.get("area") == "118.60" and house.get("usage") == "住宅"
    mortgage = house.find("Mortgage")
    assert mortgage is not None and mortgage.get("amount") == "600000.00"

    xiamen = ET.fromstring(
        (await client.post("/registries/350200/query", content=query_body(DEBTOR))).content
    )
    (stranger,) = xiamen.iter("Property")  # matched by name: the stranger's flat
    assert stranger.get("certificate") == XIAMEN_FLAT
    assert stranger.get("ownerId") == STRANGER[0]

    putian = ET.fromstring(
        (await client.post("/registries/350300/query", content=query_body(DEBTOR))).content
    )
    (ownerless,) = putian.iter("Property")
    assert ownerless.get("certificate") == PUTIAN_FLAT and ownerless.get("ownerId") is None


async def test_one_result_per_subject_even_when_empty(client: httpx.AsyncClient) -> None:
    nobody = ("350602197501010010", "张某")
    response = await client.post("/registries/350600/query", content=query_body(DEBTOR, nobody))
    results = ET.fromstring(response.content).findall("Result")
    assert [r.get("idNumber") for r in results] == [DEBTOR[0], nobody[0]]
    assert results[1].find("Property") is None


async def test_only_seals_in_force_are_shown(client: httpx.AsyncClient) -> None:
    root = ET.fromstring(
        (await client.post("/registries/350600/query", content=query_body(DEBTOR))).content
    )
    shop = next(p for p in root.iter("Property") if p.get("certificate") == SHOP)
    seals = shop.findall("Seal")
    assert [(s.get("court"), s.get("rank")) for s in seals] == [("闽0603", "first")]


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b"<Other/>",
        b'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b'<QueryRequest><Subject idNumber="&b;" name="x"/></QueryRequest>',
    ],
)
async def test_malformed_or_hostile_xml_is_400(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post("/registries/350600/query", content=body)
    assert response.status_code == 400
    assert ET.fromstring(response.content).get("code") == "MALFORMED"


async def test_too_many_subjects(client: httpx.AsyncClient) -> None:
    subjects = [(f"3506021980031500{i:02d}", "x") for i in range(101)]
    response = await client.post("/registries/350600/query", content=query_body(*subjects))
    assert response.status_code == 400
    assert ET.fromstring(response.content).get("code") == "TOO_MANY_SUBJECTS"


async def test_orders_need_a_key_and_a_duplicate_is_not_recreated(
    client: httpx.AsyncClient,
) -> None:
    body = order_body("QUERY")
    missing = await client.post("/registries/350600/orders", content=body)
    assert missing.status_code == 400
    first = await client.post(
        "/registries/350600/orders", content=body, headers={"Idempotency-Key": "k-1"}
    )
    again = await client.post(
        "/registries/350600/orders", content=body, headers={"Idempotency-Key": "k-1"}
    )
    assert (first.status_code, again.status_code) == (201, 200)
    ref = ET.fromstring(first.content).get("reference")
    assert ref and ref.startswith("RE-")
    assert ET.fromstring(again.content).get("reference") == ref
    stats = (await client.get("/_admin/stats")).json()
    assert (stats["assistance_received"], stats["assistance_duplicates"]) == (1, 1)

    found = await client.get("/registries/350600/orders", params={"idempotencyKey": "k-1"})
    assert found.status_code == 200
    status = ET.fromstring(found.content)
    assert status.get("reference") == ref and status.get("idempotencyKey") == "k-1"
    assert status.get("status") == "received"
    unknown = await client.get("/registries/350600/orders", params={"idempotencyKey": "nope"})
    assert unknown.status_code == 404
    assert ET.fromstring(unknown.content).get("code") == "NOT_FOUND"
    # Each registry is its own system: another registry knows neither the order nor the key.
    assert (await client.get(f"/registries/350200/orders/{ref}")).status_code == 404
    other = await client.get("/registries/350200/orders", params={"idempotencyKey": "k-1"})
    assert other.status_code == 404


async def test_order_without_action_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/registries/350600/orders",
        content=order_body("FREEZE"),
        headers={"Idempotency-Key": "k"},
    )
    assert response.status_code == 400
    assert (await client.get("/_admin/stats")).json()["assistance_received"] == 0


async def test_query_order_answers_own_and_ownerless_records_only(
    client: httpx.AsyncClient,
) -> None:
    await complete_now(client)
    own = await place(client, "q-1", order_body("QUERY"))
    assert own.get("status") == "completed" and own.findtext("Outcome") == "found"
    assert {p["certificate"] for p in result_of(own)["properties"]} == {HOUSE, SHOP}
    stranger = await place(client, "q-2", order_body("QUERY"), code="350200")
    assert stranger.findtext("Outcome") == "not_found"
    assert result_of(stranger) == {"registry": "350200", "properties": []}
    ownerless = await place(client, "q-3", order_body("QUERY"), code="350300")
    (record,) = result_of(ownerless)["properties"]
    assert record["owner_id"] is None and record["area_m2"] == "102.30"


async def test_seal_ranks_first_then_waiting_and_expires_in_three_years(
    client: httpx.AsyncClient,
) -> None:
    await complete_now(client)
    first = await place(client, "s-1", order_body("SEAL", certificate=HOUSE))
    assert first.get("status") == "completed" and first.findtext("Outcome") == "sealed"
    sealed = result_of(first)
    today = realestate.today()
    assert sealed["rank"] == "FIRST" and sealed["certificate"] == HOUSE
    assert sealed["sealed_on"] == today.isoformat()
    assert sealed["expires_on"] == realestate._add_years(today, 3).isoformat()

    second = await place(
        client, "s-2", order_body("SEAL", case="（2024）闽0603执9号", certificate=HOUSE)
    )
    assert result_of(second)["rank"] == "WAITING"
    shop = await place(client, "s-3", order_body("SEAL", certificate=SHOP))
    assert result_of(shop)["rank"] == "WAITING"  # the shop carries another court's seal

    root = ET.fromstring(
        (await client.post("/registries/350600/query", content=query_body(DEBTOR))).content
    )
    house = next(p for p in root.iter("Property") if p.get("certificate") == HOUSE)
    assert [s.get("rank") for s in house.findall("Seal")] == ["first", "waiting"]


async def test_same_seal_twice_is_rejected(client: httpx.AsyncClient) -> None:
    await complete_now(client)
    await place(client, "a", order_body("SEAL", certificate=HOUSE))
    again = await place(client, "b", order_body("SEAL", certificate=HOUSE))
    assert again.get("status") == "rejected" and again.findtext("Outcome") == "already_sealed"


@pytest.mark.parametrize(
    ("details", "code", "outcome"),
    [
        ({}, "350600", "certificate_required"),
        ({"certificate": "闽(1999)无此证第1号"}, "350600", "no_such_property"),
        ({"certificate": XIAMEN_FLAT}, "350200", "owner_mismatch"),  # the stranger's flat
    ],
)
async def test_seal_refusals(
    client: httpx.AsyncClient, details: dict[str, str], code: str, outcome: str
) -> None:
    await complete_now(client)
    status = await place(client, "k", order_body("SEAL", **details), code=code)
    assert status.get("status") == "rejected" and status.findtext("Outcome") == outcome
    stranger = (await client.get("/_admin/world")).json()["real_estate"]
    assert all(not r["seals"] for r in stranger if r["certificate"] == XIAMEN_FLAT)


async def test_unseal_lifts_the_seal_and_promotes_the_waiting_one(
    client: httpx.AsyncClient,
) -> None:
    await complete_now(client)
    await place(client, "s-1", order_body("SEAL", certificate=HOUSE))
    await place(client, "s-2", order_body("SEAL", case="（2024）闽0603执9号", certificate=HOUSE))
    lifted = await place(client, "u-1", order_body("UNSEAL", certificate=HOUSE))
    assert lifted.findtext("Outcome") == "unsealed"
    (released,) = result_of(lifted)["released"]
    assert released == {
        "certificate": HOUSE,
        "court": "闽0602",
        "case_number": "（2024）闽0602执100号",
    }
    records = (await client.get("/_admin/world")).json()["real_estate"]
    (house,) = [r for r in records if r["certificate"] == HOUSE]
    assert [(s["court"], s["rank"]) for s in house["seals"]] == [("闽0603", "FIRST")]

    nothing = await place(client, "u-2", order_body("UNSEAL", certificate=HOUSE))
    assert nothing.get("status") == "rejected" and nothing.findtext("Outcome") == "no_such_seal"


async def test_urge_counts(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/registries/350600/orders", content=order_body("QUERY"), headers={"Idempotency-Key": "u"}
    )
    ref = ET.fromstring(response.content).get("reference")
    urged = await client.post(
        f"/registries/350600/orders/{ref}/urge", content="<Urge>请尽快</Urge>".encode()
    )
    assert urged.status_code == 200 and ET.fromstring(urged.content).get("urges") == "1"
    assert (await client.get("/_admin/stats")).json()["urges"] == 1
    missing = await client.post("/registries/350600/orders/RE-999999/urge", content=b"<Urge/>")
    assert missing.status_code == 404


async def test_callbacks_carry_the_callers_key_and_a_valid_signature(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    received: list[httpx.Request] = []

    def hub(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    app.state.agency.callback_transport = httpx.MockTransport(hub)
    await client.put("/_admin/faults", json={"complete_after_ms": 1})
    root = ET.fromstring(order_body("SEAL", certificate=HOUSE))
    root.set("callbackUrl", "http://hub/callbacks/realestate-zhangzhou")
    response = await client.post(
        "/registries/350600/orders",
        content=ET.tostring(root, encoding="utf-8"),
        headers={"Idempotency-Key": "cb-1"},
    )
    assert response.status_code == 201
    for _ in range(200):  # bounded: the mock's own task delivers them
        if len(received) >= 2:
            break
        await asyncio.sleep(0.01)
    bodies = [json.loads(r.content) for r in received]
    assert [b["status"] for b in bodies] == ["ACKNOWLEDGED", "COMPLETED"]
    assert {b["idempotency_key"] for b in bodies} == {"cb-1"}
    assert bodies[1]["outcome"] == "sealed" and bodies[1]["result"]["rank"] == "FIRST"
    for request in received:
        expected = hmac.new(SECRET.encode(), request.content, hashlib.sha256).hexdigest()
        assert request.headers["x-hub-signature"] == f"sha256={expected}"


async def test_faults_answer_in_xml(client: httpx.AsyncClient) -> None:
    await client.put("/_admin/faults", json={"down": True})
    response = await client.post("/registries/350600/query", content=query_body(DEBTOR))
    assert response.status_code == 503
    assert ET.fromstring(response.content).tag == "Error"


async def test_docs_describe_the_messages(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    for word in ("QueryRequest", "QueryResponse", "OrderReceipt", "OrderStatus", "Idempotency-Key"):
        assert word in response.text


def test_typed_values_round_trip() -> None:
    value = {"a": [1, 2.5, "三", None, True], "b": {"c": False}, "d": ""}
    element = realestate.encode_value(ET.Element("Result"), value)
    again = ET.fromstring(ET.tostring(element, encoding="utf-8"))
    assert realestate.decode_value(again) == value
