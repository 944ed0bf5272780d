"""TaxAdapter: pages, grouping, money, 429s (MockTransport) and the tax bureau mock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from adapters.sdk.config import AgencyConfig
from adapters.sdk.connector import RetryPolicy
from adapters.sdk.records import Action, AssistanceOrder, Subject, SubjectKind, TaxRecord
from adapters.sdk.testing import adapter_test_class
from adapters.tax import TaxAdapter
from hub.errors import UpstreamRejected, UpstreamUnavailable
from mocks import tax as mock
from mocks._common import DEV_SECRETS, aclose_app, sign_hmac

DEBTOR = Subject("350602198003150015", "陈某某")
ALIMONY = Subject("350302198806110029", "林某")
FIRM = Subject("91350206MA2Y00003K", "福建某建设工程有限公司", SubjectKind.ORGANIZATION)
NOBODY = Subject("350602197501010010", "张某")
SECRET = DEV_SECRETS["tax"]
POLICY = RetryPolicy(max_attempts=3, timeout_s=1.0, deadline_s=5.0).without_waits()

# One record a page, so the kit's reads really paginate.
TestTaxConformance = adapter_test_class(
    TaxAdapter, mock=mock.create_app, known=DEBTOR, config_extra={"page_size": 1}
)


def config(**extra: Any) -> AgencyConfig:
    return AgencyConfig(
        id="tax-fujian",
        kind="tax",
        name="国家税务总局福建省税务局",
        base_url="http://tax",
        secret=SECRET,
        **extra,
    )


def adapter_for(
    handler: Callable[[httpx.Request], httpx.Response],
    policy: RetryPolicy = POLICY,
    **extra: Any,
) -> TaxAdapter:
    return TaxAdapter(config(**extra), transport=httpx.MockTransport(handler), policy=policy)


def item(taxpayer: str, year: int, income: str, arrears: str = "0.00") -> dict[str, Any]:
    return {
        "taxpayer_id": taxpayer,
        "year": year,
        "income": income,
        "withholder_code": "91350602MA2Y00004H",
        "arrears": arrears,
    }


def paged(pages: list[list[dict[str, Any]]], seen: list[httpx.Request]) -> Any:
    """A handler serving ``pages`` in order, tokens "p1", "p2", ..."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        token = request.url.params.get("page_token")
        index = int(token[1:]) if token else 0
        following = f"p{index + 1}" if index + 1 < len(pages) else None
        return httpx.Response(200, json={"items": pages[index], "next_page_token": following})

    return handler


# -- unit ----------------------------------------------------------------------------------------


async def test_follows_tokens_groups_sorts_and_sums() -> None:
    seen: list[httpx.Request] = []
    pages = [
        [
            item(ALIMONY.id_number, 2023, "66000.00", "1200.00"),
            item(DEBTOR.id_number, 2023, "102000.00"),
        ],
        [
            item(ALIMONY.id_number, 2022, "62400.00", "300.50"),
            item("350000000000000000", 2023, "1"),
        ],
        [item(DEBTOR.id_number.lower(), 2022, "96000")],
    ]
    adapter = adapter_for(paged(pages, seen), page_size=2)
    try:
        answer = await adapter.tax([DEBTOR, ALIMONY, NOBODY])
    finally:
        await adapter.aclose()
    assert len(seen) == 3
    first = seen[0]
    assert first.url.path == "/v2/taxpayers/records"
    assert (
        first.url.params["taxpayer_id"]
        == f"{DEBTOR.id_number},{ALIMONY.id_number},{NOBODY.id_number}"
    )
    assert first.url.params["page_size"] == "2" and "page_token" not in first.url.params
    assert [r.url.params.get("page_token") for r in seen[1:]] == ["p1", "p2"]

    assert set(answer) == {DEBTOR.id_number, ALIMONY.id_number, NOBODY.id_number}
    assert answer[NOBODY.id_number] is None
    alimony = answer[ALIMONY.id_number]
    assert alimony is not None
    assert [r.year for r in alimony.records] == [2022, 2023]
    assert alimony.arrears == Decimal("1500.50")
    debtor = answer[DEBTOR.id_number]
    assert debtor is not None
    assert debtor.records[0] == TaxRecord(2022, Decimal("96000.00"), "91350602MA2Y00004H")
    assert debtor.arrears == Decimal("0.00")


