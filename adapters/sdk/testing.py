"""The conformance kit: one line gives an adapter the whole behavioural suite.

In the spirit of singer-sdk's ``get_tap_test_class``::

    TestPolice = adapter_test_class(
        PoliceAdapter,
        mock=mocks.police.create_app,                  # zero-arg factory: a fresh app per test
        known=Subject("350602198003150015", "陈某某"),  # someone the mock's world knows
    )

Every generated test builds its own mock app, talks to it through
``httpx.ASGITransport`` and drives its faults through the shared admin
surface (``PUT /_admin/faults``, ``GET /_admin/stats``). The suite checks the
adapter interface's promises (``adapters.sdk.base``): each declared
capability answers one entry per subject and an unknown subject is empty, not
an error; undeclared ones raise ``NotImplementedError`` naming the method;
reads are retried on 503 and give up after ``max_attempts`` when the agency is
down; timeouts end in ``UpstreamTimeout`` within the deadline; a rejection is
not retried; ``Retry-After`` is the wait asked for; an order dispatched twice
is received once, can be looked up by its key, polled to its end and urged;
the circuit opens and recovers; no error message carries an ID number or name.

Policies are fast (short timeouts, waits recorded rather than slept), so the
suite runs in a few seconds. Tests that cannot apply to an adapter skip
themselves (no actions: no dispatch tests); ``skip={"test_name": "why"}``
skips others on purpose.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence, Sized
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, timedelta
from typing import Any, ClassVar, cast

import httpx
import pytest
from tenacity import wait_none

from adapters.sdk.base import Adapter
from adapters.sdk.config import AgencyConfig
from adapters.sdk.connector import RetryPolicy, track_calls
from adapters.sdk.declare import CapabilitySpec
from adapters.sdk.errors import (
    CircuitOpen,
    UpstreamError,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from adapters.sdk.records import (
    Action,
    AssistanceOrder,
    DispatchReceipt,
    OrderProgress,
    Subject,
)
from adapters.sdk.standard import Capability

# 张某 of the demo world: every source knows nothing of him.
DEFAULT_UNKNOWN = Subject("350602197501010010", "张某")
STATUS_ORDER = {"RECEIVED": 0, "ACKNOWLEDGED": 1, "COMPLETED": 2, "REJECTED": 2}
BadRequest = Callable[[Adapter], Awaitable[Any]]


@dataclass(frozen=True)
class KitSpec:
    """What ``adapter_test_class`` was told; the generated class holds one."""

    adapter_cls: type[Adapter]
    mock: Callable[[], Any]
    known: Subject
    unknown: Subject
    config: AgencyConfig | None
    config_extra: Mapping[str, Any]
    order_action: Action | None
    order_details: Mapping[str, Any]
    bad_request: BadRequest | None
    max_attempts: int
    timeout_s: float

    def make_config(self) -> AgencyConfig:
        if self.config is not None:
            return self.config
        kind = self.adapter_cls.kind
        return AgencyConfig(
            id=f"{kind}-test",
            kind=kind,
            name=f"{kind} (conformance)",
            base_url="http://mock",
            secret=_dev_secret(kind),
            timeout_s=self.timeout_s,
            max_attempts=self.max_attempts,
            **dict(self.config_extra),
        )


def _dev_secret(kind: str) -> str:
    try:
        from mocks._common import DEV_SECRETS
    except ImportError:  # a third-party distribution without the hub's mocks
        return f"dev-{kind}-secret"
    return DEV_SECRETS.get(kind, f"dev-{kind}-secret")


# -- the harness each test gets ------------------------------------------------------------------


class Alternating(httpx.AsyncBaseTransport):
    """Answers every other request 503 itself, so each call needs exactly two attempts."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        if self.count % 2:
            return httpx.Response(503)
        return await self.inner.handle_async_request(request)


