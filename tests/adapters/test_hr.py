"""HrAdapter against the HR mock's asynchronous jobs, and odd job answers."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from datetime import date
from decimal import Decimal

import httpx
import pytest
from starlette.applications import Starlette

from adapters.hr import HrAdapter
from adapters.sdk.config import AgencyConfig
from adapters.sdk.connector import RetryPolicy, track_calls
from adapters.sdk.records import Action, AssistanceOrder, Subject, SubjectKind
from adapters.sdk.testing import adapter_test_class
from hub.errors import BadUserInput, UpstreamTimeout, UpstreamUnavailable
from mocks import hr
from mocks._common import DEV_SECRETS, MockAgency, aclose_app

DEBTOR = Subject("350602198003150015", "陈某某")
WORKER = Subject("350206199209090052", "王某")
NOBODY = Subject("350602197501010010", "张某")
FIRM = Subject("91350206MA2Y00003K", "福建某建设工程有限公司", SubjectKind.ORGANIZATION)
CONFIG = AgencyConfig(
    id="hr-test",
    kind="hr",
    name="福建省人力资源和社会保障厅",
    base_url="http://hr.test",
    secret=DEV_SECRETS["hr"],
)
POLICY = RetryPolicy(max_attempts=3, timeout_s=1.0, deadline_s=3.0).without_waits()


TestHrAdapterConformance = adapter_test_class(HrAdapter, mock=hr.create_app, known=DEBTOR)


@pytest.fixture
async def app() -> AsyncIterator[Starlette]:
    app = hr.create_app(job_delay_ms=20)
    app.state.agency.set_faults({"complete_after_ms": 0})
    yield app
    await aclose_app(app)


@pytest.fixture
async def adapter(app: Starlette) -> AsyncIterator[HrAdapter]:
    adapter = HrAdapter(CONFIG, transport=httpx.ASGITransport(app=app), policy=POLICY)
    yield adapter
    await adapter.aclose()


def agency_of(app: Starlette) -> MockAgency:
    agency: MockAgency = app.state.agency
    return agency


async def test_employment_through_a_job(adapter: HrAdapter, app: Starlette) -> None:
    found = await adapter.employment([DEBTOR, WORKER, NOBODY])
    assert found[NOBODY.id_number] == []
    [job] = found[DEBTOR.id_number]
    assert job.employer_code == "91350602MA2Y00004H"
    assert job.monthly_base == Decimal("6000.00")
    assert (job.since, job.until) == (date(2020, 1, 1), None)
    assert found[WORKER.id_number][0].employer_name == "福建某建设工程有限公司"
    polls = agency_of(app).by_path
    assert polls["/jobs"] == 1 and polls["/jobs/JOB-000001"] >= 1


async def test_wage_arrears_by_credit_code(adapter: HrAdapter) -> None:
    found = await adapter.wage_arrears([FIRM, DEBTOR])
    assert found[DEBTOR.id_number] == []
    [case] = found[FIRM.id_number]
    assert (case.workers, case.amount, case.status) == (12, Decimal("150000.00"), "open")


async def test_wage_assist_order(adapter: HrAdapter, app: Starlette) -> None:
    order = AssistanceOrder(
        request_id="req-7",
        idempotency_key="wage-1",
        action=Action.WAGE_ASSIST,
        case_number="（2023）闽0206执88号",
        court="闽0206",
        subject=FIRM,
        details={"note": "12名工人欠薪"},
    )
    receipt = await adapter.dispatch(order)
    assert (await adapter.dispatch(order)).agency_ref == receipt.agency_ref == "HR-000001"
    assert agency_of(app).stats["assistance_duplicates"] == 1
    found = await adapter.lookup("wage-1")
    assert found is not None and found.agency_ref == receipt.agency_ref
    assert await adapter.lookup("other") is None
    progress = await adapter.poll(receipt.agency_ref)
    assert (progress.status, progress.outcome) == ("COMPLETED", "mediating")
    assert progress.request_id == "req-7"
    after = await adapter.wage_arrears([FIRM])
    assert after[FIRM.id_number][0].status == "mediating"
    await adapter.urge(receipt.agency_ref, None)
    assert agency_of(app).stats["urges"] == 1
    with pytest.raises(BadUserInput):
        await adapter.dispatch(AssistanceOrder(**{**order.__dict__, "action": Action.DETAIN}))


async def test_submission_and_polls_are_retried_on_503(app: Starlette) -> None:
    policy = RetryPolicy(max_attempts=6, breaker_min_calls=1000, deadline_s=5.0).without_waits()
    adapter = HrAdapter(CONFIG, transport=httpx.ASGITransport(app=app), policy=policy)
    agency_of(app).set_faults({"error_rate": 0.5, "seed": 3})
    try:
        with track_calls() as stats:
            for _ in range(3):
                found = await adapter.employment([DEBTOR])
                assert len(found[DEBTOR.id_number]) == 1
        assert stats.failures > 0 and stats.attempts > stats.calls
    finally:
        await adapter.aclose()


def fake_adapter(
    handler: Callable[[httpx.Request], httpx.Response], policy: RetryPolicy = POLICY
) -> HrAdapter:
    return HrAdapter(CONFIG, transport=httpx.MockTransport(handler), policy=policy)


async def test_failed_job_is_upstream_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(202, json={"job_id": "J1", "status": "queued"})
        return httpx.Response(200, json={"job_id": "J1", "status": "failed"})

    adapter = fake_adapter(handler)
    try:
        with pytest.raises(UpstreamUnavailable, match="hr-test: employment job failed"):
            await adapter.employment([DEBTOR])
    finally:
        await adapter.aclose()


async def test_a_job_that_never_finishes_times_out_at_the_deadline() -> None:
    polls = itertools.count()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(
                202, json={"job_id": "J1", "status": "queued"}, headers={"Location": "/jobs/J1"}
            )
        next(polls)
        return httpx.Response(200, json={"job_id": "J1", "status": "running"})

    adapter = fake_adapter(handler, RetryPolicy(timeout_s=0.05, deadline_s=0.1).without_waits())
    try:
        with pytest.raises(UpstreamTimeout) as caught:
            await adapter.wage_arrears([FIRM])
        assert FIRM.id_number not in str(caught.value)
        assert next(polls) >= 2, "it polled more than once before giving up"
    finally:
        await adapter.aclose()


async def test_records_of_other_people_are_dropped() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(202, json={"job_id": "J1", "status": "queued"})
        records = [
            {"person_id": WORKER.id_number, "employer_code": "c", "monthly_base": "1.00"},
            {
                "person_id": DEBTOR.id_number,
                "employer_code": "c2",
                "employer_name": "某公司",
                "monthly_base": "5200.5",
                "from": "2018-03-15",
                "to": "2021-06",
            },
        ]
        return httpx.Response(200, json={"status": "done", "result": {"records": records}})

    adapter = fake_adapter(handler)
    try:
        found = await adapter.employment([DEBTOR])
        [job] = found[DEBTOR.id_number]
        assert job.employer_code == "c2" and job.monthly_base == Decimal("5200.50")
        assert (job.since, job.until) == (date(2018, 3, 15), date(2021, 6, 1))
    finally:
        await adapter.aclose()


async def test_bad_money_is_an_upstream_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(202, json={"job_id": "J1"})
        cases = [{"employer_code": FIRM.id_number, "workers": 3, "amount": "lots"}]
        return httpx.Response(200, json={"status": "done", "result": {"cases": cases}})

    adapter = fake_adapter(handler)
    try:
        with pytest.raises(UpstreamUnavailable, match="amount"):
            await adapter.wage_arrears([FIRM])
    finally:
        await adapter.aclose()
