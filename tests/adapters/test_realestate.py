"""RealEstateAdapter: XML translation (MockTransport) and the registry mock (ASGITransport)."""

from __future__ import annotations

import asyncio
import base64
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from adapters.realestate import RealEstateAdapter, _xml
from adapters.sdk.config import AgencyConfig
from adapters.sdk.connector import RetryPolicy
from adapters.sdk.records import (
    Action,
    AssistanceOrder,
    MatchKind,
    Mortgage,
    Seal,
    Subject,
    SubjectKind,
)
from adapters.sdk.testing import adapter_test_class
from hub.errors import UpstreamRejected, UpstreamUnavailable
from mocks import realestate as mock
from mocks._common import DEV_SECRETS, aclose_app

DEBTOR = Subject("350602198003150015", "陈某某")
NOBODY = Subject("350602197501010010", "张某")
HOUSE = "闽(2019)漳州市不动产权第0012345号"
SHOP = "闽(2020)漳州市不动产权第0023456号"
POLICY = RetryPolicy(max_attempts=3, timeout_s=1.0, deadline_s=5.0).without_waits()

TestRealEstateConformance = adapter_test_class(
    RealEstateAdapter, mock=mock.create_app, known=DEBTOR, config_extra={"registry": "350600"}
)


def config(registry: str | None = "350600", **extra: Any) -> AgencyConfig:
    keys: dict[str, Any] = {"registry": registry} if registry else {}
    return AgencyConfig(
        id="realestate-zhangzhou",
        kind="realestate",
        name="漳州市不动产登记中心",
        base_url="http://registry",
        secret=DEV_SECRETS["realestate"],
        **keys,
        **extra,
    )


def adapter_for(handler: Callable[[httpx.Request], httpx.Response]) -> RealEstateAdapter:
    return RealEstateAdapter(config(), transport=httpx.MockTransport(handler), policy=POLICY)


def xml_response(text: str, status: int = 200) -> httpx.Response:
    body = ('<?xml version="1.0" encoding="UTF-8"?>' + text).encode()
    return httpx.Response(status, content=body, headers={"Content-Type": "application/xml"})


RESPONSE = """
<QueryResponse registry="350600">
  <Result idNumber="350602198003150015" name="陈某某">
    <Property certificate="C-1" ownerId="350602198003150015" ownerName="陈某某"
              address="漳州市芗城区某路1号" area="118.60" usage="住宅">
      <Mortgage creditor="某银行" amount="600000.00" registeredOn="2019-06-10"/>
      <Seal court="闽0603" caseNumber="（2023）闽0603执567号" rank="first"
            sealedOn="2023-03-01" expiresOn="2026-02-28"/>
    </Property>
    <Property certificate="C-2" ownerId="350203198507220034" ownerName="陈某某"
              address="厦门市思明区某路" area="89.50" usage="住宅"/>
    <Property certificate="C-3" ownerName="陈某某" address="莆田市某路" area="102.3"
              usage="住宅"/>
    <Property certificate="C-1" ownerId="350602198003150015" ownerName="陈某某" area="118.60"/>
  </Result>
  <Result idNumber="350602197501010010" name="张某"/>
  <Result idNumber="999999999999999999" name="别人">
    <Property certificate="C-9" ownerId="999999999999999999" ownerName="别人" area="1"/>
  </Result>
</QueryResponse>"""


# -- construction --------------------------------------------------------------------------------


async def test_a_registry_code_is_required() -> None:
    with pytest.raises(ValueError, match="realestate-zhangzhou") as raised:
        RealEstateAdapter(config(registry=None))
    assert "registry" in str(raised.value)


async def test_declares_its_kind() -> None:
    assert RealEstateAdapter.kind == "realestate"
    assert RealEstateAdapter.actions == {"QUERY", "SEAL", "UNSEAL", "RENEW_SEAL", "TRANSFER"}
    assert [c.value for c in RealEstateAdapter.capabilities] == ["real_estate"]
    assert RealEstateAdapter.default_auth == "basic"