async def test_signs_every_page_with_the_tax_hmac() -> None:
    seen: list[httpx.Request] = []
    adapter = adapter_for(paged([[], []], seen))
    try:
        await adapter.tax([DEBTOR])
    finally:
        await adapter.aclose()
    for request in seen:
        stamp = request.headers["X-Tax-Timestamp"]
        expected = sign_hmac(SECRET, stamp, "GET", request.url.path, b"")
        assert request.headers["X-Tax-Signature"] == expected


async def test_endless_tokens_stop_at_max_pages() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={"items": [], "next_page_token": "again"})

    adapter = adapter_for(handler, max_pages=5)
    try:
        with pytest.raises(UpstreamUnavailable, match="tax-fujian") as raised:
            await adapter.tax([DEBTOR])
    finally:
        await adapter.aclose()
    assert len(calls) == 5
    assert DEBTOR.id_number not in str(raised.value)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"next_page_token": null}',
        json.dumps({"items": [{**item(DEBTOR.id_number, 2023, "1.00"), "income": 1.5}]}).encode(),
        json.dumps(
            {"items": [{**item(DEBTOR.id_number, 2023, "1.00"), "arrears": "lots"}]}
        ).encode(),
        json.dumps({"items": [{"taxpayer_id": DEBTOR.id_number, "income": "1.00"}]}).encode(),
    ],
    ids=["not-json", "no-items", "float-money", "bad-money", "no-year"],
)
async def test_unreadable_answers_are_unavailable_and_anonymous(body: bytes) -> None:
    adapter = adapter_for(lambda request: httpx.Response(200, content=body))
    try:
        with pytest.raises(UpstreamUnavailable) as raised:
            await adapter.tax([DEBTOR])
    finally:
        await adapter.aclose()
    assert raised.value.agency_id == "tax-fujian"
    assert DEBTOR.id_number not in str(raised.value) and DEBTOR.name not in str(raised.value)


async def test_honours_429_retry_after() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "1"}, json={"error": "slow down"}),
            httpx.Response(200, json={"items": [item(DEBTOR.id_number, 2023, "1.00")]}),
        ]
    )
    policy = RetryPolicy(max_attempts=3, timeout_s=1.0, deadline_s=5.0, sleep=sleep)
    adapter = adapter_for(lambda request: next(answers), policy=policy)
    try:
        answer = await adapter.tax([DEBTOR])
    finally:
        await adapter.aclose()
    assert waits == [1.0]
    profile = answer[DEBTOR.id_number]
    assert profile is not None and profile.records[0].income == Decimal("1.00")


def test_page_size_is_checked_at_construction() -> None:
    with pytest.raises(ValueError, match="tax-fujian"):
        TaxAdapter(config(page_size=500))


async def test_dispatch_maps_the_order_to_json() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"reference": "TX-000042", "status": "received"})

    order = AssistanceOrder(
        request_id="req-9",
        idempotency_key="key-9",
        action=Action.TAX_ASSIST,
        case_number="（2024）闽0602执100号",
        court="闽0602",
        subject=DEBTOR,
        document_number="（2024）闽0602执100号之二",
        details={"certificate": "闽(2019)漳州市不动产权第0012345号", "price": "1050000.00"},
        callback_url="http://hub/callbacks/tax-fujian",
        due_at=datetime(2024, 7, 1, tzinfo=UTC),
    )
    adapter = adapter_for(handler)
    try:
        receipt = await adapter.dispatch(order)
    finally:
        await adapter.aclose()
    assert (receipt.agency_ref, receipt.status) == ("TX-000042", "RECEIVED")
    (request,) = seen
    assert request.method == "POST" and request.url.path == "/v2/assistance"
    assert request.headers["Idempotency-Key"] == "key-9"
    assert json.loads(request.content) == {
        "request_id": "req-9",
        "action": "TAX_ASSIST",
        "case_number": "（2024）闽0602执100号",
        "court": "闽0602",
        "document_number": "（2024）闽0602执100号之二",
        "subject": {"id_number": DEBTOR.id_number, "name": "陈某某", "kind": "PERSON"},
        "details": {"certificate": "闽(2019)漳州市不动产权第0012345号", "price": "1050000.00"},
        "callback_url": "http://hub/callbacks/tax-fujian",
        "due_at": "2024-07-01T00:00:00+00:00",
    }


