"""Reading JSON requests and answering JSON errors, as the JSON mocks do."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


async def read_json(request: Request) -> Any:
    """The request's JSON body, or ``None`` when it is missing or malformed."""
    body = await request.body()
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def json_error(status: int, message: str) -> Response:
    """The default error body of the JSON mocks."""
    return JSONResponse({"error": {"code": status, "message": message}}, status_code=status)
