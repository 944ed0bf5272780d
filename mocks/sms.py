"""A mock SMS gateway: accepts messages, records them, fails on request.

``POST /sms`` takes ``{"phone", "text", "reference"}`` and answers
``{"id": ...}``; a repeated ``reference`` is the same message (the hub may
retry one the gateway already took). The admin surface follows the agency
mocks': ``GET /_admin/messages``, ``PUT|GET /_admin/faults`` (merge; unknown
keys are a 400), ``GET /_admin/stats``, ``POST /_admin/reset``. Faults:
``fail_next`` (answer 503 to that many sends) and ``down`` (503 until unset).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mocks._faults import ADMIN_PREFIX
from mocks._http import json_error, read_json

DEFAULT_FAULTS: dict[str, Any] = {"fail_next": 0, "down": False}


@dataclass
class Gateway:
    messages: list[dict[str, Any]] = field(default_factory=list)
    faults: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_FAULTS))
    stats: dict[str, int] = field(default_factory=lambda: {"requests": 0, "sent": 0, "failed": 0})
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # set by every message taken

    def reset(self) -> None:
        self.messages.clear()
        self.faults = dict(DEFAULT_FAULTS)
        self.stats = {"requests": 0, "sent": 0, "failed": 0}

    def failing(self) -> bool:
        if self.faults.get("down"):
            return True
        if int(self.faults.get("fail_next") or 0) > 0:
            self.faults["fail_next"] = int(self.faults["fail_next"]) - 1
            return True
        return False


def build_app(gateway: Gateway | None = None) -> Starlette:
    gw = gateway or Gateway()

    async def send(request: Request) -> Response:
        gw.stats["requests"] += 1
        body = await read_json(request)
        if not isinstance(body, dict):
            return json_error(400, "the body is a JSON object")
        phone, text, ref = body.get("phone"), body.get("text"), body.get("reference")
        if not isinstance(phone, str) or not phone or not isinstance(text, str) or not text:
            return json_error(400, "phone and text are required")
        if gw.failing():
            gw.stats["failed"] += 1
            return json_error(503, "gateway busy")
        for message in gw.messages:
            if ref and message["reference"] == ref:
                return JSONResponse({"id": message["id"]})
        message = {
            "id": f"SMS{len(gw.messages) + 1:06d}",
            "phone": phone,
            "text": text,
            "reference": ref,
            "at": datetime.now(UTC).isoformat(),
        }
        gw.messages.append(message)
        gw.stats["sent"] += 1
        gw.arrived.set()
        return JSONResponse({"id": message["id"]})

    async def messages(request: Request) -> Response:
        return JSONResponse({"messages": gw.messages})

    async def put_faults(request: Request) -> Response:
        changes = await read_json(request)
        if not isinstance(changes, dict):
            return json_error(400, "faults are a JSON object")
        unknown = sorted(set(changes) - set(DEFAULT_FAULTS))
        if unknown:
            return json_error(400, f"unknown fault keys: {unknown}")
        gw.faults.update(changes)
        return JSONResponse(gw.faults)

    async def get_faults(request: Request) -> Response:
        return JSONResponse(gw.faults)

    async def stats(request: Request) -> Response:
        return JSONResponse(gw.stats)

    async def reset(request: Request) -> Response:
        gw.reset()
        return JSONResponse({"ok": True})

    p = ADMIN_PREFIX
    app = Starlette(
        routes=[
            Route("/sms", send, methods=["POST"]),
            Route(f"{p}/messages", messages, methods=["GET"]),
            Route(f"{p}/faults", put_faults, methods=["PUT"]),
            Route(f"{p}/faults", get_faults, methods=["GET"]),
            Route(f"{p}/stats", stats, methods=["GET"]),
            Route(f"{p}/reset", reset, methods=["POST"]),
        ]
    )
    app.state.gateway = gw
    return app


app = build_app()
