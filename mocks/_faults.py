"""Fault injection: the switches, the stats, and the middleware that applies them.

Every call outside the admin surface is counted in ``requests`` / ``by_path``
and faulted BEFORE any handler runs, so a faulted call has no effect: ``down``
→ 503; ``rate_limit_per_s`` exceeded → 429 ``Retry-After: 1``; latency +
jitter; ``timeout_rate`` → sleeps ``timeout_ms`` then 504 (or nothing, if the
client has gone); ``error_rate`` → ``status`` (503 by default). 503/``status``
answers carry ``Retry-After`` when ``retry_after`` is set.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from mocks._agency import MockAgency

ADMIN_PREFIX = "/_admin"

DEFAULT_FAULTS: dict[str, Any] = {
    "error_rate": 0.0,
    "status": 503,
    "retry_after": None,
    "latency_ms": 0,
    "jitter_ms": 0,
    "timeout_rate": 0.0,
    "timeout_ms": 10000,
    "down": False,
    "complete_after_ms": 300,
    "callbacks": True,
    "rate_limit_per_s": None,
    "seed": None,  # re-seeds the fault dice, for reproducible runs
}

STAT_KEYS: tuple[str, ...] = (
    "requests",
    "assistance_received",
    "assistance_duplicates",
    "urges",
    "callbacks_sent",
    "callbacks_failed",
)


class FaultMiddleware:
    """Counts and faults every non-admin call before it reaches a handler."""

    def __init__(self, app: ASGIApp, agency: MockAgency) -> None:
        self.app = app
        self.agency = agency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        agency = self.agency
        faults = agency.faults
        agency.stats["requests"] += 1
        agency.by_path[scope["path"]] += 1
        agency.advance_all()
        if faults.get("down"):
            await self._error(scope, receive, send, 503, "service down")
            return
        if agency.over_rate_limit():
            response = agency.error_response(429, "rate limit exceeded")
            response.headers["Retry-After"] = "1"
            await response(scope, receive, send)
            return
        latency_ms = float(faults.get("latency_ms") or 0)
        jitter_ms = float(faults.get("jitter_ms") or 0)
        if jitter_ms:
            latency_ms += agency.rng.uniform(0, jitter_ms)
        if latency_ms > 0:
            await asyncio.sleep(latency_ms / 1000)
        if agency.roll("timeout_rate"):
            await self._time_out(scope, receive, send)
            return
        if agency.roll("error_rate"):
            status = int(faults.get("status") or 503)
            await self._error(scope, receive, send, status, "injected fault")
            return
        await self.app(scope, receive, send)

    async def _error(
        self, scope: Scope, receive: Receive, send: Send, status: int, msg: str
    ) -> None:
        response = self.agency.error_response(status, msg)
        retry_after = self.agency.faults.get("retry_after")
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        await response(scope, receive, send)

    async def _time_out(self, scope: Scope, receive: Receive, send: Send) -> None:
        delay = float(self.agency.faults.get("timeout_ms") or 0) / 1000
        # The handler never runs; stop early if the client hangs up meanwhile.
        sleeper = asyncio.ensure_future(asyncio.sleep(delay))
        watcher = asyncio.ensure_future(_until_disconnect(receive))
        try:
            done, _ = await asyncio.wait({sleeper, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, watcher):
                task.cancel()
            await asyncio.gather(sleeper, watcher, return_exceptions=True)
        if sleeper in done:
            await self.agency.error_response(504, "gateway timeout")(scope, _no_body, send)


async def _until_disconnect(receive: Receive) -> None:
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            return


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}
