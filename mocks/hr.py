"""Mock of the HR and social-insurance system (人社): asynchronous jobs, bearer token.

A query is a job: ``POST /jobs {"type": "employment"|"wage_arrears", "subjects": [...]}``
answers 202 with a job id; ``GET /jobs/{id}`` says queued, running, then done
with the result (after ``job_delay_ms``). Assistance orders: QUERY and
WAGE_ASSIST (欠薪协助: the employer's wage-arrears case goes to mediation).
"""

from __future__ import annotations

import time
from typing import Any

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

KIND = "hr"
ACTIONS = ("QUERY", "WAGE_ASSIST")
JOB_TYPES = ("employment", "wage_arrears")
MAX_SUBJECTS = 100
JOB_DELAY_MS = 50


def _employment(world: dict[str, Any], ids: set[str]) -> list[dict[str, Any]]:
    return [dict(e) for e in world.get("employment", []) if e.get("person_id") in ids]


def _arrears(world: dict[str, Any], ids: set[str]) -> list[dict[str, Any]]:
    return [w for w in world.get("wage_arrears", []) if w.get("employer_code") in ids]


def _execute(agency: MockAgency, order: Order) -> OrderOutcome:
    subject_id = str(order.subject.get("id_number") or "")
    if order.action == "QUERY":
        employment = _employment(agency.world, {subject_id})
        arrears = [dict(w) for w in _arrears(agency.world, {subject_id})]
        result = {"employment": employment, "wage_arrears": arrears}
        return OrderOutcome("COMPLETED", "found" if employment or arrears else "not_found", result)
    if order.action == "WAGE_ASSIST":
        employer = str(order.details.get("employer_code") or subject_id)
        cases = _arrears(agency.world, {employer})
        if not cases:
            return OrderOutcome("REJECTED", "no_wage_arrears_case", None)
        for case in cases:
            case["status"] = "mediating"
            case["court"] = order.fields.get("court")
            case["case_number"] = order.fields.get("case_number")
        return OrderOutcome("COMPLETED", "mediating", {"cases": [dict(c) for c in cases]})
    return OrderOutcome("REJECTED", "unsupported_action", None)


def _to_fields(body: dict[str, Any]) -> dict[str, Any]:
    subject = body["subject"]
    case = body.get("case") or {}
    if not isinstance(subject, dict) or not subject.get("id"):
        raise ValueError("subject.id required")
    return {
        "request_id": body.get("reference_no"),
        "action": body.get("category"),
        "case_number": case.get("number"),
        "court": case.get("court"),
        "document_number": body.get("document_no"),
        "subject": {
            "id_number": subject["id"],
            "name": subject.get("name"),
            "kind": subject.get("type", "PERSON"),
        },
        "details": body.get("details") or {},
        "callback_url": body.get("callback"),
        "due_at": body.get("due"),
    }


def _render(order: Order) -> dict[str, Any]:
    return {
        "ref": order.ref,
        "state": order.status.lower(),
        "category": order.action,
        "reference_no": order.request_id,
        "idempotency_key": order.idempotency_key,
        "outcome": order.outcome,
        "result": order.result,
        "urge_count": order.urges,
        "updated_at": (order.updated_at or order.created_at).isoformat(),
    }


def _job_view(
    agency: MockAgency, job_id: str, job: dict[str, Any], delay_s: float
) -> dict[str, Any]:
    elapsed = time.monotonic() - job["created"]
    if elapsed < delay_s / 2:
        return {"job_id": job_id, "status": "queued"}
    if elapsed < delay_s:
        return {"job_id": job_id, "status": "running"}
    if job.get("result") is None:  # the answer is what the world held when the job finished
        ids = set(job["subjects"])
        if job["type"] == "employment":
            job["result"] = {"records": _employment(agency.world, ids)}
        else:
            job["result"] = {"cases": [dict(w) for w in _arrears(agency.world, ids)]}
    return {"job_id": job_id, "status": "done", "result": job["result"]}


