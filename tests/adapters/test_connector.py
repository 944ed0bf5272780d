import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from tenacity import wait_fixed

from adapters.sdk.config import AgencyConfig
from adapters.sdk.connector import (
    AttemptEvent,
    BreakerEvent,
    Connector,
    RetryPolicy,
    add_observer,
    parse_retry_after,
    track_calls,
)
from hub.errors import (
    CircuitOpen,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)

ID_NUMBER = "350602198003150015"
NAME = "陈某某"
Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


class Recorder:
    """A sleep that records the waits asked for and spends none of them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def config(**extra: Any) -> AgencyConfig:
    values: dict[str, Any] = {
        "id": "police-test",
        "kind": "police",
        "name": "测试公安",
        "base_url": "http://agency.test",
        "secret": "s3cret",
    }
    values.update(extra)
    return AgencyConfig(**values)


def fast(**changes: Any) -> RetryPolicy:
    """Short timeouts, no waits, a breaker that stays closed unless a test asks."""
    values: dict[str, Any] = {"timeout_s": 1.0, "deadline_s": 5.0, "breaker_min_calls": 1000}
    values.update(changes)
    return RetryPolicy(**values).without_waits()


def connector(
    handler: Handler, *, policy: RetryPolicy | None = None, auth: str = "none", **cfg: Any
) -> Connector:
    return Connector(
        config(**cfg), transport=httpx.MockTransport(handler), policy=policy or fast(), auth=auth
    )


def script(*steps: int | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler answering each request with the next status (or raising the next error)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = steps[min(len(seen), len(steps)) - 1]
        if isinstance(step, Exception):
            raise step
        return httpx.Response(step, json={"n": len(seen)})

    return handler, seen


# -- retries -------------------------------------------------------------------------------------


async def test_retries_5xx_until_success() -> None:
    handler, seen = script(503, 502, 200)
    async with connector(handler) as conn:
        with track_calls() as stats:
            response = await conn.request("GET", "/things")
    assert response.json() == {"n": 3}
    assert len(seen) == 3
    assert (stats.attempts, stats.calls, stats.failures, stats.errors) == (3, 1, 2, 0)


async def test_retries_transport_errors() -> None:
    handler, seen = script(httpx.ConnectError("refused"), httpx.ReadError("reset"), 200)
    async with connector(handler) as conn:
        response = await conn.request("GET", "/things")
    assert response.status_code == 200
    assert len(seen) == 3


async def test_retries_an_attempt_that_outlives_its_timeout() -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(5)
        return httpx.Response(200)

    async with connector(handler, policy=fast(timeout_s=0.2)) as conn:
        response = await conn.request("GET", "/slow")
    assert response.status_code == 200
    assert calls == 2


async def test_gives_up_after_max_attempts() -> None:
    handler, seen = script(503)
    async with connector(handler, policy=fast(max_attempts=4)) as conn:
        with pytest.raises(UpstreamUnavailable) as caught:
            await conn.request("GET", "/things")
    assert type(caught.value) is UpstreamUnavailable
    assert caught.value.attempts == 4
    assert caught.value.agency_id == "police-test"
    assert len(seen) == 4
    assert "police-test" in str(caught.value)
    assert "HTTP 503" in str(caught.value)


async def test_timeouts_to_the_end_raise_upstream_timeout() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    async with connector(handler, policy=fast(timeout_s=0.02, max_attempts=2)) as conn:
        with pytest.raises(UpstreamTimeout) as caught:
            await conn.request("GET", "/slow")
    assert caught.value.attempts == 2
    assert caught.value.code == "UPSTREAM_TIMEOUT"


async def test_the_last_failure_decides_timeout_or_unavailable() -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(5)
        return httpx.Response(503)

    async with connector(handler, policy=fast(timeout_s=0.2, max_attempts=2)) as conn:
        with pytest.raises(UpstreamUnavailable) as caught:
            await conn.request("GET", "/x")
    assert type(caught.value) is UpstreamUnavailable


async def test_a_rejection_is_not_retried() -> None:
    handler, seen = script(400)
    async with connector(handler) as conn:
        with track_calls() as stats, pytest.raises(UpstreamRejected) as caught:
            await conn.request("GET", "/things")
    assert len(seen) == 1
    assert caught.value.attempts == 1
    assert stats.attempts == 1
    assert stats.errors == 1
    assert "HTTP 400" in str(caught.value)


async def test_ok_statuses_are_returned_not_raised() -> None:
    handler, _ = script(404)
    async with connector(handler) as conn:
        response = await conn.request("GET", "/orders", ok_statuses={404})
        assert response.status_code == 404
        with pytest.raises(UpstreamRejected):
            await conn.request("GET", "/orders")


async def test_429_is_retried() -> None:
    handler, seen = script(429, 200)
    async with connector(handler) as conn:
        response = await conn.request("GET", "/records")
    assert response.status_code == 200
    assert len(seen) == 2


# -- waits ---------------------------------------------------------------------------------------


def answers(*responses: httpx.Response) -> Handler:
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


async def test_retry_after_seconds_is_the_wait() -> None:
    sleep = Recorder()
    handler = answers(
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(503, headers={"Retry-After": "1"}),
        httpx.Response(200),
    )
    policy = RetryPolicy(wait=wait_fixed(0.7), sleep=sleep, breaker_min_calls=1000)
    async with connector(handler, policy=policy) as conn:
        await conn.request("GET", "/records")
    assert sleep.waits == [2.0, 1.0]


async def test_retry_after_http_date_and_cap() -> None:
    sleep = Recorder()
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    handler = answers(httpx.Response(503, headers={"Retry-After": later}), httpx.Response(200))
    policy = RetryPolicy(retry_after_cap_s=3.0, sleep=sleep)
    async with connector(handler, policy=policy, deadline_s=60) as conn:
        await conn.request("GET", "/records")
    assert sleep.waits == [3.0]


async def test_backoff_is_exponential_with_full_jitter() -> None:
    sleep = Recorder()
    handler, _ = script(503)
    policy = RetryPolicy(
        max_attempts=5, backoff_base_s=0.1, backoff_max_s=0.3, sleep=sleep, deadline_s=60
    )
    async with connector(handler, policy=policy) as conn:
        with pytest.raises(UpstreamUnavailable):
            await conn.request("GET", "/x")
    assert len(sleep.waits) == 4
    for n, waited in enumerate(sleep.waits):
        assert 0 <= waited <= min(0.3, 0.1 * 2**n)


async def test_without_waits_drops_retry_after_too() -> None:
    sleep = Recorder()
    handler = answers(httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200))
    policy = RetryPolicy(sleep=sleep).without_waits()
    async with connector(handler, policy=policy) as conn:
        await conn.request("GET", "/x")
    assert sleep.waits == [0.0]


def test_parse_retry_after() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Mon, 01 Jan 2024 00:00:10 GMT", now=now) == 10.0
    assert parse_retry_after("Sun, 31 Dec 2023 00:00:00 GMT", now=now) == 0.0


# -- writes --------------------------------------------------------------------------------------


async def test_a_write_without_key_gets_one_attempt() -> None:
    handler, seen = script(503, 201)
    async with connector(handler) as conn:
        with pytest.raises(UpstreamUnavailable) as caught:
            await conn.request("POST", "/orders", json={"a": 1})
    assert len(seen) == 1
    assert caught.value.attempts == 1


async def test_a_write_with_key_is_retried_with_the_key() -> None:
    handler, seen = script(503, 201)
    async with connector(handler) as conn:
        response = await conn.request("POST", "/orders", json={"a": 1}, idempotency_key="k-1")
    assert response.status_code == 201
    assert [r.headers["Idempotency-Key"] for r in seen] == ["k-1", "k-1"]
    assert [json.loads(r.content) for r in seen] == [{"a": 1}, {"a": 1}]


async def test_a_search_sent_as_post_may_be_marked_idempotent() -> None:
    handler, seen = script(503, 200)
    async with connector(handler) as conn:
        await conn.request("POST", "/search", json={"ids": []}, idempotent=True)
    assert len(seen) == 2
    assert "Idempotency-Key" not in seen[0].headers


# -- deadline ------------------------------------------------------------------------------------


async def test_no_wait_is_begun_that_would_end_after_the_deadline() -> None:
    sleep = Recorder()
    handler = answers(
        httpx.Response(503, headers={"Retry-After": "0"}),
        httpx.Response(503, headers={"Retry-After": "10"}),
        httpx.Response(200),
    )
    policy = RetryPolicy(max_attempts=10, deadline_s=5.0, retry_after_cap_s=30, sleep=sleep)
    async with connector(handler, policy=policy) as conn:
        with pytest.raises(UpstreamUnavailable) as caught:
            await conn.request("GET", "/x")
    # a 10 s wait would end past the 5 s deadline: the call ends instead of sleeping
    assert sleep.waits == [0.0]
    assert caught.value.attempts == 2


async def test_the_deadline_cuts_an_attempt_short() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    policy = fast(timeout_s=3.0, deadline_s=0.1)
    async with connector(handler, policy=policy) as conn:
        started = time.monotonic()
        with pytest.raises(UpstreamTimeout) as caught:
            await conn.request("GET", "/x")
    # the 3 s attempt timeout was never reached: the deadline ended the call
    assert time.monotonic() - started < 2.0
    assert caught.value.attempts == 1


# -- concurrency ---------------------------------------------------------------------------------


async def test_max_concurrency_bounds_attempts_in_flight() -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200)

    async with connector(handler, policy=fast(max_concurrency=2)) as conn:
        await asyncio.gather(*(conn.request("GET", f"/x/{i}") for i in range(6)))
    assert peak == 2


# -- breaker -------------------------------------------------------------------------------------


def breaker_policy() -> RetryPolicy:
    return fast(max_attempts=1, breaker_window=4, breaker_min_calls=4, breaker_open_s=60.0)


def fake_clock(conn: Connector) -> list[float]:
    """Freeze the breaker's clock; the test moves time by adding to the list's item."""
    now = [0.0]
    conn.breaker.clock = lambda: now[0]
    return now


async def test_the_breaker_opens_and_fails_fast() -> None:
    handler, seen = script(503)
    async with connector(handler, policy=breaker_policy()) as conn:
        for _ in range(4):
            assert conn.breaker.state == "closed"
            with pytest.raises(UpstreamUnavailable):
                await conn.request("GET", "/x")
        assert conn.breaker.state == "open"
        with track_calls() as stats, pytest.raises(CircuitOpen) as caught:
            await conn.request("GET", "/x")
    assert len(seen) == 4  # the fifth call was never sent
    assert stats.attempts == 0
    assert caught.value.attempts == 0
    assert caught.value.code == "UPSTREAM_UNAVAILABLE"


async def test_the_breaker_ignores_rejections_and_needs_min_calls() -> None:
    handler, _ = script(404, 404, 404, 404, 503, 503, 503)
    async with connector(handler, policy=breaker_policy()) as conn:
        for i in range(7):
            with pytest.raises(UpstreamRejected if i < 4 else UpstreamUnavailable):
                await conn.request("GET", "/x")
        # 3 failures in a window of 4: ratio 0.75, opens on the 7th outcome only
        assert conn.breaker.state == "open"


async def test_half_open_probe_success_closes() -> None:
    handler, seen = script(503, 503, 503, 503, 200, 200)
    async with connector(handler, policy=breaker_policy()) as conn:
        now = fake_clock(conn)
        for _ in range(4):
            with pytest.raises(UpstreamUnavailable):
                await conn.request("GET", "/x")
        assert conn.breaker.state == "open"
        now[0] += 59.0
        assert conn.breaker.state == "open"
        now[0] += 1.0
        assert conn.breaker.state == "half_open"
        response = await conn.request("GET", "/x")
        assert response.status_code == 200
        assert conn.breaker.state == "closed"
        assert (await conn.request("GET", "/x")).status_code == 200
    assert len(seen) == 6


async def test_half_open_probe_failure_reopens() -> None:
    handler, seen = script(503)
    async with connector(handler, policy=breaker_policy()) as conn:
        now = fake_clock(conn)
        for _ in range(4):
            with pytest.raises(UpstreamUnavailable):
                await conn.request("GET", "/x")
        now[0] += 60.0
        with pytest.raises(UpstreamUnavailable):
            await conn.request("GET", "/x")
        assert conn.breaker.state == "open"
        with pytest.raises(CircuitOpen):
            await conn.request("GET", "/x")
    assert len(seen) == 5


async def test_half_open_lets_only_one_probe_through() -> None:
    release, started = asyncio.Event(), asyncio.Event()
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls <= 4:
            return httpx.Response(503)
        started.set()
        await release.wait()
        return httpx.Response(200)

    async with connector(handler, policy=breaker_policy()) as conn:
        now = fake_clock(conn)
        for _ in range(4):
            with pytest.raises(UpstreamUnavailable):
                await conn.request("GET", "/x")
        now[0] += 60.0
        probe = asyncio.create_task(conn.request("GET", "/probe"))
        await started.wait()
        with pytest.raises(CircuitOpen):
            await conn.request("GET", "/other")
        release.set()
        assert (await probe).status_code == 200
    assert calls == 5


# -- observing and counting ----------------------------------------------------------------------


async def test_observers_see_attempts_and_breaker_changes() -> None:
    events: list[AttemptEvent | BreakerEvent] = []
    remove = add_observer(events.append)
    handler, _ = script(503, 503, 503, 503)
    try:
        async with connector(handler, policy=breaker_policy()) as conn:
            for _ in range(4):
                with pytest.raises(UpstreamUnavailable):
                    await conn.request("GET", "/x")
            with pytest.raises(CircuitOpen):
                await conn.request("GET", "/x")
    finally:
        remove()
    attempts = [e for e in events if isinstance(e, AttemptEvent)]
    assert [e.outcome for e in attempts] == ["retriable"] * 4 + ["circuit_open"]
    assert {(e.agency_id, e.kind, e.method) for e in attempts} == {("police-test", "police", "GET")}
    assert attempts[0].status == 503
    changes = [(e.previous, e.state) for e in events if isinstance(e, BreakerEvent)]
    assert changes == [("closed", "open")]


async def test_a_failing_observer_does_not_break_calls() -> None:
    def broken(event: object) -> None:
        raise RuntimeError("metrics down")

    remove = add_observer(broken)
    handler, _ = script(200)
    try:
        async with connector(handler) as conn:
            assert (await conn.request("GET", "/x")).status_code == 200
    finally:
        remove()


async def test_track_calls_counts_across_gather_and_nests() -> None:
    handler, _ = script(503, 200, 503, 200, 200)
    async with connector(handler) as conn:
        with track_calls() as outer:

            async def two() -> None:
                await asyncio.gather(conn.request("GET", "/a"), conn.request("GET", "/b"))

            await asyncio.create_task(two())
            with track_calls() as inner:
                await conn.request("GET", "/c")
    assert (outer.calls, outer.attempts, outer.failures) == (3, 5, 2)
    assert (inner.calls, inner.attempts) == (1, 1)


# -- auth ----------------------------------------------------------------------------------------


def echo() -> tuple[Handler, list[httpx.Request]]:
    return script(200)


async def test_bearer_auth() -> None:
    handler, seen = echo()
    async with connector(handler, auth="bearer") as conn:
        await conn.request("GET", "/x")
    assert seen[0].headers["Authorization"] == "Bearer s3cret"


async def test_basic_auth_user_from_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_TEST_SECRET", "from-env")
    handler, seen = echo()
    async with connector(
        handler, auth="basic", username="court", secret=None, secret_env="HUB_TEST_SECRET"
    ) as conn:
        await conn.request("GET", "/x")
    scheme, _, token = seen[0].headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(token).decode() == "court:from-env"


async def test_basic_auth_default_user() -> None:
    handler, seen = echo()
    async with connector(handler, auth="basic") as conn:
        await conn.request("GET", "/x")
    token = seen[0].headers["Authorization"].removeprefix("Basic ")
    assert base64.b64decode(token).decode() == "hub:s3cret"


@pytest.mark.parametrize(
    ("style", "prefix"), [("hmac:Tax", "Tax"), ("hmac:Credit", "Credit"), ("hmac-tax", "Tax")]
)
async def test_hmac_auth_signs_timestamp_method_path_and_body(style: str, prefix: str) -> None:
    handler, seen = echo()
    async with connector(handler, auth=style) as conn:
        await conn.request("POST", "/v2/assistance", json={"名": "值"}, idempotency_key="k")
        await conn.request("GET", "/v2/taxpayers/records", params={"taxpayer_id": "A,B"})
    for request in seen:
        stamp = request.headers[f"X-{prefix}-Timestamp"]
        assert abs(int(stamp) - time.time()) < 60
        message = f"{stamp}\n{request.method}\n{request.url.path}\n".encode() + request.content
        expected = hmac.new(b"s3cret", message, hashlib.sha256).hexdigest()
        assert request.headers[f"X-{prefix}-Signature"] == expected
        assert "Authorization" not in request.headers


@pytest.mark.parametrize(
    ("style", "extra", "header"),
    [
        ("api_key_header", {}, "X-Api-Key"),
        ("api_key_header:X-Gateway-Key", {}, "X-Gateway-Key"),
        ("api_key_header", {"api_key_header": "apikey"}, "apikey"),
    ],
)
async def test_api_key_in_a_header(style: str, extra: dict[str, str], header: str) -> None:
    handler, seen = echo()
    async with connector(handler, auth=style, **extra) as conn:
        await conn.request("GET", "/x")
    assert seen[0].headers[header] == "s3cret"
    assert "Authorization" not in seen[0].headers


async def test_no_auth() -> None:
    handler, seen = echo()
    async with connector(handler, auth="none") as conn:
        await conn.request("GET", "/x")
    assert "Authorization" not in seen[0].headers


def test_unknown_auth_style_is_refused() -> None:
    with pytest.raises(ValueError, match="police-test"):
        Connector(config(), auth="kerberos")


# -- policy --------------------------------------------------------------------------------------


def test_policy_from_config() -> None:
    policy = RetryPolicy.from_config(
        config(timeout_s=0.5, deadline_s=1.5, max_attempts=5, max_concurrency=3)
    )
    assert (policy.timeout_s, policy.deadline_s, policy.max_attempts, policy.max_concurrency) == (
        0.5,
        1.5,
        5,
        3,
    )


async def test_the_default_policy_comes_from_the_config() -> None:
    handler, seen = script(503)
    async with Connector(
        config(max_attempts=2), transport=httpx.MockTransport(handler), auth="none"
    ) as conn:
        assert conn.policy == RetryPolicy.from_config(conn.config)
        with pytest.raises(UpstreamUnavailable):
            await conn.request("GET", "/x")
    assert len(seen) == 2


# -- no personal data ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "step",
    [503, 400, 404, 429, httpx.ConnectError(f"cannot reach /persons/{ID_NUMBER}")],
)
async def test_errors_name_the_agency_never_the_citizen(step: int | Exception) -> None:
    handler, _ = script(step)
    async with connector(handler) as conn:
        with pytest.raises((UpstreamRejected, UpstreamUnavailable)) as caught:
            await conn.request(
                "POST",
                f"/persons/{ID_NUMBER}",
                params={"name": NAME, "id": ID_NUMBER},
                json={"id_number": ID_NUMBER, "name": NAME},
                idempotency_key="k",
            )
    message = str(caught.value)
    assert message.startswith("police-test: ")
    assert ID_NUMBER not in message
    assert NAME not in message
    assert "/persons" not in message


async def test_timeout_message_carries_no_personal_data() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    async with connector(handler, policy=fast(timeout_s=0.01, max_attempts=1)) as conn:
        with pytest.raises(UpstreamTimeout) as caught:
            await conn.request("GET", f"/persons/{ID_NUMBER}", params={"name": NAME})
    assert ID_NUMBER not in str(caught.value)
    assert NAME not in str(caught.value)


async def test_the_hub_request_id_travels_to_the_agency() -> None:
    from adapters.sdk.observe import correlation_id

    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("X-Request-Id"))
        return httpx.Response(200, json={})

    config = AgencyConfig(
        id="police-test", kind="police", name="p", base_url="http://a", secret="s"
    )
    async with Connector(config, transport=httpx.MockTransport(handler)) as connector:
        await connector.request("GET", "/ping")
        token = correlation_id.set("req-42")
        try:
            await connector.request("GET", "/ping")
        finally:
            correlation_id.reset(token)
    assert seen == [None, "req-42"]
