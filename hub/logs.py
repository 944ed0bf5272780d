"""Structured logs: JSON lines with a request id that follows a request around."""

from __future__ import annotations

import logging
import sys
import uuid
from contextvars import ContextVar

import structlog

from hub.settings import Settings

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    value = uuid.uuid4().hex[:16]
    request_id.set(value)
    structlog.contextvars.bind_contextvars(request_id=value)
    return value


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False) if settings.log_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