def _routes(agency: MockAgency, delay_s: float) -> list[BaseRoute]:
    async def auth(request: Request) -> bool:
        return bearer_ok(request, agency.secret)

    def jobs() -> dict[str, dict[str, Any]]:
        jobs: dict[str, dict[str, Any]] = agency.state.setdefault("jobs", {})
        return jobs

    async def submit_job(request: Request) -> Response:
        if not await auth(request):
            return agency.error_response(401, "unauthorized")
        body = await read_json(request)
        if not isinstance(body, dict) or body.get("type") not in JOB_TYPES:
            return agency.error_response(400, f"type must be one of {', '.join(JOB_TYPES)}")
        subjects = body.get("subjects")
        if not isinstance(subjects, list) or not all(isinstance(s, str) for s in subjects):
            return agency.error_response(400, "subjects must be a list of strings")
        if len(subjects) > MAX_SUBJECTS:
            return agency.error_response(400, f"at most {MAX_SUBJECTS} subjects per job")
        book = jobs()
        job_id = f"JOB-{len(book) + 1:06d}"
        book[job_id] = {"type": body["type"], "subjects": subjects, "created": time.monotonic()}
        return JSONResponse(
            {"job_id": job_id, "status": "queued"},
            status_code=202,
            headers={"Location": f"/jobs/{job_id}"},
        )

    async def get_job(request: Request) -> Response:
        if not await auth(request):
            return agency.error_response(401, "unauthorized")
        job_id = request.path_params["job_id"]
        job = jobs().get(job_id)
        if job is None:
            return agency.error_response(404, "no such job")
        return JSONResponse(_job_view(agency, job_id, job, delay_s))

    return [
        Route("/jobs", submit_job, methods=["POST"]),
        Route("/jobs/{job_id}", get_job, methods=["GET"]),
        *json_order_routes(
            agency,
            "/assistance",
            auth=auth,
            to_fields=_to_fields,
            render=_render,
            actions=ACTIONS,
            created_status=202,
        ),
    ]


_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"code": {"type": "integer"}, "message": _STR},
        }
    },
}
_ORDER = {
    "type": "object",
    "required": ["ref", "state"],
    "properties": {
        "ref": _STR,
        "state": {"type": "string", "enum": ["received", "acknowledged", "completed", "rejected"]},
        "category": _STR,
        "reference_no": _NSTR,
        "idempotency_key": _STR,
        "outcome": _NSTR,
        "result": {"type": ["object", "null"]},
        "urge_count": {"type": "integer"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}
_JOB = {
    "type": "object",
    "required": ["job_id", "status"],
    "properties": {
        "job_id": _STR,
        "status": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
        "result": {"type": "object"},
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): _json(_ERROR, "error") for c in codes}


_PATH_REF = [{"name": "ref", "in": "path", "required": True, "schema": _STR}]

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "福建省人力资源和社会保障厅 协查接口 (mock)", "version": "1.0"},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Job": _JOB, "Order": _ORDER, "Error": _ERROR},
    },
    "security": [{"bearer": []}],
    "paths": {
        "/jobs": {
            "post": {
                "summary": "Start a query job (employment records, or wage arrears by employer)",
                "requestBody": _json(
                    {
                        "type": "object",
                        "required": ["type", "subjects"],
                        "properties": {
                            "type": {"type": "string", "enum": list(JOB_TYPES)},
                            "subjects": {"type": "array", "items": _STR, "maxItems": MAX_SUBJECTS},
                        },
                    },
                    "job",
                ),
                "responses": {"202": _json(_JOB, "queued"), **_errors(400, 401, 503)},
            }
        },
        "/jobs/{job_id}": {
            "get": {
                "summary": "A job's status and, once done, its result",
                "parameters": [{"name": "job_id", "in": "path", "required": True, "schema": _STR}],
                "responses": {"200": _json(_JOB, "the job"), **_errors(401, 404)},
            }
        },
        "/assistance": {
            "post": {
                "summary": "Submit an assistance order (idempotent by key)",
                "parameters": [
                    {"name": "Idempotency-Key", "in": "header", "required": True, "schema": _STR}
                ],
                "requestBody": _json(
                    {
                        "type": "object",
                        "required": ["category", "subject"],
                        "properties": {
                            "reference_no": _STR,
                            "category": {"type": "string", "enum": list(ACTIONS)},
                            "case": {
                                "type": "object",
                                "properties": {"number": _STR, "court": _STR},
                            },
                            "document_no": _NSTR,
                            "subject": {
                                "type": "object",
                                "required": ["id"],
                                "properties": {"id": _STR, "name": _STR, "type": _STR},
                            },
                            "details": {"type": "object"},
                            "callback": _NSTR,
                            "due": _NSTR,
                        },
                    },
                    "order",
                ),
                "responses": {
                    "202": _json(_ORDER, "order received"),
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
        "/assistance/{ref}": {
            "get": {
                "summary": "An order's progress",
                "parameters": _PATH_REF,
                "responses": {"200": _json(_ORDER, "the order"), **_errors(401, 404)},
            }
        },
        "/assistance/{ref}/urge": {
            "post": {
                "summary": "Urge an order (催办)",
                "parameters": _PATH_REF,
                "responses": {"200": _json(_ORDER, "the order"), **_errors(401, 404)},
            }
        },
    },
}


def create_app(
    world: dict[str, Any] | None = None,
    *,
    secret: str | None = None,
    job_delay_ms: int = JOB_DELAY_MS,
) -> Starlette:
    agency = MockAgency(KIND, world, secret=secret, ref_prefix="HR", execute=_execute)
    return build_app(agency, _routes(agency, job_delay_ms / 1000), openapi=OPENAPI)


app = create_app()