# -- reads, unit ---------------------------------------------------------------------------------


async def test_query_is_one_batched_xml_request_with_basic_auth() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return xml_response(RESPONSE)

    adapter = adapter_for(handler)
    try:
        org = Subject("91350200MA2Y00002R", "厦门某贸易有限公司", SubjectKind.ORGANIZATION)
        await adapter.real_estate([DEBTOR, NOBODY, org])
    finally:
        await adapter.aclose()
    (request,) = seen
    assert request.method == "POST" and request.url.path == "/registries/350600/query"
    expected = base64.b64encode(f"hub:{DEV_SECRETS['realestate']}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert request.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    subjects = ET.fromstring(request.content).findall("Subject")
    assert [(s.get("idNumber"), s.get("name"), s.get("kind")) for s in subjects] == [
        (DEBTOR.id_number, "陈某某", "PERSON"),
        (NOBODY.id_number, "张某", "PERSON"),
        ("91350200MA2Y00002R", "厦门某贸易有限公司", "ORGANIZATION"),
    ]


async def test_answer_is_matched_typed_and_one_entry_per_subject() -> None:
    adapter = adapter_for(lambda request: xml_response(RESPONSE))
    try:
        answer = await adapter.real_estate([DEBTOR, NOBODY])
    finally:
        await adapter.aclose()
    assert set(answer) == {DEBTOR.id_number, NOBODY.id_number}  # the stray result is dropped
    assert answer[NOBODY.id_number] == []
    own, ownerless = answer[DEBTOR.id_number]  # C-2 (another ID) dropped, C-1 once
    assert own.certificate_number == "C-1" and own.matched_by is MatchKind.ID_NUMBER
    assert own.area_m2 == Decimal("118.60") and own.registry == "350600"
    assert own.address == "漳州市芗城区某路1号" and own.usage == "住宅"
    assert own.mortgages == (Mortgage("某银行", Decimal("600000.00"), date(2019, 6, 10)),)
    assert own.seals == (
        Seal("闽0603", "（2023）闽0603执567号", "FIRST", date(2023, 3, 1), date(2026, 2, 28)),
    )
    assert ownerless.certificate_number == "C-3" and ownerless.owner_id is None
    assert ownerless.matched_by is MatchKind.NAME_ONLY
    assert ownerless.area_m2 == Decimal("102.3")


async def test_empty_batch_makes_no_call() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no call expected")

    adapter = adapter_for(handler)
    try:
        assert await adapter.real_estate([]) == {}
    finally:
        await adapter.aclose()


@pytest.mark.parametrize(
    "text",
    [
        "<QueryResponse><Result",  # truncated
        "<Error code='X'>no</Error>",  # not the expected document
        '<QueryResponse><Result idNumber="350602198003150015">'
        '<Property certificate="C" ownerId="350602198003150015" area="much"/>'
        "</Result></QueryResponse>",
        '<!DOCTYPE r [<!ENTITY a "a"><!ENTITY b "&a;&a;">]><QueryResponse>&b;</QueryResponse>',
    ],
    ids=["truncated", "wrong-root", "bad-area", "entities"],
)
async def test_unreadable_answers_name_the_agency_not_the_citizen(text: str) -> None:
    adapter = adapter_for(lambda request: xml_response(text))
    try:
        with pytest.raises(UpstreamUnavailable) as raised:
            await adapter.real_estate([DEBTOR])
    finally:
        await adapter.aclose()
    assert raised.value.agency_id == "realestate-zhangzhou"
    message = str(raised.value)
    assert "realestate-zhangzhou" in message
    assert DEBTOR.id_number not in message and DEBTOR.name not in message


# -- orders, unit --------------------------------------------------------------------------------


def seal_order(key: str = "key-1", **details: Any) -> AssistanceOrder:
    return AssistanceOrder(
        request_id="req-1",
        idempotency_key=key,
        action=Action.SEAL,
        case_number="（2024）闽0602执100号",
        court="闽0602",
        subject=DEBTOR,
        document_number="（2024）闽0602执100号之一",
        details=details or {"certificate": HOUSE},
        callback_url="http://hub/callbacks/realestate-zhangzhou",
        due_at=datetime(2024, 6, 1, 8, 0, tzinfo=UTC),
    )


async def test_dispatch_sends_an_xml_order_with_the_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return xml_response('<OrderReceipt reference="RE-000007" status="received"/>', 201)

    adapter = adapter_for(handler)
    try:
        receipt = await adapter.dispatch(seal_order(certificate=HOUSE, share=[1, 2]))
    finally:
        await adapter.aclose()
    assert (receipt.agency_ref, receipt.status) == ("RE-000007", "RECEIVED")
    (request,) = seen
    assert request.url.path == "/registries/350600/orders"
    assert request.headers["Idempotency-Key"] == "key-1"
    root = ET.fromstring(request.content)
    assert root.tag == "Order" and root.get("action") == "SEAL"
    assert root.get("caseNumber") == "（2024）闽0602执100号" and root.get("court") == "闽0602"
    assert root.get("dueAt") == "2024-06-01T08:00:00+00:00"
    assert root.get("callbackUrl") == "http://hub/callbacks/realestate-zhangzhou"
    details = root.find("Details")
    assert details is not None
    assert mock.decode_value(details) == {"certificate": HOUSE, "share": [1, 2]}


async def test_dispatch_refuses_an_undeclared_action() -> None:
    adapter = adapter_for(lambda request: xml_response("<OrderReceipt reference='x'/>"))
    order = AssistanceOrder("r", "k", Action.FREEZE, "c", "闽0602", DEBTOR)
    try:
        with pytest.raises(ValueError, match="FREEZE"):
            await adapter.dispatch(order)
    finally:
        await adapter.aclose()


async def test_lookup_tells_no_order_from_a_wrong_registry() -> None:
    answers = {
        "known": xml_response('<OrderStatus reference="RE-000001" status="acknowledged"/>'),
        "unknown": xml_response('<Error code="NOT_FOUND">no such order</Error>', 404),
        "misconfigured": xml_response('<Error code="UNKNOWN_REGISTRY">no</Error>', 404),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/registries/350600/orders"
        return answers[request.url.params["idempotencyKey"]]

    adapter = adapter_for(handler)
    try:
        found = await adapter.lookup("known")
        assert found is not None and (found.agency_ref, found.status) == (
            "RE-000001",
            "ACKNOWLEDGED",
        )
        assert await adapter.lookup("unknown") is None
        with pytest.raises(UpstreamRejected):
            await adapter.lookup("misconfigured")
    finally:
        await adapter.aclose()


async def test_poll_reads_status_outcome_and_typed_result() -> None:
    status = ET.Element(
        "OrderStatus",
        reference="RE-000002",
        status="completed",
        requestId="req-1",
        idempotencyKey="key-1",
        updatedAt="2024-06-01T08:00:00+00:00",
    )
    ET.SubElement(status, "Outcome").text = "sealed"
    mock.encode_value(ET.SubElement(status, "Result"), {"rank": "WAITING", "years": 3})
    body = ET.tostring(status, encoding="utf-8", xml_declaration=True)

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/registries/350600/orders/RE-000002"
        return httpx.Response(200, content=body)

    adapter = adapter_for(handler)
    try:
        progress = await adapter.poll("RE-000002")
    finally:
        await adapter.aclose()
    assert progress.status == "COMPLETED" and progress.outcome == "sealed"
    assert progress.result == {"rank": "WAITING", "years": 3}
    assert progress.at == datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
    assert (progress.request_id, progress.idempotency_key) == ("req-1", "key-1")


def test_typed_values_round_trip() -> None:
    value = {"a": [1, 2.5, "三", None, True], "b": {"c": False}, "d": "", "e": []}
    element = _xml.encode_value(ET.Element("Details"), value)
    again = ET.fromstring(ET.tostring(element, encoding="utf-8"))
    assert _xml.decode_value(again) == value
    assert mock.decode_value(again) == value  # the registry reads what we write


# -- against the registry mock -------------------------------------------------------------------


@pytest.fixture
async def app() -> AsyncIterator[Starlette]:
    application = mock.create_app()
    yield application
    await aclose_app(application)


@pytest.fixture
async def registries(app: Starlette) -> AsyncIterator[dict[str, RealEstateAdapter]]:
    adapters = {
        code: RealEstateAdapter(config(code), transport=httpx.ASGITransport(app=app), policy=POLICY)
        for code in ("350600", "350200", "350300")
    }
    yield adapters
    await asyncio.gather(*(a.aclose() for a in adapters.values()))


async def test_the_debtor_is_told_apart_from_the_same_name_stranger(
    registries: dict[str, RealEstateAdapter],
) -> None:
    zhangzhou = await registries["350600"].real_estate([DEBTOR, NOBODY])
    assert {h.certificate_number for h in zhangzhou[DEBTOR.id_number]} == {HOUSE, SHOP}
    assert all(h.matched_by is MatchKind.ID_NUMBER for h in zhangzhou[DEBTOR.id_number])
    house = next(h for h in zhangzhou[DEBTOR.id_number] if h.certificate_number == HOUSE)
    assert house.mortgages and house.mortgages[0].amount == Decimal("600000.00")
    assert house.area_m2 == Decimal("118.60")
    assert zhangzhou[NOBODY.id_number] == []

    xiamen = await registries["350200"].real_estate([DEBTOR])
    assert xiamen == {DEBTOR.id_number: []}  # the Xiamen flat is the stranger's

    putian = await registries["350300"].real_estate([DEBTOR])
    (ownerless,) = putian[DEBTOR.id_number]
    assert ownerless.matched_by is MatchKind.NAME_ONLY and ownerless.registry == "350300"


async def test_an_unknown_registry_is_rejected(app: Starlette) -> None:
    adapter = RealEstateAdapter(
        config("999999"), transport=httpx.ASGITransport(app=app), policy=POLICY
    )
    try:
        with pytest.raises(UpstreamRejected):
            await adapter.real_estate([DEBTOR])
    finally:
        await adapter.aclose()


async def test_seal_round_trip_through_the_registry(
    app: Starlette, registries: dict[str, RealEstateAdapter]
) -> None:
    adapter = registries["350600"]
    agency = app.state.agency
    agency.set_faults({"complete_after_ms": 0, "callbacks": False})  # no hub to call back
    receipt = await adapter.dispatch(seal_order("seal-1"))
    again = await adapter.dispatch(seal_order("seal-1"))
    assert again.agency_ref == receipt.agency_ref
    assert (agency.stats["assistance_received"], agency.stats["assistance_duplicates"]) == (1, 1)

    found = await adapter.lookup("seal-1")
    assert found is not None and found.agency_ref == receipt.agency_ref
    assert await adapter.lookup("never-sent") is None

    progress = await adapter.poll(receipt.agency_ref)
    assert progress.status == "COMPLETED" and progress.outcome == "sealed"
    assert progress.result is not None and progress.result["rank"] == "FIRST"
    assert progress.idempotency_key == "seal-1"

    await adapter.urge(receipt.agency_ref, "请尽快办理")
    assert agency.stats["urges"] == 1

    holdings = (await adapter.real_estate([DEBTOR]))[DEBTOR.id_number]
    house = next(h for h in holdings if h.certificate_number == HOUSE)
    assert [(s.court, s.rank) for s in house.seals] == [("闽0602", "FIRST")]
    assert house.seals[0].expires_on == mock._add_years(mock.today(), 3)


async def test_retries_a_failing_registry_search(
    app: Starlette, registries: dict[str, RealEstateAdapter]
) -> None:
    agency = app.state.agency
    agency.set_faults({"down": True})
    with pytest.raises(UpstreamUnavailable) as raised:
        await registries["350600"].real_estate([DEBTOR])
    assert raised.value.attempts == POLICY.max_attempts
    assert agency.stats["requests"] == POLICY.max_attempts
