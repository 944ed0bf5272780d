"""The retrying connector every adapter talks through.

One ``Connector`` per agency instance owns one ``httpx.AsyncClient`` (its
transport injectable: ``httpx.MockTransport`` in unit tests,
``httpx.ASGITransport(app=...)`` against a mock), signs requests in the
agency's auth style, and turns every HTTP failure into a ``hub.errors``
upstream error that names the agency, never the citizen::

    response = await connector.request("GET", "/api/v1/assistance/PL-000001")
    response = await connector.request("POST", "/api/v1/assistance", json=order,
                                       idempotency_key=order["idempotency_key"])

Failures are classified once, per attempt: transport errors, timeouts, 429
and 5xx are retriable; any other 4xx is fatal (``UpstreamRejected``) unless
the caller lists it in ``ok_statuses`` (a 404 from a lookup, say). Reads
(GET/HEAD/OPTIONS) are retried; other methods only with an
``idempotency_key`` (sent as ``Idempotency-Key``) or ``idempotent=True`` (a
search sent as POST), so a write is never delivered twice by us. Waits are
exponential backoff with full jitter, or the agency's ``Retry-After``
(capped). Every attempt runs under the per-attempt timeout and the whole
call under the deadline; when retries are spent the call raises
``UpstreamTimeout`` (the last failure was a timeout) or
``UpstreamUnavailable``. A circuit breaker per connector fails calls fast with
``CircuitOpen`` while the agency is known to be down.

Attempts are counted for whoever asks: ``track_calls()`` for the code around
a call, ``add_observer()`` for metrics.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type
from tenacity.wait import wait_base, wait_none, wait_random_exponential

from adapters.sdk.auth import _auth, hmac_signature
from adapters.sdk.breaker import BreakerState, CircuitBreaker
from adapters.sdk.config import AgencyConfig
from adapters.sdk.errors import CircuitOpen, UpstreamRejected, UpstreamTimeout, UpstreamUnavailable
from adapters.sdk.observe import (
    AttemptEvent,
    BreakerEvent,
    CallStats,
    ConnectorEvent,
    Observer,
    Outcome,
    _count,
    _emit,
    _observers,
    add_observer,
    correlation_id,
    remove_observer,
    traced_attempt,
    traced_call,
    track_calls,
)

__all__ = [
    "SAFE_METHODS",
    "USER_AGENT",
    "AttemptEvent",
    "BreakerEvent",
    "BreakerState",
    "CallStats",
    "CircuitBreaker",
    "Connector",
    "ConnectorEvent",
    "Observer",
    "Outcome",
    "RetryPolicy",
    "Sleep",
    "add_observer",
    "hmac_signature",
    "parse_retry_after",
    "remove_observer",
    "track_calls",
]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
USER_AGENT = "linkage-hub/0.1"
_TIMEOUT_KEYS = ("connect", "read", "write", "pool")


# -- policy --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one connector tries, and when it stops trying at all.

    ``wait`` replaces the backoff (a tenacity wait strategy: tests pass
    ``wait_none()``); ``sleep`` replaces ``asyncio.sleep`` (tests pass a
    recorder to see the waits asked for without spending them).
    """

    max_attempts: int = 3
    timeout_s: float = 2.0  # one attempt
    deadline_s: float = 6.0  # one call: all attempts and the waits between them
    backoff_base_s: float = 0.1  # first backoff window; doubles per attempt (full jitter)
    backoff_max_s: float = 2.0
    retry_after_cap_s: float = 5.0  # an agency's Retry-After is honoured up to this
    breaker_window: int = 20  # the last N attempt outcomes are weighed
    breaker_min_calls: int = 10  # fewer outcomes than this never open the circuit
    breaker_failure_ratio: float = 0.5
    breaker_open_s: float = 5.0  # then half-open: one probe decides
    max_concurrency: int = 16  # attempts in flight to this agency
    wait: wait_base | None = field(default=None, compare=False)
    sleep: Sleep | None = field(default=None, compare=False)

    @classmethod
    def from_config(cls, config: AgencyConfig) -> RetryPolicy:
        return cls(
            max_attempts=max(1, config.max_attempts),
            timeout_s=config.timeout_s,
            deadline_s=config.deadline_s,
            max_concurrency=max(1, config.max_concurrency),
        )

    def without_waits(self) -> RetryPolicy:
        """The same policy with every wait between attempts dropped (for tests)."""
        return replace(self, wait=wait_none(), retry_after_cap_s=0.0)

    def backoff(self) -> wait_base:
        if self.wait is not None:
            return self.wait
        return wait_random_exponential(multiplier=self.backoff_base_s, max=self.backoff_max_s)