@dataclass
class Harness:
    """One mock app, an adapter on it, and the admin surface to fault it."""

    spec: KitSpec
    app: Any
    transport: httpx.ASGITransport
    admin: httpx.AsyncClient
    sleeps: list[float] = field(default_factory=list)
    adapters: list[Adapter] = field(default_factory=list)

    async def record_sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)

    def policy(self, **changes: Any) -> RetryPolicy:
        values: dict[str, Any] = {
            "max_attempts": self.spec.max_attempts,
            "timeout_s": self.spec.timeout_s,
            "deadline_s": 5.0,
            "wait": wait_none(),
            "breaker_min_calls": 10_000,  # only the breaker test wants it to open
            "breaker_open_s": 0.05,
            "sleep": self.record_sleep,
        }
        values.update(changes)
        return RetryPolicy(**values)

    def build(self, *, transport: httpx.AsyncBaseTransport | None = None, **policy: Any) -> Adapter:
        adapter = self.spec.adapter_cls(
            self.spec.make_config(),
            transport=transport or self.transport,
            policy=self.policy(**policy),
        )
        self.adapters.append(adapter)
        return adapter

    async def faults(self, **changes: Any) -> None:
        response = await self.admin.put("/_admin/faults", json=changes)
        assert response.status_code == 200, f"the mock refused faults {changes}: {response.text}"

    async def stats(self) -> dict[str, Any]:
        response = await self.admin.get("/_admin/stats")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    async def aclose(self) -> None:
        for adapter in self.adapters:
            await adapter.aclose()
        await self.admin.aclose()
        agency = getattr(getattr(self.app, "state", None), "agency", None)
        closer = getattr(agency, "aclose", None) or getattr(self.app, "aclose", None)
        if closer is not None:
            await closer()


@asynccontextmanager
async def open_harness(spec: KitSpec) -> AsyncIterator[Harness]:
    """A fresh mock app from ``spec.mock`` and the means to drive it; closed on exit."""
    app = spec.mock()
    transport = httpx.ASGITransport(app=app)
    admin = httpx.AsyncClient(transport=transport, base_url="http://mock")
    harness = Harness(spec, app, transport, admin)
    try:
        yield harness
    finally:
        await harness.aclose()


# -- helpers -------------------------------------------------------------------------------------


def is_empty(entry: Any) -> bool:
    """Nothing known: ``None``, an empty collection, or a record whose every field is empty."""
    if entry is None:
        return True
    if isinstance(entry, Sized) and not isinstance(entry, str):
        return len(entry) == 0
    if is_dataclass(entry) and not isinstance(entry, type):
        return all(not getattr(entry, f.name) for f in fields(entry))
    return False


