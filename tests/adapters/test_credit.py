"""CreditAdapter against the credit mock (HMAC-signed batches) and odd answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from starlette.applications import Starlette

from adapters.credit import CreditAdapter
from adapters.sdk.config import AgencyConfig
from adapters.sdk.connector import RetryPolicy
from adapters.sdk.records import Action, AssistanceOrder, CreditStatus, Subject
from adapters.sdk.testing import adapter_test_class
from hub.errors import BadUserInput, UpstreamRejected
from mocks import credit
from mocks._common import DEV_SECRETS, MockAgency, aclose_app

DEBTOR = Subject("350602198003150015", "陈某某")
NAMESAKE = Subject("350203198507220034", "陈某某")
CASE = "（2023）闽0602执1234号"
CONFIG = AgencyConfig(
    id="credit-test",
    kind="credit",
    name="福建省公共信用信息中心",
    base_url="http://credit.test",
    secret=DEV_SECRETS["credit"],
)
POLICY = RetryPolicy(max_attempts=3, timeout_s=1.0, deadline_s=3.0).without_waits()


TestCreditAdapterConformance = adapter_test_class(
    CreditAdapter, mock=credit.create_app, known=DEBTOR
)


@pytest.fixture
async def app() -> AsyncIterator[Starlette]:
    app = credit.create_app()
    app.state.agency.set_faults({"complete_after_ms": 0})
    yield app
    await aclose_app(app)


@pytest.fixture
async def adapter(app: Starlette) -> AsyncIterator[CreditAdapter]:
    adapter = CreditAdapter(CONFIG, transport=httpx.ASGITransport(app=app), policy=POLICY)
    yield adapter
    await adapter.aclose()


def agency_of(app: Starlette) -> MockAgency:
    agency: MockAgency = app.state.agency
    return agency


def make_order(
    action: Action, key: str, subject: Subject = NAMESAKE, **details: object
) -> AssistanceOrder:
    return AssistanceOrder(
        request_id=f"req-{key}",
        idempotency_key=key,
        action=action,
        case_number=CASE,
        court="闽0602",
        subject=subject,
        details=dict(details),
    )


async def test_credit_status_per_subject(adapter: CreditAdapter) -> None:
    found = await adapter.credit([DEBTOR, NAMESAKE])
    assert found[NAMESAKE.id_number] == CreditStatus(listed=False)
    status = found[DEBTOR.id_number]
    assert status.listed
    [entry] = status.entries
    assert (entry.list, entry.court, entry.listed_on) == ("DISHONEST", "闽0602", date(2023, 5, 1))
    assert entry.measures == ("CONSUMPTION_RESTRICTION",)


async def test_large_batches_are_split_at_100(app: Starlette) -> None:
    config = CONFIG.model_copy(update={"batch_size": 500})
    adapter = CreditAdapter(config, transport=httpx.ASGITransport(app=app), policy=POLICY)
    subjects = [DEBTOR] + [Subject(f"{n:018d}", "某") for n in range(230)]
    try:
        found = await adapter.credit(subjects)
    finally:
        await adapter.aclose()
    assert len(found) == 231 and found[DEBTOR.id_number].listed
    assert agency_of(app).by_path["/batch/query"] == 3


async def test_list_restrict_delist_round_trip(adapter: CreditAdapter) -> None:
    listed = await adapter.dispatch(make_order(Action.LIST_DISHONEST, "a"))
    assert (await adapter.poll(listed.agency_ref)).outcome == "listed"
    await adapter.dispatch(make_order(Action.RESTRICT_CONSUMPTION, "b"))
    status = (await adapter.credit([NAMESAKE]))[NAMESAKE.id_number]
    assert sorted(e.list for e in status.entries) == ["CONSUMPTION_RESTRICTION", "DISHONEST"]
    restricted = await adapter.lookup("b")
    assert restricted is not None
    assert (await adapter.poll(restricted.agency_ref)).outcome == "restricted"
    delisted = await adapter.dispatch(make_order(Action.DELIST, "c", list="DISHONEST"))
    progress = await adapter.poll(delisted.agency_ref)
    assert (progress.status, progress.outcome) == ("COMPLETED", "delisted")
    after = (await adapter.credit([NAMESAKE]))[NAMESAKE.id_number]
    assert [e.list for e in after.entries] == ["CONSUMPTION_RESTRICTION"]


async def test_idempotent_dispatch_and_lookup(adapter: CreditAdapter, app: Starlette) -> None:
    first = await adapter.dispatch(make_order(Action.QUERY, "q", DEBTOR))
    again = await adapter.dispatch(make_order(Action.QUERY, "q", DEBTOR))
    assert first.agency_ref == again.agency_ref == "CR-000001"
    stats = agency_of(app).stats
    assert (stats["assistance_received"], stats["assistance_duplicates"]) == (1, 1)
    assert await adapter.lookup("nope") is None
    await adapter.urge(first.agency_ref, "请于三日内办理")
    assert stats["urges"] == 1
    with pytest.raises(BadUserInput):
        await adapter.dispatch(make_order(Action.SEAL, "s"))


async def test_orders_go_out_in_the_agency_style(adapter: CreditAdapter, app: Starlette) -> None:
    await adapter.dispatch(make_order(Action.DELIST, "d", DEBTOR))
    order = agency_of(app).orders["CR-000001"]
    assert order.fields["court"] == "闽0602" and order.fields["case_number"] == CASE
    assert order.request_id == "req-d"
    progress = await adapter.poll("CR-000001")
    assert (progress.status, progress.outcome) == ("REJECTED", "not_listed")


async def test_bad_signature_is_rejected() -> None:
    app = credit.create_app(secret="rotated")
    adapter = CreditAdapter(CONFIG, transport=httpx.ASGITransport(app=app), policy=POLICY)
    try:
        with pytest.raises(UpstreamRejected, match="credit-test"):
            await adapter.credit([DEBTOR])
    finally:
        await adapter.aclose()
        await aclose_app(app)


async def test_entries_of_other_subjects_are_dropped() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        asked = json.loads(request.content)["subjects"]
        assert asked == [DEBTOR.id_number]
        entry = {"list": "DISHONEST", "court": "闽0206", "case_number": "x", "listed_on": None}
        results = [
            {"subject_id": NAMESAKE.id_number, "entries": [entry]},
            {"subject_id": DEBTOR.id_number, "entries": []},
        ]
        return httpx.Response(200, json={"results": results})

    adapter = CreditAdapter(CONFIG, transport=httpx.MockTransport(handler), policy=POLICY)
    try:
        assert await adapter.credit([DEBTOR, DEBTOR]) == {
            DEBTOR.id_number: CreditStatus(listed=False)
        }
    finally:
        await adapter.aclose()