# -- failures ------------------------------------------------------------------------------------


class _Retriable(Exception):
    """One failed attempt worth another try; ``detail`` is safe to show (no URL, no body)."""

    def __init__(
        self,
        detail: str,
        *,
        timeout: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
        sent: bool = True,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.timeout = timeout
        self.status = status
        self.retry_after = retry_after
        self.sent = sent  # False: it never left the hub, so it says nothing of the agency


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _status_text(response: httpx.Response) -> str:
    phrase = response.reason_phrase
    return f"HTTP {response.status_code}" + (f" {phrase}" if phrase else "")


def _plural(n: int) -> str:
    return f"{n} attempt" + ("" if n == 1 else "s")


# -- the connector -------------------------------------------------------------------------------


class Connector:
    """HTTP to one agency instance: auth, retries, timeouts, breaker, counting."""

    def __init__(
        self,
        config: AgencyConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: RetryPolicy | None = None,
        auth: str = "bearer",
    ) -> None:
        self.config = config
        self.policy = policy or RetryPolicy.from_config(config)
        self.auth_style = auth
        self.breaker = CircuitBreaker(self.policy, on_change=self._breaker_changed)
        self._semaphore = asyncio.Semaphore(max(1, self.policy.max_concurrency))
        self._client = httpx.AsyncClient(
            base_url=config.base_url or "",
            transport=transport,
            auth=_auth(auth, config),
            timeout=self.policy.timeout_s,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=max(1, self.policy.max_concurrency)),
        )

    @property
    def agency_id(self) -> str:
        return self.config.id

    @property
    def client(self) -> httpx.AsyncClient:
        """The underlying client, for the rare call that must bypass retries."""
        return self._client

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        ok_statuses: Collection[int] = frozenset(),
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send one logical call, retrying where that is safe; return the response.

        Returns 1xx–3xx responses and any status in ``ok_statuses``. Raises
        ``UpstreamRejected`` (other 4xx, not retried), ``UpstreamTimeout``,
        ``UpstreamUnavailable`` or ``CircuitOpen``, each with ``agency_id`` and
        ``attempts``. ``idempotent=True`` marks a POST that only reads (a
        search, a query job) so it is retried like a GET; ``False`` forbids retries.
        """
        method = method.upper()
        sent_headers = dict(headers or {})
        if idempotency_key is not None:
            sent_headers["Idempotency-Key"] = idempotency_key
        correlation = correlation_id.get()
        if correlation is not None:
            sent_headers.setdefault("X-Request-Id", correlation)
        if idempotent is None:
            idempotent = method in SAFE_METHODS or idempotency_key is not None
        request = self._client.build_request(
            method, path, params=params, json=json, content=content, headers=sent_headers
        )
        loop = asyncio.get_running_loop()
        deadline_at = loop.time() + self.policy.deadline_s
        accepted = frozenset(ok_statuses)
        attempts = 0

        async def attempt() -> httpx.Response:
            nonlocal attempts
            attempts += 1
            return await self._attempt(request, attempts, deadline_at, accepted)

        _count(calls=1)
        with traced_call(self.agency_id, self.config.kind, method):
            try:
                async for trying in self._retrying(idempotent, deadline_at):
                    with trying:
                        return await attempt()
            except _Retriable as exc:
                _count(errors=1)
                raise self._exhausted(exc, attempts) from exc
            except BaseException:
                _count(errors=1)
                raise
        raise AssertionError("unreachable: tenacity returns or raises")  # pragma: no cover

    def _retrying(self, idempotent: bool, deadline_at: float) -> AsyncRetrying:
        """The one place retries are decided: what, how many, how long to wait, when to stop."""
        policy = self.policy
        backoff = policy.backoff()
        loop = asyncio.get_running_loop()

        def wait(state: RetryCallState) -> float:
            failure = state.outcome.exception() if state.outcome else None
            if isinstance(failure, _Retriable) and failure.retry_after is not None:
                return min(failure.retry_after, policy.retry_after_cap_s)
            return float(backoff(state))

        def stop(state: RetryCallState) -> bool:
            if not idempotent or state.attempt_number >= policy.max_attempts:
                return True
            # Never sleep past the deadline: a wait that would end after it is not begun.
            return loop.time() + state.upcoming_sleep >= deadline_at

        return AsyncRetrying(
            retry=retry_if_exception_type(_Retriable),
            wait=wait,
            stop=stop,
            sleep=policy.sleep or asyncio.sleep,
            reraise=True,
        )

    async def _attempt(
        self, request: httpx.Request, number: int, deadline_at: float, ok: frozenset[int]
    ) -> httpx.Response:
        loop = asyncio.get_running_loop()
        method = request.method
        probe = self.breaker.acquire()
        if probe is None:
            self._observe(method, "circuit_open", None, 0.0, number)
            raise CircuitOpen(
                self.agency_id,
                f"circuit open, not sent (after {_plural(number - 1)})",
                attempts=number - 1,
            )
        started = loop.time()
        try:
            response = await self._send(request, deadline_at)
        except _Retriable as exc:
            if not exc.sent:
                if probe:
                    self.breaker.release_probe()
            else:
                # A 429 is a live agency pacing us: Retry-After handles it, not the breaker.
                self.breaker.record(exc.status == 429, probe=probe)
            outcome: Outcome = "timeout" if exc.timeout else "retriable"
            self._observe(method, outcome, exc.status, loop.time() - started, number)
            _count(failures=1)
            raise
        except BaseException:
            if probe:
                self.breaker.release_probe()
            raise
        # The agency answered: that is a healthy agency, whatever it thought of the request.
        self.breaker.record(True, probe=probe)
        status = response.status_code
        if status < 400 or status in ok:
            self._observe(method, "ok", status, loop.time() - started, number)
            return response
        self._observe(method, "fatal", status, loop.time() - started, number)
        _count(failures=1)
        raise UpstreamRejected(
            self.agency_id, f"{method} rejected: {_status_text(response)}", attempts=number
        )

    async def _send(self, request: httpx.Request, deadline_at: float) -> httpx.Response:
        """One attempt: wait for a slot, send within the budget, classify 429/5xx/errors."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(max(0.0, deadline_at - loop.time())):
                await self._semaphore.acquire()
        except TimeoutError as exc:
            raise _Retriable("no free slot before the deadline", timeout=True, sent=False) from exc
        try:
            budget = min(self.policy.timeout_s, deadline_at - loop.time())
            _count(attempts=1)
            # httpx's own timeout covers real sockets; asyncio.timeout also covers
            # ASGITransport, which ignores timeouts.
            request.extensions["timeout"] = dict.fromkeys(_TIMEOUT_KEYS, budget)
            try:
                async with asyncio.timeout(budget):
                    with traced_attempt(self.agency_id, self.config.kind, request.headers) as t:
                        response = await self._client.send(request)
                        t.status(response.status_code)
            except (TimeoutError, httpx.TimeoutException) as exc:
                raise _Retriable(f"no answer within {budget:.3g} s", timeout=True) from exc
            except httpx.RequestError as exc:
                raise _Retriable(type(exc).__name__) from exc
        finally:
            self._semaphore.release()
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retriable(
                _status_text(response),
                status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        return response

    def _exhausted(self, exc: _Retriable, attempts: int) -> UpstreamUnavailable | UpstreamTimeout:
        if exc.timeout:
            return UpstreamTimeout(
                self.agency_id,
                f"timed out ({exc.detail}) after {_plural(attempts)}",
                attempts=attempts,
            )
        return UpstreamUnavailable(
            self.agency_id, f"{exc.detail} after {_plural(attempts)}", attempts=attempts
        )

    def _observe(
        self, method: str, outcome: Outcome, status: int | None, latency: float, number: int
    ) -> None:
        if _observers:
            _emit(
                AttemptEvent(
                    self.agency_id, self.config.kind, method, outcome, status, latency, number
                )
            )

    def _breaker_changed(self, previous: BreakerState, state: BreakerState) -> None:
        log.info("agency %s: circuit %s → %s", self.agency_id, previous, state)
        _emit(BreakerEvent(self.agency_id, self.config.kind, previous, state))

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Connector:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