async def test_lookup_404_is_none_and_poll_upper_cases() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/assistance":
            return httpx.Response(404, json={"error": {"code": 404, "message": "no such order"}})
        assert request.url.path == "/v2/assistance/TX-000001"
        return httpx.Response(
            200,
            json={
                "reference": "TX-000001",
                "status": "completed",
                "outcome": "assessed",
                "result": {"total_due": "67700.00"},
                "updated_at": "2024-07-01T08:00:00",
            },
        )

    adapter = adapter_for(handler)
    try:
        assert await adapter.lookup("unknown") is None
        progress = await adapter.poll("TX-000001")
    finally:
        await adapter.aclose()
    assert progress.status == "COMPLETED" and progress.outcome == "assessed"
    assert progress.result == {"total_due": "67700.00"}
    assert progress.at == datetime(2024, 7, 1, 8, 0, tzinfo=UTC)  # no offset given: UTC


# -- against the tax bureau mock -----------------------------------------------------------------


@pytest.fixture
async def app() -> AsyncIterator[Starlette]:
    application = mock.create_app()
    yield application
    await aclose_app(application)


def bureau(app: Starlette, policy: RetryPolicy = POLICY, **extra: Any) -> TaxAdapter:
    return TaxAdapter(config(**extra), transport=httpx.ASGITransport(app=app), policy=policy)


async def test_reads_every_page_of_the_bureau(app: Starlette) -> None:
    adapter = bureau(app, page_size=2)
    try:
        answer = await adapter.tax([DEBTOR, ALIMONY, FIRM, NOBODY])
    finally:
        await adapter.aclose()
    assert app.state.agency.by_path["/v2/taxpayers/records"] == 3  # 5 records, 2 a page
    assert answer[NOBODY.id_number] is None
    alimony = answer[ALIMONY.id_number]
    assert alimony is not None and alimony.arrears == Decimal("1200.00")
    assert [(r.year, r.income) for r in alimony.records] == [
        (2022, Decimal("62400.00")),
        (2023, Decimal("66000.00")),
    ]
    firm = answer[FIRM.id_number]
    assert firm is not None and firm.records[0].withholder_code is None


async def test_rides_out_the_bureau_rate_limit(app: Starlette) -> None:
    agency = app.state.agency
    agency.set_faults({"rate_limit_per_s": 1})
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        # Instead of waiting a real second, the bureau lifts its limit meanwhile.
        waits.append(seconds)
        agency.set_faults({"rate_limit_per_s": None})

    policy = RetryPolicy(max_attempts=3, timeout_s=1.0, deadline_s=5.0, sleep=sleep)
    adapter = bureau(app, policy, page_size=2)
    try:
        answer = await adapter.tax([DEBTOR, ALIMONY])
    finally:
        await adapter.aclose()
    assert waits == [1.0]
    assert agency.stats["requests"] == 3  # page 1, a 429, page 2 again
    assert all(answer[s.id_number] is not None for s in (DEBTOR, ALIMONY))


async def test_a_wrong_secret_is_rejected(app: Starlette) -> None:
    adapter = TaxAdapter(
        config().model_copy(update={"secret": "wrong"}),
        transport=httpx.ASGITransport(app=app),
        policy=POLICY,
    )
    try:
        with pytest.raises(UpstreamRejected):
            await adapter.tax([DEBTOR])
    finally:
        await adapter.aclose()


async def test_tax_assist_round_trip(app: Starlette) -> None:
    agency = app.state.agency
    agency.set_faults({"complete_after_ms": 0})
    order = AssistanceOrder(
        request_id="req-1",
        idempotency_key="assist-1",
        action=Action.TAX_ASSIST,
        case_number="（2024）闽0302执88号",
        court="闽0302",
        subject=ALIMONY,
        details={"certificate": "闽(2021)莆田市不动产权第0056789号", "price": "1050000"},
    )
    adapter = bureau(app)
    try:
        receipt = await adapter.dispatch(order)
        assert (await adapter.dispatch(order)).agency_ref == receipt.agency_ref
        found = await adapter.lookup("assist-1")
        assert found is not None and found.agency_ref == receipt.agency_ref
        assert await adapter.lookup("never-sent") is None
        progress = await adapter.poll(receipt.agency_ref)
        await adapter.urge(receipt.agency_ref, None)
    finally:
        await adapter.aclose()
    assert (agency.stats["assistance_received"], agency.stats["assistance_duplicates"]) == (1, 1)
    assert agency.stats["urges"] == 1
    assert progress.status == "COMPLETED" and progress.outcome == "assessed"
    assert progress.result is not None and progress.result["total_due"] == "67700.00"
    assert progress.idempotency_key == "assist-1"
