"""Structured logs: JSON lines with a request id that follows a request around.

Every HTTP request gets an id (the caller's ``X-Request-Id`` when it sends a
sane one, else a fresh one), echoed in the response's ``X-Request-Id`` and
bound to every log line written while the request runs: resolvers,
services, the connector observer (``hub.metrics``) and stdlib loggers alike.
Work that outlives the request (the dispatcher delivering an outbox row)
carries the id on by storing ``current_request_id()`` with the work and
re-entering it later::

    payload = {"request_id": current_request_id()}        # when the row is written
    with bind_request_id(row.payload.get("request_id")):  # when it is delivered
        ...                                                # log lines carry it
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.sdk.observe import correlation_id
from hub.settings import Settings

REQUEST_ID_HEADER = "X-Request-Id"
# Accept only ids that are safe to log and echo: no spaces, quotes or control characters.
_SANE_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")
# Probes hit these every few seconds; their access lines are debug, not info.
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

# One variable for logs and for the connector, which sends it to agencies as X-Request-Id.
request_id = correlation_id

access_log = structlog.get_logger("hub.access")


def _fresh_id() -> str:
    return uuid.uuid4().hex[:16]


def current_request_id() -> str | None:
    """The id of the request (or delivery) this code runs for, if any."""
    return request_id.get()


@contextmanager
def bind_request_id(value: str | None = None) -> Iterator[str]:
    """Make ``value`` the current request id inside the block; yields the id used.

    ``None`` or an unsafe value (too long, odd characters) is replaced by a
    fresh id, so log lines inside the block always correlate. The previous id
    is restored on exit.
    """
    used = value if value and _SANE_ID.fullmatch(value) else _fresh_id()
    token = request_id.set(used)
    try:
        with structlog.contextvars.bound_contextvars(request_id=used):
            yield used
    finally:
        request_id.reset(token)


class RequestIdMiddleware:
    """Pure ASGI: binds a request id for the request, echoes it, writes one access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        status = 500  # what the client sees if the app fails before it answers
        started = time.perf_counter()
        with bind_request_id(incoming) as rid:

            async def send_with_id(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                    MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
                await send(message)

            try:
                await self.app(scope, receive, send_with_id)
            finally:
                path = scope.get("path", "")
                write = access_log.debug if path in _QUIET_PATHS else access_log.info
                write(
                    "request",
                    method=scope.get("method"),
                    path=path,
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                )


_HANDLER_NAME = "hub-structlog"


def configure_logging(settings: Settings) -> None:
    """JSON lines (or console text) on stderr for structlog and stdlib loggers alike."""
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if settings.log_json
        else structlog.dev.ConsoleRenderer()
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    # stdlib loggers (the connector's, alembic's, uvicorn's errors) render the same way,
    # request id included, so one log pipeline reads everything.
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request at INFO; the connector observer already logs what matters.
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING))
