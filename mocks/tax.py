"""Mock provincial tax bureau (税务局): HMAC-signed JSON, paginated, rate-limited.

Records are served a page at a time; the page token is opaque to clients (a
base64 of the offset and a fingerprint of the query, so a token replayed on
another query is refused). The default page size is small on purpose so that
clients really paginate. Rate limiting (``rate_limit_per_s`` in the faults,
429 + ``Retry-After: 1``) is applied by the shared fault middleware.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mocks._common import (
    MockAgency,
    Order,
    OrderOutcome,
    build_app,
    hmac_ok,
    json_error,
    read_json,
)

KIND = "tax"
ACTIONS = frozenset({"QUERY", "TAX_ASSIST"})
DEFAULT_PAGE_SIZE = 2
MAX_PAGE_SIZE = 100
MAX_TAXPAYERS = 100
CENT = Decimal("0.01")

# Seller-side taxes on a judicial sale of a home, simplified for the demo: VAT at 5 %
# of the price net of VAT, surcharges 12 % of the VAT, income tax assessed at 1 %.
VAT_RATE = Decimal("0.05")
SURCHARGE_RATE = Decimal("0.12")
INCOME_TAX_RATE = Decimal("0.01")


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value if value is not None else "0")).quantize(CENT, ROUND_HALF_UP)
    except InvalidOperation:
        return Decimal("0.00")


def _item(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "taxpayer_id": record.get("taxpayer_id"),
        "year": int(record.get("year", 0)),
        "income": str(_money(record.get("income"))),
        "withholder_code": record.get("withholder_code"),
        "arrears": str(_money(record.get("arrears"))),
    }


def records_of(world: Mapping[str, Any], ids: list[str]) -> list[dict[str, Any]]:
    """Items of these taxpayers in a stable order (taxpayer as asked, then year)."""
    rank = {taxpayer: i for i, taxpayer in enumerate(ids)}
    found = [_item(r) for r in world.get("tax", []) if r.get("taxpayer_id") in rank]
    return sorted(found, key=lambda r: (rank[r["taxpayer_id"]], r["year"]))


# -- page tokens -----------------------------------------------------------------------------


def _fingerprint(ids: list[str], page_size: int) -> str:
    return hashlib.sha256(f"{','.join(ids)}|{page_size}".encode()).hexdigest()[:12]


def encode_token(offset: int, ids: list[str], page_size: int) -> str:
    raw = json.dumps({"o": offset, "q": _fingerprint(ids, page_size)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, ids: list[str], page_size: int) -> int | None:
    """The offset in ``token``, or None when it is malformed or from another query."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError):
        return None
    if data.get("q") != _fingerprint(ids, page_size) or offset < 0:
        return None
    return offset


# -- executing orders ------------------------------------------------------------------------


def _profile(world: Mapping[str, Any], taxpayer: str) -> dict[str, Any]:
    items = records_of(world, [taxpayer])
    arrears = sum((Decimal(i["arrears"]) for i in items), Decimal("0.00"))
    records = [{k: v for k, v in i.items() if k != "taxpayer_id"} for i in items]
    return {"taxpayer_id": taxpayer, "records": records, "arrears": str(arrears)}


def _assess(world: Mapping[str, Any], order: Order) -> OrderOutcome:
    details = order.details
    try:
        price = Decimal(str(details.get("price")))
    except InvalidOperation:
        price = Decimal("NaN")
    if not price.is_finite() or price <= 0:
        return OrderOutcome("REJECTED", "price_required", {"error": "details.price required"})
    taxpayer = str(order.subject.get("id_number", ""))
    vat = (price / (1 + VAT_RATE) * VAT_RATE).quantize(CENT, ROUND_HALF_UP)
    surcharges = (vat * SURCHARGE_RATE).quantize(CENT, ROUND_HALF_UP)
    income_tax = (price * INCOME_TAX_RATE).quantize(CENT, ROUND_HALF_UP)
    arrears = Decimal(_profile(world, taxpayer)["arrears"])
    total = vat + surcharges + income_tax + arrears
    result = {
        "certificate": details.get("certificate"),
        "price": str(price.quantize(CENT, ROUND_HALF_UP)),
        "value_added_tax": str(vat),
        "surcharges": str(surcharges),
        "income_tax": str(income_tax),
        "arrears": str(arrears),
        "total_due": str(total),
    }
    return OrderOutcome("COMPLETED", "assessed", result)


