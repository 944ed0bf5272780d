"""The credit mock: HMAC-signed batch queries, list / restrict / delist orders."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from mocks import credit
from mocks._common import DEV_SECRETS, aclose_app, sign_hmac

DEBTOR = "350602198003150015"
NAMESAKE = "350203198507220034"
SECRET = DEV_SECRETS["credit"]


def signed(method: str, path: str, body: bytes, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()))
    return {
        "X-Credit-Timestamp": stamp,
        "X-Credit-Signature": sign_hmac(secret, stamp, method, path, body),
        "content-type": "application/json",
    }


@pytest.fixture
async def app() -> AsyncIterator[Starlette]:
    app = credit.create_app()
    yield app
    await aclose_app(app)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cr") as c:
        await c.put("/_admin/faults", json={"complete_after_ms": 0})
        yield c


async def call(
    client: httpx.AsyncClient, method: str, path: str, body: Any = None, **headers: str
) -> httpx.Response:
    raw = json.dumps(body).encode() if body is not None else b""
    all_headers = {**signed(method, path, raw), **headers}
    return await client.request(method, path, content=raw or None, headers=all_headers)


async def entries(client: httpx.AsyncClient, subject: str) -> list[dict[str, Any]]:
    response = await call(client, "POST", "/batch/query", {"subjects": [subject]})
    found: list[dict[str, Any]] = response.json()["results"][0]["entries"]
    return found


async def test_signature_required(client: httpx.AsyncClient) -> None:
    raw = json.dumps({"subjects": [DEBTOR]}).encode()
    unsigned = await client.post("/batch/query", content=raw)
    assert unsigned.status_code == 401
    wrong = await client.post("/batch/query", content=raw, headers=signed("POST", "/x", raw))
    assert wrong.status_code == 401
    other_key = signed("POST", "/batch/query", raw, secret="nope")
    assert (await client.post("/batch/query", content=raw, headers=other_key)).status_code == 401


async def test_batch_query_one_result_per_subject(client: httpx.AsyncClient) -> None:
    response = await call(client, "POST", "/batch/query", {"subjects": [DEBTOR, NAMESAKE]})
    results = response.json()["results"]
    assert [r["subject_id"] for r in results] == [DEBTOR, NAMESAKE]
    assert results[0]["entries"][0]["list"] == "DISHONEST"
    assert results[0]["entries"][0]["measures"] == ["CONSUMPTION_RESTRICTION"]
    assert results[1]["entries"] == []


async def test_batch_limit(client: httpx.AsyncClient) -> None:
    subjects = [f"{i:018d}" for i in range(credit.MAX_SUBJECTS + 1)]
    assert (await call(client, "POST", "/batch/query", {"subjects": subjects})).status_code == 400
    ok = await call(client, "POST", "/batch/query", {"subjects": subjects[:100]})
    assert len(ok.json()["results"]) == 100


def credit_order(order_type: str, subject: str, case_no: str, **params: Any) -> dict[str, Any]:
    return {
        "order_type": order_type,
        "ref_no": "req-3",
        "court_code": "闽0602",
        "case_no": case_no,
        "subject": {"subject_id": subject, "subject_name": "陈某某"},
        "params": params,
    }


async def run(client: httpx.AsyncClient, key: str, body: dict[str, Any]) -> dict[str, Any]:
    receipt = await call(client, "POST", "/orders", body, **{"Idempotency-Key": key})
    assert receipt.status_code == 201, receipt.text
    assert receipt.json()["state"] == "RECEIVED"
    done: dict[str, Any] = (
        await call(client, "GET", f"/orders/{receipt.json()['order_id']}")
    ).json()
    return done


async def test_list_then_delist(client: httpx.AsyncClient) -> None:
    case = "(2023)闽0602执1234号"
    listed = await run(client, "a", credit_order("LIST_DISHONEST", NAMESAKE, case))
    assert (listed["state"], listed["outcome"]) == ("COMPLETED", "listed")
    assert [e["list"] for e in await entries(client, NAMESAKE)] == ["DISHONEST"]
    again = await run(
        client, "b", credit_order("LIST_DISHONEST", NAMESAKE, "（2023）闽0602执1234号")
    )
    assert again["outcome"] == "already_listed"
    restricted = await run(client, "c", credit_order("RESTRICT_CONSUMPTION", NAMESAKE, case))
    assert restricted["outcome"] == "restricted"
    assert restricted["result"]["entry"]["measures"] == ["CONSUMPTION_RESTRICTION"]
    delisted = await run(client, "d", credit_order("DELIST", NAMESAKE, case, list="DISHONEST"))
    assert delisted["outcome"] == "delisted"
    assert [e["list"] for e in await entries(client, NAMESAKE)] == ["CONSUMPTION_RESTRICTION"]


async def test_delist_of_nothing_is_rejected(client: httpx.AsyncClient) -> None:
    done = await run(client, "x", credit_order("DELIST", NAMESAKE, "（2023）闽0602执1号"))
    assert (done["state"], done["outcome"]) == ("REJECTED", "not_listed")


async def test_delist_leaves_the_spending_restriction_in_force(client: httpx.AsyncClient) -> None:
    # 失信 and 限高 are separate decisions: leaving the list does not lift the restriction
    done = await run(client, "x", credit_order("DELIST", DEBTOR, "（2022）闽0602执876号"))
    assert done["outcome"] == "delisted"
    left = await entries(client, DEBTOR)
    assert [(e["list"], e["measures"]) for e in left] == [
        ("CONSUMPTION_RESTRICTION", ["CONSUMPTION_RESTRICTION"])
    ]
    lifted = await run(
        client, "y", credit_order("LIFT_RESTRICTION", DEBTOR, "（2022）闽0602执876号")
    )
    assert lifted["outcome"] == "lifted"
    assert await entries(client, DEBTOR) == []


async def test_lookup_urge_and_duplicate(client: httpx.AsyncClient) -> None:
    body = credit_order("QUERY", DEBTOR, "（2023）闽0602执1234号")
    first = await call(client, "POST", "/orders", body, **{"Idempotency-Key": "q"})
    again = await call(client, "POST", "/orders", body, **{"Idempotency-Key": "q"})
    assert again.status_code == 200 and again.json()["order_id"] == first.json()["order_id"]
    found = await call(client, "GET", "/orders?idempotency_key=q")
    assert found.json()["outcome"] == "listed"
    assert (await call(client, "GET", "/orders?idempotency_key=zz")).status_code == 404
    urged = await call(client, "POST", f"/orders/{first.json()['order_id']}/urge")
    assert urged.json()["urges"] == 1


async def test_openapi(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert {"/batch/query", "/orders", "/orders/{ref}"} <= set(document["paths"])
