"""The one boundary where failures become GraphQL errors with ``extensions.code``.

Hub errors keep their message and code; GraphQL's own parse, validation and
variable errors are the caller's input (``BAD_USER_INPUT``); anything else is a
bug: its message is replaced by an id that also appears in the log.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from graphql import GraphQLError

from hub.errors import HubError

log = structlog.get_logger("hub.graphql")


def _input_field(error: GraphQLError) -> str:
    message = error.message
    for marker in ("Variable '$", "argument '", "Argument '", "field '", "Field '"):
        if marker in message:
            return message.split(marker, 1)[1].split("'", 1)[0].split(".")[0]
    return "query"


def classify(error: GraphQLError) -> tuple[dict[str, Any], str]:
    """``(extensions, message)`` for one error, logging what must be logged."""
    original = error.original_error
    if isinstance(original, HubError):
        return original.extensions(), original.message
    if original is None or isinstance(original, GraphQLError):
        # parse / validation / coercion (a scalar refusing a variable's value raises a
        # GraphQLError of its own): the request itself is wrong
        return {"code": "BAD_USER_INPUT", "field": _input_field(error)}, error.message
    if isinstance(original, (ValueError, TypeError, ArithmeticError)) and error.path is None:
        return {"code": "BAD_USER_INPUT", "field": _input_field(error)}, str(original)
    error_id = uuid.uuid4().hex[:12]
    log.error(
        "unexpected error",
        error_id=error_id,
        path=error.path,
        exc_info=(type(original), original, original.__traceback__),
    )
    return {"code": "INTERNAL", "id": error_id}, f"Internal error (id {error_id})"


def format_errors(errors: list[GraphQLError]) -> list[dict[str, Any]]:
    out = []
    for error in errors:
        extensions, message = classify(error)
        formatted: dict[str, Any] = dict(error.formatted)
        formatted["message"] = message
        formatted["extensions"] = {**(formatted.get("extensions") or {}), **extensions}
        out.append(formatted)
    return out
