"""The registrar's mock: holdings by ID number, freezes of shares (first or waiting).

World key ``securities``: ``[{"account", "owner_id", "owner_name", "security_code",
"security_name", "shares", "price", "frozen": []}]``; a world without it gets the
holdings below, so the demo's debtor has shares to find.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import date, timedelta
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mocks._common import MockAgency, Order, OrderOutcome, build_app, json_order_routes, read_json
from mocks._kind import MockKind

KIND = "securities"
SECRET = "dev-securities-secret"
DEFAULT_HOLDINGS: list[dict[str, Any]] = [
    {
        "account": "A350602001",
        "owner_id": "350602198003150015",
        "owner_name": "陈某某",
        "security_code": "600519",
        "security_name": "贵州茅台",
        "shares": 100,
        "price": "1650.00",
        "frozen": [],
    },
    {  # the namesake in 厦门: another ID number, never the debtor's
        "account": "A350203009",
        "owner_id": "350203198507220034",
        "owner_name": "陈某某",
        "security_code": "601318",
        "security_name": "中国平安",
        "shares": 500,
        "price": "48.20",
        "frozen": [],
    },
]


def _holdings(agency: MockAgency) -> list[dict[str, Any]]:
    return agency.world.setdefault(KIND, [dict(h, frozen=[]) for h in DEFAULT_HOLDINGS])


def _authorized(request: Request) -> bool:
    given = request.headers.get("x-api-key", "")
    return hmac.compare_digest(given.encode(), SECRET.encode())


async def _query(agency: MockAgency, request: Request) -> Response:
    if not _authorized(request):
        return JSONResponse({"error": "unauthorized"}, status_code=401)
    body = await read_json(request)
    ids = body.get("id_numbers") if isinstance(body, dict) else None
    if not isinstance(ids, list) or len(ids) > 100:
        return JSONResponse({"error": "id_numbers: a list of at most 100"}, status_code=400)
    wanted = {str(i) for i in ids}
    found = [h for h in _holdings(agency) if h.get("owner_id") in wanted]
    return JSONResponse({"holdings": found})


def _freeze(agency: MockAgency, order: Order) -> OrderOutcome:
    details = order.details
    holding = next(
        (
            h
            for h in _holdings(agency)
            if h["account"] == details.get("account")
            and h["security_code"] == details.get("security_code")
        ),
        None,
    )
    if holding is None or holding.get("owner_id") != order.subject.get("id_number"):
        return OrderOutcome("REJECTED", "no_such_holding", {})
    shares = min(int(details.get("shares") or 0), int(holding["shares"]))
    waiting = bool(holding["frozen"])
    freeze = {
        "court": order.fields.get("court"),
        "case_number": order.fields.get("case_number"),
        "shares": shares,
        "rank": "WAITING" if waiting else "FIRST",
        "expires_on": None if waiting else (date.today() + timedelta(days=3 * 365)).isoformat(),
    }
    holding["frozen"].append(freeze)
    return OrderOutcome(
        "COMPLETED", "frozen", {k: freeze[k] for k in ("rank", "shares", "expires_on")}
    )


def _execute(agency: MockAgency, order: Order) -> OrderOutcome:
    if order.action == "FREEZE":
        return _freeze(agency, order)
    mine = [h for h in _holdings(agency) if h.get("owner_id") == order.subject.get("id_number")]
    return OrderOutcome("COMPLETED", "found" if mine else "not_found", {"holdings": len(mine)})


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "action": body["action"],
        "request_id": body.get("request_id"),
        "case_number": body["case_number"],
        "court": body.get("court"),
        "document_number": body.get("document_number"),
        "subject": body["subject"],
        "details": body.get("details") or {},
        "callback_url": body.get("callback_url"),
    }


def _render(order: Order) -> dict[str, Any]:
    return {
        "reference": order.ref,
        "request_id": order.request_id,
        "status": order.status,
        "outcome": order.outcome,
        "result": order.result,
    }


async def _allowed(request: Request) -> bool:
    return _authorized(request)


def create_app(world: Mapping[str, Any] | None = None) -> Starlette:
    agency = MockAgency(KIND, world, secret=SECRET, ref_prefix="SEC", execute=_execute)
    routes = [
        Route("/v1/holdings/query", partial(_query, agency), methods=["POST"]),
        *json_order_routes(
            agency,
            "/v1/orders",
            auth=_allowed,
            to_fields=_fields,
            render=_render,
            actions=("QUERY", "FREEZE"),
        ),
    ]
    return build_app(agency, routes)


def agencies(world: Mapping[str, Any], base_url: str) -> list[dict[str, str]]:
    return [
        {
            "id": "securities-csdc",
            "kind": KIND,
            "name": "中国证券登记结算有限责任公司",
            "base_url": base_url,
            "channel": "api",
            "secret": SECRET,
        }
    ]


MOCK = MockKind(kind=KIND, create_app=create_app, agencies=agencies)
