"""PoliceAdapter against the police mock (through ASGITransport) and odd answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, datetime

import httpx
import pytest
from starlette.applications import Starlette

from adapters.police import PoliceAdapter
from adapters.sdk.config import AgencyConfig
from adapters.sdk.connector import RetryPolicy
from adapters.sdk.records import (
    Action,
    AssistanceOrder,
    Capability,
    MatchKind,
    Subject,
    SubjectKind,
)
from adapters.sdk.testing import adapter_test_class
from hub.errors import BadUserInput, UpstreamRejected, UpstreamUnavailable
from mocks import police
from mocks._common import DEV_SECRETS, MockAgency, aclose_app

DEBTOR = Subject("350602198003150015", "陈某某")
NAMESAKE = Subject("350203198507220034", "陈某某")
NOBODY = Subject("350602197501010010", "张某")
CONFIG = AgencyConfig(
    id="police-test",
    kind="police",
    name="福建省公安厅",
    base_url="http://police.test",
    secret=DEV_SECRETS["police"],
)
POLICY = RetryPolicy(max_attempts=3, timeout_s=1.0, deadline_s=3.0).without_waits()


TestPoliceAdapterConformance = adapter_test_class(
    PoliceAdapter, mock=police.create_app, known=DEBTOR
)


@pytest.fixture
async def app() -> AsyncIterator[Starlette]:
    app = police.create_app()
    app.state.agency.set_faults({"complete_after_ms": 0})
    yield app
    await aclose_app(app)


@pytest.fixture
async def adapter(app: Starlette) -> AsyncIterator[PoliceAdapter]:
    adapter = PoliceAdapter(CONFIG, transport=httpx.ASGITransport(app=app), policy=POLICY)
    yield adapter
    await adapter.aclose()


def agency_of(app: Starlette) -> MockAgency:
    agency: MockAgency = app.state.agency
    return agency


def make_order(action: Action = Action.LOCATE_PERSON, key: str = "key-1") -> AssistanceOrder:
    return AssistanceOrder(
        request_id="req-1",
        idempotency_key=key,
        action=action,
        case_number="（2023）闽0602执1234号",
        court="闽0602",
        subject=DEBTOR,
        document_number="（2023）闽0602执1234号之一",
        callback_url=None,
        due_at=datetime.fromisoformat("2023-10-01T00:00:00+08:00"),
    )


async def test_vehicles_one_entry_per_subject(adapter: PoliceAdapter) -> None:
    found = await adapter.vehicles([DEBTOR, NAMESAKE, NOBODY])
    assert set(found) == {DEBTOR.id_number, NAMESAKE.id_number, NOBODY.id_number}
    assert [v.plate for v in found[DEBTOR.id_number]] == ["闽E12345"]
    car = found[DEBTOR.id_number][0]
    assert car.matched_by is MatchKind.ID_NUMBER and car.owner_id == DEBTOR.id_number
    assert car.sightings[0].place == "漳州万达广场地下停车场", "newest sighting first"
    assert all(s.at.tzinfo is not None for s in car.sightings)
    assert [v.owner_id for v in found[NAMESAKE.id_number]] == [NAMESAKE.id_number]
    assert found[NOBODY.id_number] == []
    assert await adapter.vehicles([]) == {}


async def test_whereabouts(adapter: PoliceAdapter) -> None:
    found = await adapter.whereabouts([DEBTOR, NOBODY])
    assert found[NOBODY.id_number] is None
    where = found[DEBTOR.id_number]
    assert where is not None and "胜利西路" in (where.residence or "")
    latest = where.travel[0]
    assert (latest.date, latest.origin, latest.destination) == (date(2023, 8, 20), "漳州", "厦门")


async def test_fetch_goes_by_capability(adapter: PoliceAdapter) -> None:
    found = await adapter.fetch(Capability.WHEREABOUTS, [DEBTOR])
    assert found[DEBTOR.id_number] is not None
    with pytest.raises(NotImplementedError, match="real_estate"):
        await adapter.fetch(Capability.REAL_ESTATE, [DEBTOR])


async def test_dispatch_is_idempotent(adapter: PoliceAdapter, app: Starlette) -> None:
    first = await adapter.dispatch(make_order())
    again = await adapter.dispatch(make_order())
    assert first.agency_ref == again.agency_ref == "PL-000001"
    assert first.status == "RECEIVED"
    stats = agency_of(app).stats
    assert (stats["assistance_received"], stats["assistance_duplicates"]) == (1, 1)
    order = agency_of(app).orders["PL-000001"]
    assert order.fields["case_number"] == "（2023）闽0602执1234号"
    assert order.subject["id_number"] == DEBTOR.id_number
    assert order.fields["due_at"] == "2023-10-01T00:00:00+08:00"


async def test_lookup_poll_urge(adapter: PoliceAdapter, app: Starlette) -> None:
    receipt = await adapter.dispatch(make_order())
    assert await adapter.lookup("never-sent") is None
    found = await adapter.lookup("key-1")
    assert found is not None and found.agency_ref == receipt.agency_ref
    progress = await adapter.poll(receipt.agency_ref)
    assert (progress.status, progress.outcome) == ("COMPLETED", "located")
    assert progress.result is not None and progress.result["latest_travel"]["to"] == "厦门"
    assert progress.request_id == "req-1" and progress.idempotency_key == "key-1"
    assert progress.at is not None and progress.at.tzinfo is not None
    await adapter.urge(receipt.agency_ref, "请尽快")
    assert agency_of(app).stats["urges"] == 1
    assert agency_of(app).orders[receipt.agency_ref].notes == ["请尽快"]


async def test_poll_reports_rejection(adapter: PoliceAdapter) -> None:
    order = make_order(Action.DETAIN)
    nobody = AssistanceOrder(**{**order.__dict__, "subject": NOBODY})
    receipt = await adapter.dispatch(nobody)
    progress = await adapter.poll(receipt.agency_ref)
    assert (progress.status, progress.outcome) == ("REJECTED", "person_not_found")


async def test_poll_of_unknown_reference_is_rejected(adapter: PoliceAdapter) -> None:
    with pytest.raises(UpstreamRejected):
        await adapter.poll("PL-999999")


async def test_undeclared_action_is_bad_input(adapter: PoliceAdapter) -> None:
    with pytest.raises(BadUserInput) as caught:
        await adapter.dispatch(make_order(Action.SEAL))
    assert caught.value.field == "action"


async def test_down_agency_errors_name_no_citizen(adapter: PoliceAdapter, app: Starlette) -> None:
    agency_of(app).set_faults({"down": True})
    with pytest.raises(UpstreamUnavailable) as caught:
        await adapter.vehicles([DEBTOR])
    message = str(caught.value)
    assert "police-test" in message
    assert DEBTOR.id_number not in message and DEBTOR.name not in message
    assert caught.value.attempts == 3


async def test_wrong_secret_is_rejected() -> None:
    app = police.create_app(secret="another")
    adapter = PoliceAdapter(CONFIG, transport=httpx.ASGITransport(app=app), policy=POLICY)
    try:
        with pytest.raises(UpstreamRejected, match="401"):
            await adapter.whereabouts([DEBTOR])
    finally:
        await adapter.aclose()
        await aclose_app(app)


def _fake(handler: httpx.MockTransport) -> PoliceAdapter:
    return PoliceAdapter(CONFIG, transport=handler, policy=POLICY)


async def test_records_of_another_id_number_are_dropped() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        vehicles = [
            {"plate": "闽E1", "owner_id": NAMESAKE.id_number, "model": "x", "sightings": []},
            {"plate": "闽E2", "owner_id": DEBTOR.id_number.lower(), "model": "y"},
        ]
        persons = [{"id_number": NAMESAKE.id_number, "name": DEBTOR.name, "travel": []}]
        return httpx.Response(200, json={"vehicles": vehicles, "persons": persons})

    adapter = _fake(httpx.MockTransport(handler))
    try:
        cars = await adapter.vehicles([DEBTOR])
        assert [v.plate for v in cars[DEBTOR.id_number]] == ["闽E2"]
        where = await adapter.whereabouts([DEBTOR])
        assert where == {DEBTOR.id_number: None}, "a namesake's whereabouts are not the debtor's"
    finally:
        await adapter.aclose()


async def test_malformed_answers_are_upstream_errors() -> None:
    answers = iter([httpx.Response(200, text="<html>"), httpx.Response(200, json={"x": 1})])
    adapter = _fake(httpx.MockTransport(lambda request: next(answers)))
    try:
        with pytest.raises(UpstreamUnavailable, match="police-test"):
            await adapter.vehicles([DEBTOR])
        with pytest.raises(UpstreamUnavailable, match="vehicles"):
            await adapter.vehicles([DEBTOR])
    finally:
        await adapter.aclose()


async def test_naive_agency_times_are_read_as_china_time() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)
        assert sent == {"owner_ids": [DEBTOR.id_number]}, "duplicates are asked once"
        sighting = {"at": "2023-08-29T10:00:00", "place": "某停车场"}
        vehicle = {"plate": "闽E3", "owner_id": DEBTOR.id_number, "sightings": [sighting]}
        return httpx.Response(200, json={"vehicles": [vehicle]})

    adapter = _fake(httpx.MockTransport(handler))
    try:
        cars = await adapter.vehicles([DEBTOR, DEBTOR])
        at = cars[DEBTOR.id_number][0].sightings[0].at
        assert at.isoformat() == "2023-08-29T10:00:00+08:00"
    finally:
        await adapter.aclose()


async def test_orders_for_organizations_carry_their_kind(
    adapter: PoliceAdapter, app: Starlette
) -> None:
    firm = Subject("91350206MA2Y00003K", "福建某建设工程有限公司", SubjectKind.ORGANIZATION)
    order = AssistanceOrder(**{**make_order(Action.QUERY).__dict__, "subject": firm})
    receipt = await adapter.dispatch(order)
    assert agency_of(app).orders[receipt.agency_ref].subject["kind"] == "ORGANIZATION"
    assert (await adapter.poll(receipt.agency_ref)).outcome == "not_found"
