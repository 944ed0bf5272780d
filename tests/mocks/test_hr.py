"""The HR mock: asynchronous query jobs and orders."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from mocks import hr
from mocks._common import DEV_SECRETS, MockAgency, aclose_app

DEBTOR = "350602198003150015"
FIRM = "91350206MA2Y00003K"
AUTH = {"Authorization": f"Bearer {DEV_SECRETS['hr']}"}


@pytest.fixture
async def app() -> AsyncIterator[Starlette]:
    app = hr.create_app(job_delay_ms=20)
    yield app
    await aclose_app(app)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hr", headers=AUTH) as c:
        await c.put("/_admin/faults", json={"complete_after_ms": 0})
        yield c


async def finished_job(client: httpx.AsyncClient, kind: str, ids: list[str]) -> dict[str, Any]:
    submitted = await client.post("/jobs", json={"type": kind, "subjects": ids})
    assert submitted.status_code == 202
    job_id = submitted.json()["job_id"]
    assert submitted.json()["status"] == "queued"
    assert submitted.headers["location"] == f"/jobs/{job_id}"
    seen = []
    for _ in range(400):
        job: dict[str, Any] = (await client.get(f"/jobs/{job_id}")).json()
        seen.append(job["status"])
        if job["status"] == "done":
            assert seen[0] in ("queued", "running")
            return job
        await asyncio.sleep(0.005)
    raise AssertionError(f"job never finished: {seen[-3:]}")


async def test_employment_job(client: httpx.AsyncClient) -> None:
    job = await finished_job(client, "employment", [DEBTOR, "350602197501010010"])
    records = job["result"]["records"]
    assert [r["person_id"] for r in records] == [DEBTOR]
    assert records[0]["monthly_base"] == "6000.00" and records[0]["to"] is None


async def test_wage_arrears_job(client: httpx.AsyncClient) -> None:
    job = await finished_job(client, "wage_arrears", [FIRM, DEBTOR])
    cases = job["result"]["cases"]
    assert cases == [
        {"employer_code": FIRM, "workers": 12, "amount": "150000.00", "status": "open"}
    ]


async def test_job_errors(client: httpx.AsyncClient) -> None:
    assert (await client.post("/jobs", json={"type": "x", "subjects": []})).status_code == 400
    too_many = {"type": "employment", "subjects": ["1"] * (hr.MAX_SUBJECTS + 1)}
    assert (await client.post("/jobs", json=too_many)).status_code == 400
    assert (await client.get("/jobs/JOB-999")).status_code == 404
    no_auth = await client.post(
        "/jobs", json={"type": "employment", "subjects": []}, headers={"Authorization": ""}
    )
    assert no_auth.status_code == 401


def hr_order(category: str, subject: str, kind: str = "PERSON") -> dict[str, Any]:
    return {
        "reference_no": "req-9",
        "category": category,
        "case": {"number": "（2023）闽0206执88号", "court": "闽0206"},
        "subject": {"id": subject, "name": "某", "type": kind},
    }


async def test_wage_assist_moves_the_case_to_mediation(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    receipt = await client.post(
        "/assistance",
        json=hr_order("WAGE_ASSIST", FIRM, "ORGANIZATION"),
        headers={"Idempotency-Key": "w1"},
    )
    assert receipt.status_code == 202 and receipt.json()["state"] == "received"
    done = (await client.get(f"/assistance/{receipt.json()['ref']}")).json()
    assert (done["state"], done["outcome"]) == ("completed", "mediating")
    agency: MockAgency = app.state.agency
    assert agency.world["wage_arrears"][0]["status"] == "mediating"
    job = await finished_job(client, "wage_arrears", [FIRM])
    assert job["result"]["cases"][0]["status"] == "mediating"


async def test_wage_assist_without_a_case_is_rejected(client: httpx.AsyncClient) -> None:
    receipt = await client.post(
        "/assistance", json=hr_order("WAGE_ASSIST", DEBTOR), headers={"Idempotency-Key": "w"}
    )
    done = (await client.get(f"/assistance/{receipt.json()['ref']}")).json()
    assert (done["state"], done["outcome"]) == ("rejected", "no_wage_arrears_case")


async def test_query_order_and_lookup(client: httpx.AsyncClient) -> None:
    receipt = await client.post(
        "/assistance", json=hr_order("QUERY", DEBTOR), headers={"Idempotency-Key": "q"}
    )
    again = await client.post(
        "/assistance", json=hr_order("QUERY", DEBTOR), headers={"Idempotency-Key": "q"}
    )
    assert again.status_code == 200 and again.json()["ref"] == receipt.json()["ref"]
    found = (await client.get("/assistance", params={"idempotency_key": "q"})).json()
    assert found["outcome"] == "found"
    assert found["result"]["employment"][0]["employer_code"] == "91350602MA2Y00004H"
    urged = await client.post(f"/assistance/{found['ref']}/urge")
    assert urged.json()["urge_count"] == 1


async def test_openapi(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert {"/jobs", "/jobs/{job_id}", "/assistance"} <= set(document["paths"])