def execute(agency: MockAgency, order: Order) -> OrderOutcome:
    if order.action == "TAX_ASSIST":
        return _assess(agency.world, order)
    profile = _profile(agency.world, str(order.subject.get("id_number", "")))
    return OrderOutcome("COMPLETED", "found" if profile["records"] else "not_found", profile)


# -- handlers --------------------------------------------------------------------------------


def _order_document(order: Order) -> dict[str, Any]:
    view = order.as_dict()
    view["status"] = str(view["status"]).lower()
    return view


async def records(agency: MockAgency, request: Request) -> Response:
    if not await hmac_ok(request, "Tax", agency.secret):
        return json_error(401, "bad or missing signature")
    query = request.query_params
    ids = [t.strip() for t in query.get("taxpayer_id", "").split(",") if t.strip()]
    if not ids or len(ids) > MAX_TAXPAYERS:
        return json_error(400, f"taxpayer_id: 1 to {MAX_TAXPAYERS} comma-separated ids")
    try:
        page_size = int(query.get("page_size", DEFAULT_PAGE_SIZE))
    except ValueError:
        page_size = 0
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        return json_error(400, f"page_size: 1 to {MAX_PAGE_SIZE}")
    offset = 0
    if "page_token" in query:
        decoded = decode_token(query["page_token"], ids, page_size)
        if decoded is None:
            return json_error(400, "invalid page_token")
        offset = decoded
    items = records_of(agency.world, ids)
    page = items[offset : offset + page_size]
    end = offset + page_size
    token = encode_token(end, ids, page_size) if end < len(items) else None
    return JSONResponse({"items": page, "next_page_token": token})


async def submit(agency: MockAgency, request: Request) -> Response:
    if not await hmac_ok(request, "Tax", agency.secret):
        return json_error(401, "bad or missing signature")
    key = request.headers.get("idempotency-key")
    if not key:
        return json_error(400, "Idempotency-Key header required")
    body = await read_json(request)
    if (
        not isinstance(body, dict)
        or body.get("action") not in ACTIONS
        or not isinstance(body.get("subject"), dict)
        or not body["subject"].get("id_number")
    ):
        return json_error(400, f"an order needs action ({', '.join(sorted(ACTIONS))}) and subject")
    order, new = agency.submit_order(key, body)
    receipt = {"reference": order.ref, "status": order.status.lower()}
    return JSONResponse(receipt, status_code=201 if new else 200)


async def get_order(agency: MockAgency, request: Request) -> Response:
    if not await hmac_ok(request, "Tax", agency.secret):
        return json_error(401, "bad or missing signature")
    order = agency.get_order(str(request.path_params["ref"]))
    if order is None:
        return json_error(404, "no such order")
    return JSONResponse(_order_document(order))


async def find_order(agency: MockAgency, request: Request) -> Response:
    if not await hmac_ok(request, "Tax", agency.secret):
        return json_error(401, "bad or missing signature")
    key = request.query_params.get("idempotency_key")
    if not key:
        return json_error(400, "idempotency_key parameter required")
    order = agency.order_by_key(key)
    if order is None:
        return json_error(404, "no such order")
    return JSONResponse(_order_document(order))


async def urge(agency: MockAgency, request: Request) -> Response:
    if not await hmac_ok(request, "Tax", agency.secret):
        return json_error(401, "bad or missing signature")
    body = await read_json(request)
    note = body.get("note") if isinstance(body, dict) else None
    order = agency.urge_order(str(request.path_params["ref"]), str(note) if note else None)
    if order is None:
        return json_error(404, "no such order")
    return JSONResponse({"reference": order.ref, "urges": order.urges})


