"""Mock of the provincial police system (公安): JSON REST under ``/api/v1``, bearer token.

Persons (household registration, residence, travel), vehicles with sightings,
and assistance orders: QUERY, LOCATE_PERSON (查找下落), CONTROL_VEHICLE
(查控车辆), DETAIN (司法拘留协助), WATCH (布控: stays open; when the world gains a
sighting of a watched plate — ``PUT /_admin/world`` — the order reports it by
callback, ``result.sightings`` with the new ones, its status unchanged, and
its polled ``result.sightings`` lists all reported so far). Built on
``mocks._common``.
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
    bearer_ok,
    build_app,
    json_order_routes,
    read_json,
)

KIND = "police"
ACTIONS = ("QUERY", "LOCATE_PERSON", "CONTROL_VEHICLE", "DETAIN", "WATCH")
MAX_IDS = 100
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _persons(world: dict[str, Any], ids: set[str]) -> list[dict[str, Any]]:
    return [p for p in world.get("persons", []) if p.get("id_number") in ids]


def _vehicles(world: dict[str, Any], ids: set[str]) -> list[dict[str, Any]]:
    return [v for v in world.get("vehicles", []) if v.get("owner_id") in ids]


def _person_view(person: dict[str, Any]) -> dict[str, Any]:
    return {
        "id_number": person.get("id_number"),
        "name": person.get("name"),
        "household_address": person.get("household_address"),
        "residence": person.get("residence"),
        "travel": list(person.get("travel") or []),
    }


def _vehicle_view(vehicle: dict[str, Any]) -> dict[str, Any]:
    return {
        "plate": vehicle.get("plate"),
        "owner_id": vehicle.get("owner_id"),
        "model": vehicle.get("model"),
        "sightings": list(vehicle.get("sightings") or []),
    }


def _execute(agency: MockAgency, order: Order) -> OrderOutcome:
    world = agency.world
    ids = {str(order.subject.get("id_number") or "")}
    persons = _persons(world, ids)
    vehicles = _vehicles(world, ids)
    case = {"court": order.fields.get("court"), "case_number": order.fields.get("case_number")}
    if order.action == "QUERY":
        result = {
            "persons": [_person_view(p) for p in persons],
            "vehicles": [_vehicle_view(v) for v in vehicles],
        }
        return OrderOutcome("COMPLETED", "found" if persons or vehicles else "not_found", result)
    if order.action == "LOCATE_PERSON":
        if not persons:
            return OrderOutcome("COMPLETED", "not_found", {})
        person = persons[0]
        travel = sorted(person.get("travel") or [], key=lambda t: str(t.get("date")))
        sightings = sorted(
            (s for v in vehicles for s in v.get("sightings") or []), key=lambda s: str(s.get("at"))
        )
        return OrderOutcome(
            "COMPLETED",
            "located",
            {
                "household_address": person.get("household_address"),
                "residence": person.get("residence"),
                "latest_travel": travel[-1] if travel else None,
                "latest_sighting": sightings[-1] if sightings else None,
            },
        )
    if order.action == "CONTROL_VEHICLE":
        wanted = order.details.get("plates") or (
            [order.details["plate"]] if order.details.get("plate") else None
        )
        chosen = [v for v in vehicles if wanted is None or v.get("plate") in wanted]
        if not chosen:
            return OrderOutcome("COMPLETED", "not_found", {"controlled": []})
        for vehicle in chosen:
            vehicle["controlled_by"] = case
        return OrderOutcome("COMPLETED", "controlled", {"controlled": [v["plate"] for v in chosen]})
    if order.action == "WATCH":
        # a standing watch (布控): taken and kept open until the court cancels it; sightings
        # the world already knows are not news (_report_sightings sends the new ones)
        plate = order.details.get("plate")
        seen = agency.state.setdefault("watch_seen", {})
        seen[order.ref] = {_sighting_key(s) for s in _watched_sightings(world, order)}
        watched: dict[str, Any] = {"plate": plate} if plate else {}
        return OrderOutcome("ACKNOWLEDGED", "watching", {**watched, "sightings": []})
    if order.action == "DETAIN":
        if not persons:
            return OrderOutcome("REJECTED", "person_not_found", None)
        persons[0]["detained"] = case
        today = datetime.now(SHANGHAI).date().isoformat()
        place = persons[0].get("residence")
        return OrderOutcome("COMPLETED", "detained", {"detained_on": today, "place": place})
    return OrderOutcome("REJECTED", "unsupported_action", None)


def _watched_plates(world: dict[str, Any], order: Order) -> set[str]:
    details = order.details
    named = details.get("plates") or ([details["plate"]] if details.get("plate") else None)
    if named:
        return {str(p) for p in named}
    owner = str(order.subject.get("id_number") or "")
    return {str(v.get("plate")) for v in _vehicles(world, {owner})}


def _watched_sightings(world: dict[str, Any], order: Order) -> list[dict[str, Any]]:
    plates = _watched_plates(world, order)
    return [
        {"plate": v.get("plate"), "at": s.get("at"), "place": s.get("place")}
        for v in world.get("vehicles", [])
        if v.get("plate") in plates
        for s in v.get("sightings") or []
        if isinstance(s, dict)
    ]


def _sighting_key(sighting: dict[str, Any]) -> tuple[str, str, str]:
    return (str(sighting.get("plate")), str(sighting.get("at")), str(sighting.get("place")))


def _report_sightings(agency: MockAgency) -> None:
    """The world changed: each open watch reports the sightings it has not reported yet."""
    seen: dict[str, set[tuple[str, str, str]]] = agency.state.setdefault("watch_seen", {})
    for order in agency.orders.values():
        if order.action != "WATCH" or order.status != "ACKNOWLEDGED" or order.ref not in seen:
            continue
        fresh = [
            s
            for s in _watched_sightings(agency.world, order)
            if _sighting_key(s) not in seen[order.ref]
        ]
        if not fresh:
            continue
        seen[order.ref].update(_sighting_key(s) for s in fresh)
        result = dict(order.result or {})
        result["sightings"] = [*result.get("sightings", []), *fresh]
        order.result = result
        order.outcome = "sighted"
        agency.report(order, "sighted", {"sightings": fresh})


def _to_fields(body: dict[str, Any]) -> dict[str, Any]:
    target = body["target"]
    if not isinstance(target, dict) or not target.get("id_number"):
        raise ValueError("target.id_number required")
    return {
        "request_id": body.get("request_no"),
        "action": body.get("type"),
        "case_number": body.get("case_no"),
        "court": body.get("court"),
        "document_number": body.get("document_no"),
        "subject": {
            "id_number": target["id_number"],
            "name": target.get("name"),
            "kind": target.get("kind", "PERSON"),
        },
        "details": body.get("details") or {},
        "callback_url": body.get("notify_url"),
        "due_at": body.get("deadline"),
    }


def _render(order: Order) -> dict[str, Any]:
    return {
        "reference": order.ref,
        "status": order.status.lower(),
        "type": order.action,
        "request_no": order.request_id,
        "idempotency_key": order.idempotency_key,
        "outcome": order.outcome,
        "result": order.result,
        "urges": order.urges,
        "updated_at": (order.updated_at or order.created_at).isoformat(),
    }


def _routes(agency: MockAgency) -> list[BaseRoute]:
    async def auth(request: Request) -> bool:
        return bearer_ok(request, agency.secret)

    async def search(request: Request, key: str) -> list[str] | Response:
        if not await auth(request):
            return agency.error_response(401, "unauthorized")
        body = await read_json(request)
        ids = body.get(key) if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            return agency.error_response(400, f"{key} must be a list of strings")
        if len(ids) > MAX_IDS:
            return agency.error_response(400, f"at most {MAX_IDS} {key} per call")
        return ids

    async def persons(request: Request) -> Response:
        ids = await search(request, "id_numbers")
        if isinstance(ids, Response):
            return ids
        found = _persons(agency.world, set(ids))
        return JSONResponse({"persons": [_person_view(p) for p in found]})

    async def vehicles(request: Request) -> Response:
        ids = await search(request, "owner_ids")
        if isinstance(ids, Response):
            return ids
        found = _vehicles(agency.world, set(ids))
        return JSONResponse({"vehicles": [_vehicle_view(v) for v in found]})

    return [
        Route("/api/v1/persons/search", persons, methods=["POST"]),
        Route("/api/v1/vehicles/search", vehicles, methods=["POST"]),
        *json_order_routes(
            agency,
            "/api/v1/assistance",
            auth=auth,
            to_fields=_to_fields,
            render=_render,
            actions=ACTIONS,
        ),
    ]


def _schema(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_ORDER = _schema(
    {
        "reference": _STR,
        "status": {"type": "string", "enum": ["received", "acknowledged", "completed", "rejected"]},
        "type": _STR,
        "request_no": _NSTR,
        "idempotency_key": _STR,
        "outcome": _NSTR,
        "result": {"type": ["object", "null"]},
        "urges": {"type": "integer"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
    ["reference", "status"],
)
_ERROR = _schema({"error": _schema({"code": {"type": "integer"}, "message": _STR})})


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): _json(_ERROR, "error") for c in codes}


_REF = [{"name": "ref", "in": "path", "required": True, "schema": _STR}]
_KEY_HEADER = [{"name": "Idempotency-Key", "in": "header", "required": True, "schema": _STR}]

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "福建省公安厅 联动协查接口 (mock)", "version": "1.0"},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Order": _ORDER, "Error": _ERROR},
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/persons/search": {
            "post": {
                "summary": "Persons by resident ID number",
                "requestBody": _json(
                    _schema({"id_numbers": {"type": "array", "items": _STR, "maxItems": MAX_IDS}}),
                    "IDs",
                ),
                "responses": {
                    "200": _json(_schema({"persons": {"type": "array"}}), "persons found"),
                    **_errors(400, 401, 503),
                },
            }
        },
        "/api/v1/vehicles/search": {
            "post": {
                "summary": "Vehicles by owner ID number, with sightings",
                "requestBody": _json(
                    _schema({"owner_ids": {"type": "array", "items": _STR, "maxItems": MAX_IDS}}),
                    "owner IDs",
                ),
                "responses": {
                    "200": _json(_schema({"vehicles": {"type": "array"}}), "vehicles found"),
                    **_errors(400, 401, 503),
                },
            }
        },
        "/api/v1/assistance": {
            "post": {
                "summary": "Submit an assistance order (idempotent by key)",
                "parameters": _KEY_HEADER,
                "requestBody": _json(
                    _schema(
                        {
                            "request_no": _STR,
                            "type": {"type": "string", "enum": list(ACTIONS)},
                            "case_no": _STR,
                            "court": _STR,
                            "document_no": _NSTR,
                            "target": _schema(
                                {"id_number": _STR, "name": _STR, "kind": _STR}, ["id_number"]
                            ),
                            "details": {"type": "object"},
                            "notify_url": _NSTR,
                            "deadline": _NSTR,
                        },
                        ["type", "target"],
                    ),
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
                    {"name": "idempotency_key", "in": "query", "required": True, "schema": _STR}
                ],
                "responses": {"200": _json(_ORDER, "the order"), **_errors(400, 401, 404)},
            },
        },
        "/api/v1/assistance/{ref}": {
            "get": {
                "summary": "An order's progress",
                "parameters": _REF,
                "responses": {"200": _json(_ORDER, "the order"), **_errors(401, 404)},
            }
        },
        "/api/v1/assistance/{ref}/urge": {
            "post": {
                "summary": "Urge an order (催办)",
                "parameters": _REF,
                "requestBody": {
                    "required": False,
                    "content": {"application/json": {"schema": _schema({"note": _STR})}},
                },
                "responses": {"200": _json(_ORDER, "the order"), **_errors(401, 404)},
            }
        },
    },
}


def create_app(world: dict[str, Any] | None = None, *, secret: str | None = None) -> Starlette:
    agency = MockAgency(
        KIND, world, secret=secret, ref_prefix="PL", execute=_execute, on_world=_report_sightings
    )
    return build_app(agency, _routes(agency), openapi=OPENAPI)


app = create_app()
