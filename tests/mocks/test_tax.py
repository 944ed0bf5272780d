"""The mock tax bureau: signed JSON, page tokens, rate limiting, orders."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Generator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from mocks import tax
from mocks._common import DEV_SECRETS, aclose_app, sign_hmac

SECRET = DEV_SECRETS["tax"]
DEBTOR = "350602198003150015"
ALIMONY = "350302198806110029"
FIRM = "91350206MA2Y00003K"
NOBODY = "350602197501010010"


class TaxSignature(httpx.Auth):
    """Signs as the bureau expects; ``skew_s`` makes stale stamps, ``secret`` bad signatures."""

    requires_request_body = True

    def __init__(self, secret: str = SECRET, skew_s: int = 0) -> None:
        self.secret = secret
        self.skew_s = skew_s

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        stamp = str(int(time.time()) - self.skew_s)
        request.headers["X-Tax-Timestamp"] = stamp
        request.headers["X-Tax-Signature"] = sign_hmac(
            self.secret, stamp, request.method, request.url.path, request.content
        )
        yield request


@pytest.fixture
async def app() -> AsyncIterator[Starlette]:
    application = tax.create_app()
    yield application
    await aclose_app(application)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock", auth=TaxSignature()
    ) as c:
        yield c


async def all_pages(client: httpx.AsyncClient, params: dict[str, Any]) -> list[list[Any]]:
    pages: list[list[Any]] = []
    for _ in range(20):
        response = await client.get("/v2/taxpayers/records", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        if body["next_page_token"] is None:
            return pages
        params = {**params, "page_token": body["next_page_token"]}
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize(
    "auth",
    [None, TaxSignature(secret="wrong"), TaxSignature(skew_s=301)],
    ids=["unsigned", "bad-signature", "stale"],
)
async def test_refuses_unsigned_calls(app: Starlette, auth: httpx.Auth | None) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock", auth=auth
    ) as c:
        response = await c.get("/v2/taxpayers/records", params={"taxpayer_id": DEBTOR})
        assert response.status_code == 401
        orders = await c.post("/v2/assistance", json={}, headers={"Idempotency-Key": "k"})
        assert orders.status_code == 401


async def test_pages_of_two_by_default_until_the_end(client: httpx.AsyncClient) -> None:
    pages = await all_pages(client, {"taxpayer_id": f"{DEBTOR},{ALIMONY},{FIRM},{NOBODY}"})
    assert [len(p) for p in pages] == [2, 2, 1]
    items = [item for page in pages for item in page]
    assert [(i["taxpayer_id"], i["year"]) for i in items] == [
        (DEBTOR, 2022),
        (DEBTOR, 2023),
        (ALIMONY, 2022),
        (ALIMONY, 2023),
        (FIRM, 2023),
    ]
    assert items[3]["income"] == "66000.00" and items[3]["arrears"] == "1200.00"
    assert all(isinstance(i["income"], str) for i in items)  # money is never a float


async def test_page_size_is_honoured(client: httpx.AsyncClient) -> None:
    pages = await all_pages(client, {"taxpayer_id": f"{DEBTOR},{ALIMONY}", "page_size": 3})
    assert [len(p) for p in pages] == [3, 1]


async def test_unknown_taxpayer_is_an_empty_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2/taxpayers/records", params={"taxpayer_id": NOBODY})
    assert response.json() == {"items": [], "next_page_token": None}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"taxpayer_id": DEBTOR, "page_size": 0},
        {"taxpayer_id": DEBTOR, "page_size": 101},
        {"taxpayer_id": DEBTOR, "page_token": "garbage!"},
        {"taxpayer_id": ",".join([DEBTOR] * 101)},
    ],
)
async def test_bad_parameters_are_400(client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    response = await client.get("/v2/taxpayers/records", params=params)
    assert response.status_code == 400


async def test_a_token_only_works_for_its_own_query(client: httpx.AsyncClient) -> None:
    first = await client.get("/v2/taxpayers/records", params={"taxpayer_id": f"{DEBTOR},{ALIMONY}"})
    token = first.json()["next_page_token"]
    assert token
    replayed = await client.get(
        "/v2/taxpayers/records", params={"taxpayer_id": ALIMONY, "page_token": token}
    )
    assert replayed.status_code == 400


async def test_rate_limit_answers_429_with_retry_after(client: httpx.AsyncClient) -> None:
    await client.put("/_admin/faults", json={"rate_limit_per_s": 2})
    statuses = []
    for _ in range(3):
        response = await client.get("/v2/taxpayers/records", params={"taxpayer_id": DEBTOR})
        statuses.append(response.status_code)
    assert statuses[:2] == [200, 200]
    assert statuses[2] == 429 and response.headers["Retry-After"] == "1"


def order(action: str, subject: str = ALIMONY, **details: Any) -> dict[str, Any]:
    return {
        "request_id": "r-1",
        "action": action,
        "case_number": "（2024）闽0302执88号",
        "court": "闽0302",
        "document_number": "（2024）闽0302执88号之一",
        "subject": {"id_number": subject, "name": "林某", "kind": "PERSON"},
        "details": details,
        "callback_url": None,
        "due_at": None,
    }


async def place(client: httpx.AsyncClient, key: str, body: dict[str, Any]) -> dict[str, Any]:
    await client.put("/_admin/faults", json={"complete_after_ms": 0})
    response = await client.post("/v2/assistance", json=body, headers={"Idempotency-Key": key})
    assert response.status_code == 201, response.text
    ref = response.json()["reference"]
    status = await client.get(f"/v2/assistance/{ref}")
    assert status.status_code == 200
    document: dict[str, Any] = status.json()
    return document


async def test_tax_assist_assesses_a_sale_in_strings(client: httpx.AsyncClient) -> None:
    done = await place(client, "t-1", order("TAX_ASSIST", certificate="闽(2021)X", price="1050000"))
    assert done["status"] == "completed" and done["outcome"] == "assessed"
    assert done["result"] == {
        "certificate": "闽(2021)X",
        "price": "1050000.00",
        "value_added_tax": "50000.00",
        "surcharges": "6000.00",
        "income_tax": "10500.00",
        "arrears": "1200.00",
        "total_due": "67700.00",
    }


async def test_tax_assist_without_a_price_is_rejected(client: httpx.AsyncClient) -> None:
    done = await place(client, "t-2", order("TAX_ASSIST", certificate="闽(2021)X"))
    assert done["status"] == "rejected" and done["outcome"] == "price_required"


async def test_query_order_returns_the_profile(client: httpx.AsyncClient) -> None:
    done = await place(client, "q-1", order("QUERY"))
    assert done["outcome"] == "found"
    assert done["result"]["arrears"] == "1200.00"
    assert [r["year"] for r in done["result"]["records"]] == [2022, 2023]
    nobody = await place(client, "q-2", order("QUERY", subject=NOBODY))
    assert nobody["outcome"] == "not_found" and nobody["result"]["records"] == []


async def test_orders_are_idempotent_and_found_by_key(client: httpx.AsyncClient) -> None:
    body = order("QUERY")
    assert (await client.post("/v2/assistance", json=body)).status_code == 400  # no key
    bad = await client.post("/v2/assistance", json=order("SEAL"), headers={"Idempotency-Key": "x"})
    assert bad.status_code == 400
    first = await client.post("/v2/assistance", json=body, headers={"Idempotency-Key": "k"})
    again = await client.post("/v2/assistance", json=body, headers={"Idempotency-Key": "k"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json() == {"reference": "TX-000001", "status": "received"}
    stats = (await client.get("/_admin/stats")).json()
    assert (stats["assistance_received"], stats["assistance_duplicates"]) == (1, 1)

    found = await client.get("/v2/assistance", params={"idempotency_key": "k"})
    assert found.status_code == 200 and found.json()["reference"] == "TX-000001"
    missing = await client.get("/v2/assistance", params={"idempotency_key": "nope"})
    assert missing.status_code == 404
    assert (await client.get("/v2/assistance/TX-999999")).status_code == 404


async def test_urge(client: httpx.AsyncClient) -> None:
    first = await client.post(
        "/v2/assistance", json=order("QUERY"), headers={"Idempotency-Key": "u"}
    )
    ref = first.json()["reference"]
    urged = await client.post(f"/v2/assistance/{ref}/urge", json={"note": "请尽快"})
    assert urged.json() == {"reference": ref, "urges": 1}
    assert (await client.get("/_admin/stats")).json()["urges"] == 1
    assert (await client.post("/v2/assistance/TX-999999/urge", json={})).status_code == 404


async def test_openapi_describes_the_api(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    assert {
        "/v2/taxpayers/records",
        "/v2/assistance",
        "/v2/assistance/{ref}",
        "/v2/assistance/{ref}/urge",
    } <= set(document["paths"])
