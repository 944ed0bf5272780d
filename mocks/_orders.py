"""Orders as a mock's book holds them, and the order routes of the JSON mocks.

An order moves RECEIVED → ACKNOWLEDGED → COMPLETED or REJECTED (see
``MockAgency.advance``); ``OrderOutcome`` is what the kind's ``execute``
decides when it completes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mocks._http import read_json

if TYPE_CHECKING:
    from mocks._agency import MockAgency

ORDER_STATUSES = ("RECEIVED", "ACKNOWLEDGED", "COMPLETED", "REJECTED")  # as stored in Order.status


@dataclass(frozen=True)
class OrderOutcome:
    """What ``execute`` decides for an order: COMPLETED or REJECTED, outcome, result."""

    status: str
    outcome: str
    result: dict[str, Any] | None = None


@dataclass
class OrderEvent:
    event_id: str
    status: str
    at: datetime
    # news on an order that stays open (a watch's sighting): reported without a status change
    outcome: str | None = None
    result: dict[str, Any] | None = None


@dataclass
class Order:
    """One assistance order in a mock's book; ``fields`` holds the hub's names."""

    ref: str
    idempotency_key: str
    fields: dict[str, Any]
    created_at: datetime
    ack_due: float
    complete_due: float
    status: str = "RECEIVED"
    outcome: str | None = None
    result: dict[str, Any] | None = None
    urges: int = 0
    notes: list[str] = field(default_factory=list)
    events: list[OrderEvent] = field(default_factory=list)
    updated_at: datetime | None = None

    @property
    def action(self) -> str:
        return str(self.fields.get("action") or "")

    @property
    def request_id(self) -> str | None:
        value = self.fields.get("request_id")
        return str(value) if value is not None else None

    @property
    def callback_url(self) -> str | None:
        value = self.fields.get("callback_url")
        return str(value) if value else None

    @property
    def subject(self) -> dict[str, Any]:
        value = self.fields.get("subject")
        return value if isinstance(value, dict) else {}

    @property
    def details(self) -> dict[str, Any]:
        value = self.fields.get("details")
        return value if isinstance(value, dict) else {}

    @property
    def terminal(self) -> bool:
        return self.status in ("COMPLETED", "REJECTED")

    def as_dict(self) -> dict[str, Any]:
        """A hub-neutral view; kinds reshape it into their own style."""
        return {
            "reference": self.ref,
            "idempotency_key": self.idempotency_key,
            "request_id": self.request_id,
            "action": self.action,
            "status": self.status,
            "outcome": self.outcome,
            "result": self.result,
            "urges": self.urges,
            "created_at": self.created_at.isoformat(),
            "updated_at": (self.updated_at or self.created_at).isoformat(),
        }


Auth = Callable[[Request], Awaitable[bool]]


def json_order_routes(
    agency: MockAgency,
    base: str,
    *,
    auth: Auth,
    to_fields: Callable[[dict[str, Any]], dict[str, Any]],
    render: Callable[[Order], dict[str, Any]],
    actions: Collection[str],
    created_status: int = 201,
    key_param: str = "idempotency_key",
) -> list[BaseRoute]:
    """The four order routes of a JSON mock, in its own style.

    ``POST {base}`` (``Idempotency-Key`` required; ``to_fields`` maps the body
    to the hub's field names or raises ``ValueError``; answers
    ``created_status`` for a new order, 200 for a repeated key),
    ``GET {base}?{key_param}=K``, ``GET {base}/{ref}``, ``POST {base}/{ref}/urge``
    (optional body ``{"note": ...}``). ``render`` shapes an order into the reply.
    """

    async def submit(request: Request) -> Response:
        if not await auth(request):
            return agency.error_response(401, "unauthorized")
        key = request.headers.get("idempotency-key", "").strip()
        if not key:
            return agency.error_response(400, "Idempotency-Key header required")
        body = await read_json(request)
        if not isinstance(body, dict):
            return agency.error_response(400, "order body must be a JSON object")
        try:
            fields = to_fields(body)
        except (ValueError, KeyError, TypeError) as exc:
            return agency.error_response(400, f"malformed order: {exc}")
        if fields.get("action") not in actions:
            return agency.error_response(400, "unsupported action")
        order, created = agency.submit_order(key, fields)
        return JSONResponse(render(order), status_code=created_status if created else 200)

    async def by_key(request: Request) -> Response:
        if not await auth(request):
            return agency.error_response(401, "unauthorized")
        key = request.query_params.get(key_param, "")
        if not key:
            return agency.error_response(400, f"{key_param} required")
        order = agency.order_by_key(key)
        if order is None:
            return agency.error_response(404, "no order with that key")
        return JSONResponse(render(order))

    async def get(request: Request) -> Response:
        if not await auth(request):
            return agency.error_response(401, "unauthorized")
        order = agency.get_order(request.path_params["ref"])
        if order is None:
            return agency.error_response(404, "no such order")
        return JSONResponse(render(order))

    async def urge(request: Request) -> Response:
        if not await auth(request):
            return agency.error_response(401, "unauthorized")
        body = await read_json(request)
        note = body.get("note") if isinstance(body, dict) else None
        note = note if isinstance(note, str) else None
        order = agency.urge_order(request.path_params["ref"], note)
        if order is None:
            return agency.error_response(404, "no such order")
        return JSONResponse(render(order))

    return [
        Route(base, submit, methods=["POST"]),
        Route(base, by_key, methods=["GET"]),
        Route(f"{base}/{{ref}}", get, methods=["GET"]),
        Route(f"{base}/{{ref}}/urge", urge, methods=["POST"]),
    ]
