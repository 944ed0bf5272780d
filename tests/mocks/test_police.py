"""The police mock: bearer auth, persons/vehicles search, orders in its own style."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from mocks import police
from mocks._common import DEV_SECRETS, MockAgency, aclose_app

DEBTOR = "350602198003150015"
NAMESAKE = "350203198507220034"
NOBODY = "350602197501010010"
AUTH = {"Authorization": f"Bearer {DEV_SECRETS['police']}"}


@pytest.fixture
async def app() -> AsyncIterator[Starlette]:
    app = police.create_app()
    yield app
    await aclose_app(app)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pl", headers=AUTH) as c:
        await c.put("/_admin/faults", json={"complete_after_ms": 0})
        yield c


def order_body(action: str, subject: str = DEBTOR, **extra: Any) -> dict[str, Any]:
    return {
        "request_no": "req-1",
        "type": action,
        "case_no": "（2023）闽0602执1234号",
        "court": "闽0602",
        "target": {"id_number": subject, "name": "陈某某", "kind": "PERSON"},
        **extra,
    }


async def run_order(client: httpx.AsyncClient, key: str, body: dict[str, Any]) -> dict[str, Any]:
    receipt = await client.post("/api/v1/assistance", json=body, headers={"Idempotency-Key": key})
    assert receipt.status_code == 201, receipt.text
    assert receipt.json()["status"] == "received"
    ref = receipt.json()["reference"]
    progress: dict[str, Any] = (await client.get(f"/api/v1/assistance/{ref}")).json()
    return progress


async def test_auth_required(client: httpx.AsyncClient) -> None:
    bad = await client.post(
        "/api/v1/persons/search", json={"id_numbers": []}, headers={"Authorization": "Bearer x"}
    )
    assert bad.status_code == 401
    for path in ("/api/v1/assistance/PL-000001", "/api/v1/assistance?idempotency_key=k"):
        assert (await client.get(path, headers={"Authorization": ""})).status_code == 401


async def test_secret_is_configurable() -> None:
    app = police.create_app({"persons": []}, secret="other")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pl") as c:
        body = {"id_numbers": []}
        ok = await c.post(
            "/api/v1/persons/search", json=body, headers={"Authorization": "Bearer other"}
        )
        assert ok.status_code == 200
        assert (await c.post("/api/v1/persons/search", json=body, headers=AUTH)).status_code == 401
    await aclose_app(app)


async def test_persons_search_by_exact_id(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/persons/search", json={"id_numbers": [DEBTOR, NOBODY]})
    persons = response.json()["persons"]
    assert [p["id_number"] for p in persons] == [DEBTOR]
    person = persons[0]
    assert person["name"] == "陈某某" and "芗城区" in person["household_address"]
    assert {"date": "2023-08-20", "mode": "rail", "from": "漳州", "to": "厦门"} in person["travel"]


async def test_vehicles_search_with_sightings(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/vehicles/search", json={"owner_ids": [DEBTOR]})
    vehicles = response.json()["vehicles"]
    assert [v["plate"] for v in vehicles] == ["闽E12345"]
    assert any("停车场" in s["place"] for s in vehicles[0]["sightings"])


async def test_search_validation(client: httpx.AsyncClient) -> None:
    too_many = [str(i) for i in range(police.MAX_IDS + 1)]
    assert (
        await client.post("/api/v1/vehicles/search", json={"owner_ids": too_many})
    ).status_code == 400
    assert (
        await client.post("/api/v1/persons/search", json={"id_numbers": "x"})
    ).status_code == 400


async def test_locate_person(client: httpx.AsyncClient) -> None:
    done = await run_order(client, "k1", order_body("LOCATE_PERSON"))
    assert (done["status"], done["outcome"]) == ("completed", "located")
    assert done["result"]["latest_travel"]["date"] == "2023-08-20"
    assert "停车场" in done["result"]["latest_sighting"]["place"]
    assert done["request_no"] == "req-1" and done["type"] == "LOCATE_PERSON"


async def test_locate_unknown_person_is_an_answer(client: httpx.AsyncClient) -> None:
    done = await run_order(client, "k1", order_body("LOCATE_PERSON", NOBODY))
    assert (done["status"], done["outcome"]) == ("completed", "not_found")


async def test_control_vehicle_marks_the_world(client: httpx.AsyncClient, app: Starlette) -> None:
    done = await run_order(client, "k1", order_body("CONTROL_VEHICLE"))
    assert (done["outcome"], done["result"]) == ("controlled", {"controlled": ["闽E12345"]})
    agency: MockAgency = app.state.agency
    car = next(v for v in agency.world["vehicles"] if v["plate"] == "闽E12345")
    assert car["controlled_by"]["court"] == "闽0602"
    other = next(v for v in agency.world["vehicles"] if v["owner_id"] == NAMESAKE)
    assert "controlled_by" not in other


async def test_query_and_detain(client: httpx.AsyncClient) -> None:
    query = await run_order(client, "k1", order_body("QUERY"))
    assert query["outcome"] == "found"
    assert [p["id_number"] for p in query["result"]["persons"]] == [DEBTOR]
    detain = await run_order(client, "k2", order_body("DETAIN"))
    assert detain["outcome"] == "detained"
    rejected = await run_order(client, "k3", order_body("DETAIN", NOBODY))
    assert (rejected["status"], rejected["outcome"]) == ("rejected", "person_not_found")


async def test_duplicate_lookup_urge(client: httpx.AsyncClient) -> None:
    await client.put("/_admin/faults", json={"complete_after_ms": 60000})
    first = await client.post(
        "/api/v1/assistance", json=order_body("QUERY"), headers={"Idempotency-Key": "dup"}
    )
    again = await client.post(
        "/api/v1/assistance", json=order_body("QUERY"), headers={"Idempotency-Key": "dup"}
    )
    assert first.json()["reference"] == again.json()["reference"] == "PL-000001"
    found = await client.get("/api/v1/assistance", params={"idempotency_key": "dup"})
    assert found.json()["reference"] == "PL-000001" and found.json()["status"] == "received"
    urged = await client.post("/api/v1/assistance/PL-000001/urge", json={"note": "急"})
    assert urged.json()["urges"] == 1
    stats = (await client.get("/_admin/stats")).json()
    assert (stats["assistance_received"], stats["assistance_duplicates"], stats["urges"]) == (
        1,
        1,
        1,
    )


async def test_unsupported_action_and_bad_order(client: httpx.AsyncClient) -> None:
    seal = await client.post(
        "/api/v1/assistance", json=order_body("SEAL"), headers={"Idempotency-Key": "a"}
    )
    assert seal.status_code == 400
    body = order_body("QUERY")
    del body["target"]
    missing = await client.post("/api/v1/assistance", json=body, headers={"Idempotency-Key": "b"})
    assert missing.status_code == 400


async def test_openapi_describes_the_api(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    assert {"/api/v1/persons/search", "/api/v1/assistance/{ref}/urge"} <= set(document["paths"])