def synthetic_subjects(count: int) -> list[Subject]:
    """``count`` people with valid resident ID numbers no world contains (region 110101)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    people = []
    for i in range(count):
        born = date(1950, 1, 1) + timedelta(days=97 * i)
        body = f"110101{born:%Y%m%d}{i % 1000:03d}"
        check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
        people.append(Subject(body + check, f"测试人{i:03d}"))
    return people


def assert_no_personal_data(exc: BaseException, subjects: Sequence[Subject]) -> None:
    message = str(exc)
    for subject in subjects:
        assert subject.id_number not in message, f"an error message names an ID number: {message}"
        assert subject.name not in message, f"an error message names a person: {message}"


# -- the suite -----------------------------------------------------------------------------------


class AdapterConformance:
    """The tests ``adapter_test_class`` hands out (not collected by itself: no ``Test`` prefix)."""

    spec: ClassVar[KitSpec]

    @pytest.fixture
    async def kit(self) -> AsyncIterator[Harness]:
        async with open_harness(self.spec) as harness:
            yield harness

    # -- helpers ----------------------------------------------------------------------------------

    @property
    def subjects(self) -> list[Subject]:
        return [self.spec.known, self.spec.unknown]

    def _capabilities(self) -> list[CapabilitySpec]:
        return sorted(self.spec.adapter_cls.capabilities, key=lambda c: c.value)

    async def _read(self, adapter: Adapter) -> Any:
        """One representative read: the first capability, or a lookup when there is none."""
        capabilities = self._capabilities()
        if capabilities:
            return await adapter.fetch(capabilities[0], [self.spec.known])
        if adapter.actions:
            return await adapter.lookup(f"kit-{uuid.uuid4()}")
        pytest.skip("the adapter declares neither capabilities nor actions")

    def _order(self, key: str | None = None) -> AssistanceOrder:
        actions = self.spec.adapter_cls.actions
        if not actions:
            pytest.skip("the adapter declares no actions")
        action = self.spec.order_action or (
            Action.QUERY if Action.QUERY in actions else sorted(actions)[0]
        )
        return AssistanceOrder(
            request_id=str(uuid.uuid4()),
            idempotency_key=key or f"kit-{uuid.uuid4()}",
            action=action,
            case_number="（2023）闽0602执1234号",
            court="闽0602",
            subject=self.spec.known,
            document_number="（2023）闽0602执1234号之一",
            details=dict(self.spec.order_details),
        )

    # -- declarations -----------------------------------------------------------------------------

    def test_declarations(self) -> None:
        cls = self.spec.adapter_cls
        assert cls.kind and cls.kind == cls.kind.strip().lower(), "kind: a lower-case name"
        assert all(isinstance(c, CapabilitySpec) for c in cls.capabilities), (
            "capabilities: CapabilitySpec declarations"
        )
        assert all(isinstance(a, str) and a.isupper() for a in cls.actions), "actions: names"
        assert set(cls.action_specs) == set(cls.actions), "every action has its spec"
        assert cls.batch_size >= 1, "batch_size: at least 1"
        for capability in cls.capabilities:
            own = getattr(cls, capability.name, None)
            assert callable(own), (
                f"{cls.__name__} declares {capability.name} but does not implement it"
            )
        for spec in cls.action_specs.values():
            assert spec.label, f"action {spec.name}: a label for people"
            if spec.reference is not None:
                assert spec.details is not None and spec.reference in spec.details.model_fields, (
                    f"action {spec.name}: its reference {spec.reference!r} is a details field"
                )

    async def test_undeclared_capabilities_raise_not_implemented(self, kit: Harness) -> None:
        adapter = kit.build()
        for capability in Capability.all():
            if capability in adapter.capabilities:
                continue
            assert not callable(getattr(adapter, capability.name, None)), (
                f"{type(adapter).__name__} implements {capability.name} but does not declare it"
            )
            with pytest.raises(NotImplementedError, match=capability.name):
                await adapter.fetch(capability, [self.spec.known])

    # -- reads ------------------------------------------------------------------------------------

    async def test_each_capability_answers_one_entry_per_subject(self, kit: Harness) -> None:
        adapter = kit.build()
        known, unknown = self.spec.known, self.spec.unknown
        found = []
        for capability in self._capabilities():
            result = await adapter.fetch(capability, self.subjects)
            assert isinstance(result, dict), f"{capability.value} must return a dict"
            assert set(result) == {known.id_number, unknown.id_number}, (
                f"{capability.value}: one entry per subject, keyed by id_number"
            )
            assert is_empty(result[unknown.id_number]), (
                f"{capability.value}: an unknown subject is an empty entry"
            )
            found.append(not is_empty(result[known.id_number]))
        if found:
            assert any(found), "no capability found anything for the known subject"

    async def test_a_full_batch_answers_every_subject(self, kit: Harness) -> None:
        adapter = kit.build()
        size = min(adapter.max_batch, 100)
        batch = [self.spec.known, *synthetic_subjects(size - 1)]
        for capability in self._capabilities():
            result = await adapter.fetch(capability, batch)
            assert set(result) == {s.id_number for s in batch}, (
                f"{capability.value}: a batch of {size} must answer each subject once"
            )
            assert all(is_empty(result[s.id_number]) for s in batch[1:]), (
                f"{capability.value}: strangers must come back empty"
            )

    # -- failures ---------------------------------------------------------------------------------

    async def test_reads_are_retried_through_503s(self, kit: Harness) -> None:
        clean = await self._read(kit.build())
        flaky = kit.build(transport=Alternating(kit.transport))
        with track_calls() as stats:
            try:
                again = await self._read(flaky)
            except UpstreamUnavailable as exc:
                pytest.fail(
                    f"a read was not retried after one 503 ({exc}); reads sent as POST "
                    "need idempotent=True or an idempotency key"
                )
        assert again == clean, "a retried read must give the same answer"
        assert stats.attempts == 2 * stats.calls, "each call: one 503, then one success"

    async def test_a_read_gives_up_after_max_attempts_when_down(self, kit: Harness) -> None:
        adapter = kit.build()
        await kit.faults(down=True)
        with track_calls() as stats, pytest.raises(UpstreamUnavailable) as caught:
            await self._read(adapter)
        assert not isinstance(caught.value, CircuitOpen), "a fresh breaker must not be open"
        attempts = self.spec.max_attempts
        assert caught.value.attempts == attempts, (
            f"a read is tried max_attempts ({attempts}) times, not {caught.value.attempts}"
        )
        assert stats.attempts == attempts, f"{stats.attempts} attempts counted, not {attempts}"
        received = (await kit.stats())["requests"]
        assert received == attempts, f"the mock saw {received} requests, not {attempts}"
        assert caught.value.agency_id == adapter.agency_id, "the error names the agency"
        assert_no_personal_data(caught.value, self.subjects)

    async def test_timeouts_end_within_the_deadline(self, kit: Harness) -> None:
        deadline = 0.5
        adapter = kit.build(timeout_s=0.2, deadline_s=deadline)
        await kit.faults(timeout_rate=1.0, timeout_ms=2000)
        started = time.monotonic()
        with track_calls() as stats, pytest.raises(UpstreamTimeout) as caught:
            await self._read(adapter)
        elapsed = time.monotonic() - started
        # the mock would have answered after 2 s: finishing sooner proves the deadline held
        assert elapsed < deadline + 1.0, f"a timed-out read took {elapsed:.2f} s"
        assert stats.attempts >= 1, "no attempt was counted"
        assert caught.value.agency_id == adapter.agency_id, "the error names the agency"
        assert_no_personal_data(caught.value, self.subjects)

    async def test_a_rejection_is_not_retried(self, kit: Harness) -> None:
        adapter = kit.build()
        with track_calls() as stats, pytest.raises(UpstreamRejected) as caught:
            if self.spec.bad_request is not None:
                await self.spec.bad_request(adapter)
            else:
                await adapter.connector.request("GET", "/__conformance__/no-such-resource")
        assert caught.value.attempts == 1, f"a rejection was tried {caught.value.attempts} times"
        assert stats.attempts == 1, f"a rejection was sent {stats.attempts} times"
        received = (await kit.stats())["requests"]
        assert received == 1, f"the mock saw {received} requests for one rejected call"
        assert_no_personal_data(caught.value, self.subjects)

    async def test_retry_after_is_the_wait(self, kit: Harness) -> None:
        adapter = kit.build()
        await kit.faults(error_rate=1.0, status=429, retry_after=1)
        with pytest.raises(UpstreamUnavailable) as caught:
            await self._read(adapter)
        waits = [1.0] * (self.spec.max_attempts - 1)
        assert kit.sleeps[: len(waits)] == waits, f"waited {kit.sleeps}, Retry-After said 1 s"
        assert_no_personal_data(caught.value, self.subjects)

    async def test_the_circuit_opens_and_recovers(self, kit: Harness) -> None:
        adapter = kit.build(
            max_attempts=2, breaker_window=4, breaker_min_calls=4, breaker_open_s=60.0
        )
        breaker = adapter.connector.breaker
        now = [0.0]
        breaker.clock = lambda: now[0]  # the open period passes when the test says so
        await kit.faults(down=True)
        opened = False
        for _ in range(10):
            try:
                await self._read(adapter)
            except CircuitOpen:
                opened = True
                break
            except UpstreamUnavailable:
                continue
        assert opened, "the circuit never opened while the agency was down"
        assert breaker.state == "open", "CircuitOpen with a closed breaker"
        sent = (await kit.stats())["requests"]
        with pytest.raises(CircuitOpen) as caught:
            await self._read(adapter)
        assert (await kit.stats())["requests"] == sent, "an open circuit must not send"
        assert_no_personal_data(caught.value, self.subjects)
        await kit.faults(down=False)
        now[0] += 61.0
        state = cast(str, breaker.state)  # read afresh: time moved on (mypy kept "open")
        assert state == "half_open", f"after the open period the breaker is {state}"
        await self._read(adapter)
        state = cast(str, breaker.state)
        assert state == "closed", f"a successful probe left the breaker {state}"

    # -- orders -----------------------------------------------------------------------------------

    async def test_dispatch_is_idempotent(self, kit: Harness) -> None:
        order = self._order()
        adapter = kit.build()
        first = await adapter.dispatch(order)
        second = await adapter.dispatch(order)
        assert isinstance(first, DispatchReceipt), "dispatch returns a DispatchReceipt"
        assert first.agency_ref, "a receipt carries the agency's reference"
        stats = await kit.stats()
        counts = (stats["assistance_received"], stats["assistance_duplicates"])
        assert counts == (1, 1), f"(received, duplicates) = {counts}, not (1, 1)"
        assert second.agency_ref == first.agency_ref, "a repeated dispatch returns the first ref"
        found = await adapter.lookup(order.idempotency_key)
        assert found is not None, "lookup does not find an order by its key"
        assert found.agency_ref == first.agency_ref, "lookup finds another order"
        missing = await adapter.lookup(f"kit-unknown-{uuid.uuid4()}")
        assert missing is None, f"lookup of an unknown key gave {missing}"

    async def test_dispatch_is_retried_with_its_key(self, kit: Harness) -> None:
        order = self._order()
        flaky = kit.build(transport=Alternating(kit.transport))
        receipt = await flaky.dispatch(order)
        stats = await kit.stats()
        counts = (stats["assistance_received"], stats["assistance_duplicates"])
        assert counts == (1, 0), f"(received, duplicates) = {counts}, not (1, 0)"
        found = await kit.build().lookup(order.idempotency_key)
        assert found is not None, "lookup does not find a retried order by its key"
        assert found.agency_ref == receipt.agency_ref, "lookup finds another order"

    async def test_a_dispatch_failure_names_no_one(self, kit: Harness) -> None:
        order = self._order()
        adapter = kit.build()
        await kit.faults(down=True)
        with pytest.raises(UpstreamError) as caught:
            await adapter.dispatch(order)
        assert_no_personal_data(caught.value, self.subjects)

    async def test_poll_follows_an_order_to_its_end(self, kit: Harness) -> None:
        order = self._order()
        adapter = kit.build()
        await kit.faults(complete_after_ms=60, callbacks=False)
        receipt = await adapter.dispatch(order)
        seen: list[OrderProgress] = []
        for _ in range(150):
            progress = await adapter.poll(receipt.agency_ref)
            assert isinstance(progress, OrderProgress), "poll returns an OrderProgress"
            assert progress.agency_ref == receipt.agency_ref, "poll reports another order"
            assert progress.status in STATUS_ORDER, f"unknown status {progress.status!r}"
            seen.append(progress)
            if STATUS_ORDER[progress.status] == 2:
                break
            await asyncio.sleep(0.02)
        ranks = [STATUS_ORDER[p.status] for p in seen]
        assert ranks == sorted(ranks), f"statuses went backwards: {[p.status for p in seen]}"
        assert ranks[-1] == 2, "the order never completed"
        assert isinstance(seen[-1].outcome, str), "a finished order has an outcome"
        assert seen[-1].outcome, "a finished order has an outcome"

    async def test_a_callback_reads_as_a_poll_does(self, kit: Harness) -> None:
        """What the agency reports by callback and what a poll reads are one translation:
        the same status, outcome and result (units converted alike)."""
        agency = getattr(getattr(kit.app, "state", None), "agency", None)
        if agency is None or not hasattr(agency, "callback_transport"):
            pytest.skip("the mock sends no callbacks the kit can catch")
        bodies: list[bytes] = []

        def catch(request: httpx.Request) -> httpx.Response:
            bodies.append(request.content)
            return httpx.Response(200, json={"status": "applied"})

        agency.callback_transport = httpx.MockTransport(catch)
        order = dataclasses.replace(self._order(), callback_url="http://hub.test/callbacks/kit")
        adapter = kit.build()
        await kit.faults(complete_after_ms=40)
        receipt = await adapter.dispatch(order)
        final: OrderProgress | None = None
        for _ in range(150):
            polled = await adapter.poll(receipt.agency_ref)
            if STATUS_ORDER.get(polled.status) == 2:
                final = polled
                break
            await asyncio.sleep(0.02)
        assert final is not None, "the order never completed"
        await asyncio.sleep(0.05)  # callbacks go out as the order moves
        if not bodies:
            pytest.skip("the agency reports by polling only: no callback came")
        called: OrderProgress | None = None
        for _ in range(150):
            reports = [adapter.parse_callback(b) for b in bodies]
            called = next((p for p in reports if p.status == final.status), None)
            if called is not None:
                break
            await asyncio.sleep(0.02)
        assert called is not None, f"no {final.status} callback came"
        assert (called.status, called.outcome, called.result) == (
            final.status,
            final.outcome,
            final.result,
        ), "a callback and a poll of the same order read differently"

    async def test_urge_reaches_the_agency(self, kit: Harness) -> None:
        order = self._order()
        adapter = kit.build()
        receipt = await adapter.dispatch(order)
        await adapter.urge(receipt.agency_ref, "请尽快办理")
        urges = (await kit.stats())["urges"]
        assert urges == 1, f"the mock counted {urges} urges, not 1"

    async def test_parse_callback_reads_the_hub_format(self, kit: Harness) -> None:
        adapter = kit.build()
        body = (
            b'{"event_id": "e-1", "timestamp": "2024-03-01T08:00:00+00:00", '
            b'"agency_ref": "REF-1", "request_id": "r-1", "idempotency_key": "k-1", '
            b'"status": "COMPLETED", "outcome": "found", "result": {"n": 1}}'
        )
        progress = adapter.parse_callback(body)
        assert (progress.agency_ref, progress.status, progress.outcome) == (
            "REF-1",
            "COMPLETED",
            "found",
        )
        assert progress.result == {"n": 1}, f"result read as {progress.result}"
        assert progress.event_id == "e-1", "event_id is what makes a repeat harmless"
        assert progress.at is not None, "timestamp not read"
        assert progress.at.utcoffset() is not None, "timestamp read without its zone"
        with pytest.raises(ValueError):
            adapter.parse_callback(b'{"status": "COMPLETED"}')


def _skipped(name: str, reason: str) -> Callable[..., None]:
    @pytest.mark.skip(reason=reason)
    def test(self: AdapterConformance) -> None:
        raise AssertionError("skipped")

    test.__name__ = name
    return test


def adapter_test_class(
    adapter_cls: type[Adapter],
    *,
    mock: Callable[[], Any],
    known: Subject,
    unknown: Subject = DEFAULT_UNKNOWN,
    config: AgencyConfig | None = None,
    config_extra: Mapping[str, Any] | None = None,
    order_action: Action | None = None,
    order_details: Mapping[str, Any] | None = None,
    bad_request: BadRequest | None = None,
    max_attempts: int = 3,
    timeout_s: float = 2.0,
    skip: Mapping[str, str] | None = None,
) -> type:
    """A pytest class running the conformance suite against ``adapter_cls`` on ``mock``.

    Args:
        adapter_cls: the adapter under test.
        mock: a zero-arg factory returning a fresh ASGI app with the shared
            admin surface (``mocks._common.build_app``).
        known: a subject the mock's world knows (some capability finds something).
        unknown: a subject it knows nothing about (default: 张某 of the demo world).
        config: the whole ``AgencyConfig``; by default ``id=f"{kind}-test"``,
            ``base_url="http://mock"``, the dev secret, plus ``config_extra``
            (adapter-specific keys such as ``registry="350600"``).
        order_action / order_details: the order the dispatch tests send (default:
            QUERY if declared, else the first action; no details).
        bad_request: ``async (adapter) -> None`` making a call the agency refuses
            with a 4xx; by default a GET of a path no agency serves.
        max_attempts / timeout_s: the policy under test (waits are recorded, not slept).
        skip: test names to skip, with the reason.
    """
    spec = KitSpec(
        adapter_cls=adapter_cls,
        mock=mock,
        known=known,
        unknown=unknown,
        config=config,
        config_extra=dict(config_extra or {}),
        order_action=order_action,
        order_details=dict(order_details or {}),
        bad_request=bad_request,
        max_attempts=max_attempts,
        timeout_s=timeout_s,
    )
    attrs: dict[str, Any] = {"spec": spec}
    for name, reason in (skip or {}).items():
        if not name.startswith("test_") or not hasattr(AdapterConformance, name):
            raise ValueError(f"no conformance test named {name!r}")
        attrs[name] = _skipped(name, reason)
    name = f"Test{adapter_cls.__name__}Conformance"
    return type(name, (AdapterConformance,), attrs)
