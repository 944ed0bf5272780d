"""The conformance kit, run against a small fake agency and adapters good and bad."""

import dataclasses
from collections.abc import Sequence
from functools import partial
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.sdk.base import Adapter
from adapters.sdk.records import (
    Action,
    AssistanceOrder,
    Capability,
    DispatchReceipt,
    OrderProgress,
    Subject,
    Vehicle,
    Whereabouts,
)
from adapters.sdk.testing import (
    AdapterConformance,
    adapter_test_class,
    is_empty,
    open_harness,
    synthetic_subjects,
)
from hub.errors import UpstreamError, UpstreamUnavailable
from mocks._common import MockAgency, Order, OrderOutcome, bearer_ok, build_app, json_error

KNOWN = Subject("350602198003150015", "陈某某")
WORLD: dict[str, Any] = {
    "persons": [
        {"id_number": KNOWN.id_number, "name": KNOWN.name, "residence": "漳州市芗城区某路1号"}
    ]
}


# -- a fake agency: JSON, bearer auth, a search and an order book --------------------------------


def _execute(agency: MockAgency, order: Order) -> OrderOutcome:
    wanted = order.subject.get("id_number")
    people = [p for p in agency.world.get("persons", []) if p["id_number"] == wanted]
    return OrderOutcome("COMPLETED", "found" if people else "not_found", {"persons": people})


async def _search(agency: MockAgency, request: Request) -> Response:
    if not bearer_ok(request, agency.secret):
        return json_error(401, "bad token")
    wanted = set((await request.json()).get("ids", []))
    people = [p for p in agency.world.get("persons", []) if p["id_number"] in wanted]
    return JSONResponse({"people": people})


def _receipt(order: Order) -> dict[str, Any]:
    return {
        "ref": order.ref,
        "state": order.status,
        "outcome": order.outcome,
        "result": order.result,
    }


async def _submit(agency: MockAgency, request: Request) -> Response:
    key = request.headers.get("idempotency-key")
    if not key:
        return json_error(400, "Idempotency-Key required")
    order, _ = agency.submit_order(key, await request.json())
    return JSONResponse(_receipt(order), status_code=201)


async def _find(agency: MockAgency, request: Request) -> Response:
    order = agency.order_by_key(request.query_params.get("idempotency_key", ""))
    return JSONResponse(_receipt(order)) if order else json_error(404, "no such order")


async def _get(agency: MockAgency, request: Request) -> Response:
    order = agency.get_order(request.path_params["ref"])
    return JSONResponse(_receipt(order)) if order else json_error(404, "no such order")


async def _urge(agency: MockAgency, request: Request) -> Response:
    order = agency.urge_order(request.path_params["ref"])
    return JSONResponse(_receipt(order)) if order else json_error(404, "no such order")


def create_fake_app() -> Starlette:
    agency = MockAgency("fake", WORLD, secret="dev-fake-secret", ref_prefix="FK", execute=_execute)
    routes = [
        Route("/people/search", partial(_search, agency), methods=["POST"]),
        Route("/orders", partial(_submit, agency), methods=["POST"]),
        Route("/orders", partial(_find, agency), methods=["GET"]),
        Route("/orders/{ref}", partial(_get, agency), methods=["GET"]),
        Route("/orders/{ref}/urge", partial(_urge, agency), methods=["POST"]),
    ]
    return build_app(agency, routes)


# -- the fake adapter, and its broken cousins ----------------------------------------------------


class FakeAdapter(Adapter):
    """A fake agency kind, for testing the kit."""

    kind = "fake"
    capabilities = frozenset({Capability.WHEREABOUTS})
    actions = frozenset({Action.QUERY, Action.LOCATE_PERSON})
    batch_size = 20

    async def _search(self, subjects: Sequence[Subject]) -> list[dict[str, Any]]:
        response = await self.connector.request(
            "POST", "/people/search", json={"ids": [s.id_number for s in subjects]}, idempotent=True
        )
        people: list[dict[str, Any]] = response.json()["people"]
        return people

    async def whereabouts(self, subjects: Sequence[Subject]) -> dict[str, Whereabouts | None]:
        found: dict[str, Whereabouts | None] = dict.fromkeys(s.id_number for s in subjects)
        for person in await self._search(subjects):
            found[person["id_number"]] = Whereabouts(None, person["residence"])
        return found

    async def dispatch(self, order: AssistanceOrder) -> DispatchReceipt:
        body = {
            "request_id": order.request_id,
            "action": order.action,
            "subject": {"id_number": order.subject.id_number, "name": order.subject.name},
            "callback_url": order.callback_url,
        }
        response = await self.connector.request(
            "POST", "/orders", json=body, idempotency_key=order.idempotency_key
        )
        return DispatchReceipt(response.json()["ref"])

    async def lookup(self, idempotency_key: str) -> DispatchReceipt | None:
        response = await self.connector.request(
            "GET", "/orders", params={"idempotency_key": idempotency_key}, ok_statuses={404}
        )
        return None if response.status_code == 404 else DispatchReceipt(response.json()["ref"])

    async def poll(self, agency_ref: str) -> OrderProgress:
        data = (await self.connector.request("GET", f"/orders/{agency_ref}")).json()
        return OrderProgress(
            data["ref"], data["state"], outcome=data["outcome"], result=data["result"]
        )

    async def urge(self, agency_ref: str, note: str | None) -> None:
        await self.connector.request("POST", f"/orders/{agency_ref}/urge", idempotency_key="u")


class ForgetfulAdapter(FakeAdapter):
    """Leaves out the subjects it found nothing for."""

    async def whereabouts(self, subjects: Sequence[Subject]) -> dict[str, Whereabouts | None]:
        found = await super().whereabouts(subjects)
        return {k: v for k, v in found.items() if v is not None}


