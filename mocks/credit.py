"""Mock of the public credit information centre (信用): batch JSON, HMAC auth.

``POST /batch/query`` answers up to 100 subjects at once; orders list a debtor
as dishonest (失信), restrict consumption (限高) or delist. Requests are signed
with ``X-Credit-Timestamp`` / ``X-Credit-Signature`` (see ``mocks._common.hmac_ok``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mocks._common import (
    MockAgency,
    Order,
    OrderOutcome,
    build_app,
    hmac_ok,
    json_order_routes,
    read_json,
)

KIND = "credit"
ACTIONS = ("QUERY", "LIST_DISHONEST", "RESTRICT_CONSUMPTION", "DELIST", "LIFT_RESTRICTION")
# what each lifting order removes: 失信 and 限高 are separate decisions, lifted separately
_LIST_LIFTED = {"DELIST": "DISHONEST", "LIFT_RESTRICTION": "CONSUMPTION_RESTRICTION"}
MAX_SUBJECTS = 100
SHANGHAI = ZoneInfo("Asia/Shanghai")
_LIST_OF_ACTION = {"LIST_DISHONEST": "DISHONEST", "RESTRICT_CONSUMPTION": "CONSUMPTION_RESTRICTION"}


def _same_case(a: object, b: object) -> bool:
    """Case numbers compare with either kind of parentheses."""

    def norm(v: object) -> str:
        return str(v or "").replace("(", "（").replace(")", "）").strip()

    return norm(a) == norm(b)


def _entry_view(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "list": entry.get("list"),
        "court": entry.get("court"),
        "case_number": entry.get("case_number"),
        "listed_on": entry.get("listed_on"),
        "measures": list(entry.get("measures") or []),
    }


def _entries(world: dict[str, Any], subject_id: str) -> list[dict[str, Any]]:
    return [e for e in world.get("credit", []) if e.get("subject_id") == subject_id]


def _execute(agency: MockAgency, order: Order) -> OrderOutcome:
    world = agency.world
    subject_id = str(order.subject.get("id_number") or "")
    court = order.details.get("court") or order.fields.get("court")
    case_number = order.details.get("case_number") or order.fields.get("case_number")
    if order.action == "QUERY":
        entries = [_entry_view(e) for e in _entries(world, subject_id)]
        return OrderOutcome("COMPLETED", "listed" if entries else "not_found", {"entries": entries})
    if order.action in _LIST_OF_ACTION:
        kind = _LIST_OF_ACTION[order.action]
        for entry in _entries(world, subject_id):
            if entry.get("list") == kind and _same_case(entry.get("case_number"), case_number):
                return OrderOutcome("COMPLETED", "already_listed", {"entry": _entry_view(entry)})
        measures = list(order.details.get("measures") or [])
        if kind == "CONSUMPTION_RESTRICTION" and kind not in measures:
            measures.insert(0, kind)
        entry = {
            "subject_id": subject_id,
            "list": kind,
            "court": court,
            "case_number": case_number,
            "listed_on": datetime.now(SHANGHAI).date().isoformat(),
            "measures": measures,
        }
        world.setdefault("credit", []).append(entry)
        outcome = "listed" if kind == "DISHONEST" else "restricted"
        return OrderOutcome("COMPLETED", outcome, {"entry": _entry_view(entry)})
    if order.action in _LIST_LIFTED:
        wanted_list = _LIST_LIFTED[order.action]
        keep: list[dict[str, Any]] = []
        removed: list[dict[str, Any]] = []
        for entry in world.get("credit", []):
            hit = (
                entry.get("subject_id") == subject_id
                and _same_case(entry.get("case_number"), case_number)
                and entry.get("list") == wanted_list
            )
            (removed if hit else keep).append(entry)
        for entry in removed:
            # leaving the dishonest list does not lift a restriction on spending (限高)
            measures = [m for m in entry.get("measures") or [] if m != wanted_list]
            if wanted_list == "DISHONEST" and "CONSUMPTION_RESTRICTION" in measures:
                keep.append({**entry, "list": "CONSUMPTION_RESTRICTION", "measures": measures})
        if not removed:
            return OrderOutcome("REJECTED", "not_listed", None)
        world["credit"] = keep
        outcome = "delisted" if order.action == "DELIST" else "lifted"
        return OrderOutcome("COMPLETED", outcome, {"removed": [_entry_view(e) for e in removed]})
    return OrderOutcome("REJECTED", "unsupported_action", None)


def _to_fields(body: dict[str, Any]) -> dict[str, Any]:
    subject = body["subject"]
    if not isinstance(subject, dict) or not subject.get("subject_id"):
        raise ValueError("subject.subject_id required")
    return {
        "request_id": body.get("ref_no"),
        "action": body.get("order_type"),
        "case_number": body.get("case_no"),
        "court": body.get("court_code"),
        "document_number": body.get("doc_no"),
        "subject": {
            "id_number": subject["subject_id"],
            "name": subject.get("subject_name"),
            "kind": subject.get("subject_type", "PERSON"),
        },
        "details": body.get("params") or {},
        "callback_url": body.get("callback_url"),
        "due_at": body.get("due_date"),
    }


def _render(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.ref,
        "state": order.status,
        "order_type": order.action,
        "ref_no": order.request_id,
        "idempotency_key": order.idempotency_key,
        "outcome": order.outcome,
        "result": order.result,
        "urges": order.urges,
        "updated_at": (order.updated_at or order.created_at).isoformat(),
    }


def _routes(agency: MockAgency) -> list[BaseRoute]:
    async def auth(request: Request) -> bool:
        return await hmac_ok(request, "Credit", agency.secret)

    async def batch_query(request: Request) -> Response:
        if not await auth(request):
            return agency.error_response(401, "bad or missing signature")
        body = await read_json(request)
        subjects = body.get("subjects") if isinstance(body, dict) else None
        if not isinstance(subjects, list) or not all(isinstance(s, str) for s in subjects):
            return agency.error_response(400, "subjects must be a list of strings")
        if len(subjects) > MAX_SUBJECTS:
            return agency.error_response(400, f"at most {MAX_SUBJECTS} subjects per batch")
        results = [
            {"subject_id": s, "entries": [_entry_view(e) for e in _entries(agency.world, s)]}
            for s in dict.fromkeys(subjects)
        ]
        return JSONResponse({"results": results})

    return [
        Route("/batch/query", batch_query, methods=["POST"]),
        *json_order_routes(
            agency, "/orders", auth=auth, to_fields=_to_fields, render=_render, actions=ACTIONS
        ),
    ]


_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_ERROR = {
    "type": "object",
    "properties": {
        "error": {"type": "object", "properties": {"code": {"type": "integer"}, "message": _STR}}
    },
}
_ENTRY = {
    "type": "object",
    "properties": {
        "list": {"type": "string", "enum": ["DISHONEST", "CONSUMPTION_RESTRICTION"]},
        "court": _STR,
        "case_number": _STR,
        "listed_on": {"type": "string", "format": "date"},
        "measures": {"type": "array", "items": _STR},
    },
}
_ORDER = {
    "type": "object",
    "required": ["order_id", "state"],
    "properties": {
        "order_id": _STR,
        "state": {"type": "string", "enum": ["RECEIVED", "ACKNOWLEDGED", "COMPLETED", "REJECTED"]},
        "order_type": _STR,
        "ref_no": _NSTR,
        "idempotency_key": _STR,
        "outcome": _NSTR,
        "result": {"type": ["object", "null"]},
        "urges": {"type": "integer"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}
_SIGNED = [
    {"name": "X-Credit-Timestamp", "in": "header", "required": True, "schema": _STR},
    {
        "name": "X-Credit-Signature",
        "in": "header",
        "required": True,
        "description": 'hex HMAC-SHA256(secret, f"{timestamp}\\n{METHOD}\\n{path}\\n" + body)',
        "schema": _STR,
    },
]
_REF = [*_SIGNED, {"name": "ref", "in": "path", "required": True, "schema": _STR}]


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): _json(_ERROR, "error") for c in codes}


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "福建省公共信用信息中心 联合惩戒接口 (mock)", "version": "1.0"},
    "components": {"schemas": {"Entry": _ENTRY, "Order": _ORDER, "Error": _ERROR}},
    "paths": {
        "/batch/query": {
            "post": {
                "summary": "Credit entries of up to 100 subjects (ID numbers or credit codes)",
                "parameters": _SIGNED,
                "requestBody": _json(
                    {
                        "type": "object",
                        "required": ["subjects"],
                        "properties": {
                            "subjects": {"type": "array", "items": _STR, "maxItems": MAX_SUBJECTS}
                        },
                    },
                    "subjects",
                ),
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "results": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "subject_id": _STR,
                                            "entries": {"type": "array", "items": _ENTRY},
                                        },
                                    },
                                }
                            },
                        },
                        "one result per subject",
                    ),
                    **_errors(400, 401, 503),
                },
            }
        },
        "/orders": {
            "post": {
                "summary": "List, restrict or delist (idempotent by key)",
                "parameters": [
                    *_SIGNED,
                    {"name": "Idempotency-Key", "in": "header", "required": True, "schema": _STR},
                ],
                "requestBody": _json(
                    {
                        "type": "object",
                        "required": ["order_type", "subject"],
                        "properties": {
                            "order_type": {"type": "string", "enum": list(ACTIONS)},
                            "ref_no": _STR,
                            "court_code": _STR,
                            "case_no": _STR,
                            "doc_no": _NSTR,
                            "subject": {
                                "type": "object",
                                "required": ["subject_id"],
                                "properties": {
                                    "subject_id": _STR,
                                    "subject_name": _STR,
                                    "subject_type": _STR,
                                },
                            },
                            "params": {"type": "object"},
                            "callback_url": _NSTR,
                            "due_date": _NSTR,
                        },
                    },
                    "order",
                ),
                "responses": {
                    "201": _json(_ORDER, "order received"),
                    "200": _json(_ORDER, "key seen before: the first order"),
                    **_errors(400, 401, 503),
                },
            },
            "get": {
                "summary": "Find an order by idempotency key",
                "parameters": [
                    *_SIGNED,
                    {"name": "idempotency_key", "in": "query", "required": True, "schema": _STR},
                ],
                "responses": {"200": _json(_ORDER, "the order"), **_errors(400, 401, 404)},
            },
        },
        "/orders/{ref}": {
            "get": {
                "summary": "An order's progress",
                "parameters": _REF,
                "responses": {"200": _json(_ORDER, "the order"), **_errors(401, 404)},
            }
        },
        "/orders/{ref}/urge": {
            "post": {
                "summary": "Urge an order (催办)",
                "parameters": _REF,
                "responses": {"200": _json(_ORDER, "the order"), **_errors(401, 404)},
            }
        },
    },
}


def create_app(world: dict[str, Any] | None = None, *, secret: str | None = None) -> Starlette:
    agency = MockAgency(KIND, world, secret=secret, ref_prefix="CR", execute=_execute)
    return build_app(agency, _routes(agency), openapi=OPENAPI)


app = create_app()