def _schema(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_MONEY = {"type": "string", "pattern": r"^\d+\.\d{2}$"}
_ERROR = _schema({"error": _schema({"code": {"type": "integer"}, "message": _STR})})
_ORDER = _schema(
    {
        "reference": _STR,
        "idempotency_key": _STR,
        "request_id": _NSTR,
        "action": _STR,
        "status": {"enum": ["received", "acknowledged", "completed", "rejected"]},
        "outcome": _NSTR,
        "result": {"type": ["object", "null"]},
        "urges": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
    ["reference", "status"],
)


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_SIGNED: list[dict[str, list[str]]] = [{"taxSignature": [], "taxTimestamp": []}]
_REF = {"name": "ref", "in": "path", "required": True, "schema": _STR}
_NOT_FOUND = _json(_ERROR, "no such order")

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "税务局 court linkage interface",
        "version": "2.0",
        "description": (
            "Every call is signed: X-Tax-Timestamp (unix seconds, at most 300 s old) and "
            "X-Tax-Signature = hex HMAC-SHA256(secret, timestamp + '\\n' + METHOD + '\\n' + "
            "path + '\\n' + raw body). Calls over the rate limit answer 429 with Retry-After."
        ),
    },
    "components": {
        "securitySchemes": {
            "taxTimestamp": {"type": "apiKey", "in": "header", "name": "X-Tax-Timestamp"},
            "taxSignature": {"type": "apiKey", "in": "header", "name": "X-Tax-Signature"},
        },
    },
    "security": _SIGNED,
    "paths": {
        "/v2/taxpayers/records": {
            "get": {
                "summary": "Tax records of taxpayers, a page at a time",
                "parameters": [
                    {"name": "taxpayer_id", "in": "query", "required": True, "schema": _STR},
                    {
                        "name": "page_size",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                    },
                    {"name": "page_token", "in": "query", "schema": _STR},
                ],
                "responses": {
                    "200": _json(
                        _schema(
                            {
                                "items": {
                                    "type": "array",
                                    "items": _schema(
                                        {
                                            "taxpayer_id": _STR,
                                            "year": {"type": "integer"},
                                            "income": _MONEY,
                                            "withholder_code": _NSTR,
                                            "arrears": _MONEY,
                                        }
                                    ),
                                },
                                "next_page_token": _NSTR,
                            },
                            ["items", "next_page_token"],
                        ),
                        "one page",
                    ),
                    "400": _json(_ERROR, "bad parameters or page token"),
                    "401": _json(_ERROR, "bad signature"),
                    "429": _json(_ERROR, "rate limit exceeded; see Retry-After"),
                },
            }
        },
        "/v2/assistance": {
            "post": {
                "summary": "File an assistance order (QUERY, TAX_ASSIST)",
                "parameters": [
                    {"name": "Idempotency-Key", "in": "header", "required": True, "schema": _STR}
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": _schema(
                                {
                                    "request_id": _STR,
                                    "action": {"enum": sorted(ACTIONS)},
                                    "case_number": _STR,
                                    "court": _STR,
                                    "document_number": _NSTR,
                                    "subject": _schema(
                                        {"id_number": _STR, "name": _STR, "kind": _STR},
                                        ["id_number"],
                                    ),
                                    "details": {"type": "object"},
                                    "callback_url": _NSTR,
                                    "due_at": _NSTR,
                                },
                                ["action", "subject"],
                            )
                        }
                    },
                },
                "responses": {
                    "201": _json(_schema({"reference": _STR, "status": _STR}), "taken"),
                    "200": _json(_schema({"reference": _STR, "status": _STR}), "known key"),
                    "400": _json(_ERROR, "malformed order or no Idempotency-Key"),
                },
            },
            "get": {
                "summary": "Find an order by its idempotency key",
                "parameters": [
                    {"name": "idempotency_key", "in": "query", "required": True, "schema": _STR}
                ],
                "responses": {"200": _json(_ORDER, "the order"), "404": _NOT_FOUND},
            },
        },
        "/v2/assistance/{ref}": {
            "get": {
                "summary": "An order's progress",
                "parameters": [_REF],
                "responses": {"200": _json(_ORDER, "the order"), "404": _NOT_FOUND},
            }
        },
        "/v2/assistance/{ref}/urge": {
            "post": {
                "summary": "Urge an order (催办)",
                "parameters": [_REF],
                "requestBody": {
                    "content": {"application/json": {"schema": _schema({"note": _NSTR})}}
                },
                "responses": {
                    "200": _json(_schema({"reference": _STR, "urges": {"type": "integer"}}), "ok"),
                    "404": _NOT_FOUND,
                },
            }
        },
    },
}


def create_app(world: dict[str, Any] | None = None, *, secret: str | None = None) -> Starlette:
    agency = MockAgency(KIND, world, secret=secret, ref_prefix="TX", execute=execute)
    routes = [
        Route("/v2/taxpayers/records", partial(records, agency), methods=["GET"]),
        Route("/v2/assistance", partial(submit, agency), methods=["POST"]),
        Route("/v2/assistance", partial(find_order, agency), methods=["GET"]),
        Route("/v2/assistance/{ref}", partial(get_order, agency), methods=["GET"]),
        Route("/v2/assistance/{ref}/urge", partial(urge, agency), methods=["POST"]),
    ]
    return build_app(agency, routes, openapi=OPENAPI)


app = create_app()