class OneShotAdapter(FakeAdapter):
    """Searches by POST without saying it is safe to repeat."""

    async def _search(self, subjects: Sequence[Subject]) -> list[dict[str, Any]]:
        ids = [s.id_number for s in subjects]
        response = await self.connector.request("POST", "/people/search", json={"ids": ids})
        people: list[dict[str, Any]] = response.json()["people"]
        return people


class ChattyAdapter(FakeAdapter):
    """Puts the citizen in its error messages."""

    async def whereabouts(self, subjects: Sequence[Subject]) -> dict[str, Whereabouts | None]:
        try:
            return await super().whereabouts(subjects)
        except UpstreamError as exc:
            raise UpstreamUnavailable(
                self.agency_id, f"no answer for {subjects[0].id_number}", attempts=exc.attempts
            ) from exc


class ForgetsKeysAdapter(FakeAdapter):
    """Sends each dispatch under a fresh key."""

    calls = 0

    async def dispatch(self, order: AssistanceOrder) -> DispatchReceipt:
        type(self).calls += 1
        key = f"{order.idempotency_key}-{self.calls}"
        response = await self.connector.request(
            "POST", "/orders", json={"action": order.action.value}, idempotency_key=key
        )
        return DispatchReceipt(response.json()["ref"])


class UntranslatedAdapter(FakeAdapter):
    """Reads the result when polled, but leaves it out of what callbacks report."""

    def parse_callback(self, body: bytes) -> OrderProgress:
        progress = super().parse_callback(body)
        return dataclasses.replace(progress, result=None)


class UndeclaredAdapter(FakeAdapter):
    """Serves vehicles without declaring the capability."""

    async def vehicles(self, subjects: Sequence[Subject]) -> dict[str, list[Vehicle]]:
        return {s.id_number: [] for s in subjects}


# -- the kit passes a good adapter ---------------------------------------------------------------

TestFakeConformance = adapter_test_class(FakeAdapter, mock=create_fake_app, known=KNOWN)


# -- and fails bad ones --------------------------------------------------------------------------


async def run_kit_test(adapter_cls: type[Adapter], name: str) -> None:
    cls = adapter_test_class(adapter_cls, mock=create_fake_app, known=KNOWN)
    async with open_harness(cls.spec) as harness:
        await getattr(cls(), name)(harness)


async def test_the_good_adapter_passes_when_run_by_hand() -> None:
    await run_kit_test(FakeAdapter, "test_each_capability_answers_one_entry_per_subject")


@pytest.mark.parametrize(
    ("adapter_cls", "name", "complaint"),
    [
        (ForgetfulAdapter, "test_each_capability_answers_one_entry_per_subject", "one entry"),
        (ForgetfulAdapter, "test_a_full_batch_answers_every_subject", "answer each subject"),
        (OneShotAdapter, "test_reads_are_retried_through_503s", "idempotent=True"),
        (ChattyAdapter, "test_a_read_gives_up_after_max_attempts_when_down", "names an ID"),
        (ForgetsKeysAdapter, "test_dispatch_is_idempotent", "not (1, 1)"),
        (
            UndeclaredAdapter,
            "test_undeclared_capabilities_raise_not_implemented",
            "does not declare",
        ),
        (UntranslatedAdapter, "test_a_callback_reads_as_a_poll_does", "read differently"),
    ],
)
async def test_the_kit_catches_a_broken_adapter(
    adapter_cls: type[Adapter], name: str, complaint: str
) -> None:
    with pytest.raises((AssertionError, pytest.fail.Exception)) as caught:
        await run_kit_test(adapter_cls, name)
    assert complaint in str(caught.value)


def test_the_generated_class_is_a_pytest_class() -> None:
    cls = adapter_test_class(FakeAdapter, mock=create_fake_app, known=KNOWN)
    assert cls.__name__ == "TestFakeAdapterConformance"
    assert issubclass(cls, AdapterConformance)
    assert "test_dispatch_is_idempotent" in dir(cls)


def test_tests_can_be_skipped_by_name() -> None:
    cls = adapter_test_class(
        FakeAdapter,
        mock=create_fake_app,
        known=KNOWN,
        skip={"test_urge_reaches_the_agency": "the agency takes no urges"},
    )
    marks = cls.test_urge_reaches_the_agency.pytestmark
    assert [(m.name, m.kwargs["reason"]) for m in marks] == [("skip", "the agency takes no urges")]
    assert not hasattr(AdapterConformance.test_urge_reaches_the_agency, "pytestmark")
    with pytest.raises(ValueError, match="test_nonexistent"):
        adapter_test_class(
            FakeAdapter, mock=create_fake_app, known=KNOWN, skip={"test_nonexistent": ""}
        )


def test_the_default_config() -> None:
    cls = adapter_test_class(
        FakeAdapter, mock=create_fake_app, known=KNOWN, config_extra={"registry": "350600"}
    )
    config = cls.spec.make_config()
    assert (config.id, config.kind, config.base_url) == ("fake-test", "fake", "http://mock")
    assert config.shared_secret() == "dev-fake-secret"
    assert config.extra("registry") == "350600"


def test_is_empty() -> None:
    assert is_empty(None) and is_empty([]) and is_empty(())
    assert is_empty(Whereabouts(None, None))
    assert not is_empty(Whereabouts(None, "厦门"))
    assert not is_empty([Whereabouts(None, None)])


def test_synthetic_subjects_have_valid_distinct_numbers() -> None:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    people = synthetic_subjects(100)
    assert len({p.id_number for p in people}) == 100
    for person in people:
        body, check = person.id_number[:17], person.id_number[17]
        total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
        assert check == "10X98765432"[total % 11]
