"""Assistance request pages: the agency inbox, a request's page and its buttons, and the
court's form for a new request.

Every button posts to ``/console/requests/{id}/{verb}`` and lands on one
``hub.assistance`` function; what a page offers is computed from
``hub.policy`` (the same checks the services make), so a hidden button is
only a courtesy, never the protection.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from adapters.sdk.records import SubjectKind
from hub import assistance, clock, policy
from hub.cases import add_months
from hub.courts import COURTS_BY_CODE
from hub.errors import BadUserInput, HubError
from hub.models import AssistanceRequest, Case
from hub.principal import Principal, Role
from hub.web.console import labels, records
from hub.web.console.answers import (
    QueryTable,
    answered_rows,
    query_tables,
    query_values,
    read_answer,
    result_fields,
)
from hub.web.console.cases_pages import case_url, load_case, party_by_id
from hub.web.console.web import (
    PREFIX,
    Visit,
    allowed,
    done_url,
    page,
    redirect,
    render,
    status_for,
)

PAGE_SIZE = 50
OPEN_LIMIT = 500  # per status; an inbox longer than this is a different problem

NOTICES = {
    "acknowledge": "已签收。",
    "answer": "已答复，该请求已办结。",
    "reject": "已退回。",
    "urge": "已催办。",
    "evaluate": "评价已提交。",
    "cancel": "请求已撤回。",
    "created": "协助请求已创建。",
}


def request_url(request_id: str) -> str:
    return f"{PREFIX}/requests/{quote(request_id, safe='')}"


def _pressing_first(row: AssistanceRequest, now: datetime) -> tuple[int, datetime, datetime, str]:
    """The inbox order of ``assistance.list_requests(order="inbox")``, for merged lists."""
    pressing = assistance.is_overdue(row, now) or (row.urge_count or 0) > 0
    return (0 if pressing else 1, row.due_at, row.created_at, row.id)


async def _open_requests(visit: Visit) -> tuple[list[AssistanceRequest], bool]:
    """Every open request the caller may see, pressing first; ``truncated`` when capped."""
    rows: list[AssistanceRequest] = []
    truncated = False
    for status in sorted(assistance.OPEN):
        listing = await assistance.list_requests(
            visit.hub,
            visit.principal,
            assistance.RequestFilter(status=status),
            OPEN_LIMIT,
            None,
            order="inbox",
        )
        rows.extend(listing.rows)
        truncated = truncated or listing.has_next
    now = clock.local_now()
    return sorted(rows, key=lambda r: _pressing_first(r, now)), truncated


@page
async def inbox(visit: Visit) -> Response:
    if visit.principal.role is not Role.AGENCY_OFFICER:
        return redirect(f"{PREFIX}/")
    query = visit.request.query_params
    status = query.get("status") or "OPEN"
    if status not in labels.REQUEST_STATUS and status != "ALL":
        status = "OPEN"
    next_cursor: str | None = None
    truncated = False
    if status == "OPEN":
        rows, truncated = await _open_requests(visit)
    else:
        try:
            listing = await assistance.list_requests(
                visit.hub,
                visit.principal,
                assistance.RequestFilter(status=None if status == "ALL" else status),
                PAGE_SIZE,
                query.get("after") or None,
                order="inbox",
            )
        except BadUserInput:  # a stale cursor: from the top
            return redirect(f"{PREFIX}/inbox?status={status}")
        rows = listing.rows
        next_cursor = listing.cursors[-1] if listing.has_next and listing.cursors else None
    cases = await assistance.cases_by_id(visit.hub.db, [r.case_id for r in rows])
    now = clock.local_now()
    items = [
        {
            "row": r,
            "case": cases[r.case_id],
            "subject": next(p for p in cases[r.case_id].parties if p.id == r.party_id),
            "overdue": assistance.is_overdue(r, now),
        }
        for r in rows
    ]
    return render(
        visit.request,
        "inbox.html",
        {
            "items": items,
            "status": status,
            "statuses": ["OPEN", *labels.REQUEST_STATUS, "ALL"],
            "next_cursor": next_cursor,
            "truncated": truncated,
            "notice": NOTICES.get(query.get("done", "")),
            "courts": COURTS_BY_CODE,
        },
        visit=visit,
    )


def _answer_tables(visit: Visit, row: AssistanceRequest, case: Case) -> list[QueryTable]:
    """A QUERY answer's tables: the answering agency's capabilities for this subject."""
    agency = visit.hub.agencies.get(row.agency_id)
    if agency is None:
        return []
    subject = next(p for p in case.parties if p.id == row.party_id)
    kind = SubjectKind(subject.kind)
    return query_tables(c for c in agency.capabilities if c.applies(kind))


async def _detail_context(visit: Visit, row: AssistanceRequest, case: Case) -> dict[str, Any]:
    principal: Principal = visit.principal
    events = (await assistance.request_events(visit.hub.db, [row.id]))[row.id]
    answerable = row.status in (assistance.S.DISPATCHED, assistance.S.ACKNOWLEDGED)
    may_answer = allowed(policy.require_answer_request, principal, row)
    may_manage = allowed(policy.require_manage_case, principal, case)
    agency = visit.hub.agencies.get(row.agency_id)
    today = clock.today()
    spec = agency.action(row.action) if agency is not None else None
    subject = next(p for p in case.parties if p.id == row.party_id)
    capabilities = agency.capabilities if agency is not None else frozenset()
    return {
        "row": row,
        "case": case,
        "case_link": case_url(case) if policy.can_read_case(principal, case) else None,
        "subject": subject,
        "full_id": policy.sees_full_request_subject(principal, row, case),
        "agency_name": agency.config.name if agency else row.agency_id,
        "court": COURTS_BY_CODE.get(case.court_code),
        "events": events,
        "overdue": assistance.is_overdue(row),
        "can_acknowledge": may_answer and row.status == assistance.S.DISPATCHED,
        "can_answer": may_answer and answerable,
        "can_urge": may_manage and row.status in assistance.OPEN,
        "can_cancel": may_manage and row.status in assistance.OPEN,
        "can_evaluate": may_manage and row.status in assistance.ANSWERED and row.rating is None,
        # the default end of a new term: the kind's term for the measure (续封 before it)
        "seal_expiry": add_months(today, 12 * ((spec.term_years if spec else None) or 1)),
        "query_tables": _answer_tables(visit, row, case),
        "query_values": {},
        "query_answer": answered_rows(query_tables(capabilities), row.result or {}),
        "result_fields": result_fields(spec),
        "form": {},
    }


@page
async def request_detail(visit: Visit) -> Response:
    row, case = await assistance.get_request(
        visit.hub, visit.principal, visit.request.path_params["id"]
    )
    context = await _detail_context(visit, row, case)
    context["notice"] = NOTICES.get(visit.request.query_params.get("done", ""))
    return render(visit.request, "request.html", context, visit=visit)


def _safe_next(raw: str | None) -> str | None:
    """Only console paths: a form must not become an open redirect."""
    if raw and raw.startswith(f"{PREFIX}/") and "//" not in raw and "\\" not in raw:
        return raw
    return None


async def _perform(visit: Visit, verb: str, request_id: str, form: dict[str, list[str]]) -> str:
    """Run one button's service call; returns where to go next."""
    hub, principal = visit.hub, visit.principal

    def text(name: str) -> str:
        return (form.get(name) or [""])[0].strip()

    if verb == "acknowledge":
        await assistance.acknowledge(hub, principal, request_id)
        return request_url(request_id)
    if verb == "reject":
        await assistance.reject(hub, principal, request_id, text("reason"))
        return f"{PREFIX}/inbox"
    if verb == "answer":
        row, case = await assistance.get_request(hub, principal, request_id)
        agency = hub.agencies.get(row.agency_id)
        spec = agency.action(row.action) if agency is not None else None
        tables = _answer_tables(visit, row, case)
        outcome, result = read_answer(spec, form, row.details or {}, tables)
        await assistance.answer(hub, principal, request_id, outcome, result)
        return f"{PREFIX}/inbox"
    if verb == "urge":
        await assistance.urge(hub, principal, request_id, text("note") or None)
    elif verb == "evaluate":
        rating = text("rating")
        if not rating.isdigit():
            raise BadUserInput("rating", "choose a rating from 1 to 5")
        await assistance.evaluate(hub, principal, request_id, int(rating), text("comment") or None)
    elif verb == "cancel":
        await assistance.cancel(hub, principal, request_id, text("reason"))
    return request_url(request_id)


VERBS = ("acknowledge", "reject", "answer", "urge", "evaluate", "cancel")


@page
async def request_action(visit: Visit) -> Response:
    request_id = visit.request.path_params["id"]
    verb = visit.request.path_params["verb"]
    raw = await visit.request.form()
    form: dict[str, list[str]] = {}
    for key, value in raw.multi_items():
        if isinstance(value, str):
            form.setdefault(key, []).append(value)
    if verb not in VERBS:
        return redirect(request_url(request_id))
    try:
        target = await _perform(visit, verb, request_id, form)
    except HubError as exc:
        if exc.code in ("NOT_FOUND", "FORBIDDEN"):
            raise
        row, case = await assistance.get_request(visit.hub, visit.principal, request_id)
        context = await _detail_context(visit, row, case)
        context.update(error=exc, error_form=verb, form={k: v[0] for k, v in form.items() if v})
        if verb == "answer":
            context["query_values"] = query_values(context["query_tables"], form)
        return render(visit.request, "request.html", context, visit=visit, status=status_for(exc))
    back = _safe_next((form.get("next") or [""])[0])
    return redirect(done_url(back or target, verb))


# -- the court's new request ---------------------------------------------------------------------


def _new_request_context(visit: Visit, case: Case, values: dict[str, str]) -> dict[str, Any]:
    agencies = list(visit.hub.agencies)
    return {
        "case": case,
        "agencies": agencies,
        "actions": records.action_labels(agencies),
        "needs_document": {
            spec.name
            for a in agencies
            for spec in a.adapter.action_specs.values()
            if spec.needs_document
        },
        "detail_fields": records.detail_fields(agencies),
        "values": {"idempotency_key": uuid.uuid4().hex, **values},
        "case_link": case_url(case),
    }


@page
async def new_request(visit: Visit) -> Response:
    case = await load_case(visit, visit.request.path_params["number"])
    policy.require_manage_case(visit.principal, case)
    query = visit.request.query_params
    keys = ["party", "agency", "action", "document_number"]
    keys += [name for name, _ in records.detail_fields(visit.hub.agencies)]
    values = {k: query[k] for k in keys if query.get(k)}
    context = _new_request_context(visit, case, values)
    return render(visit.request, "request_new.html", context, visit=visit)


@page
async def create_request(visit: Visit) -> Response:
    case = await load_case(visit, visit.request.path_params["number"])
    raw = await visit.request.form()
    form = {k: v.strip() for k, v in raw.items() if isinstance(v, str)}
    party = party_by_id(case, form.get("party"))
    fields = [name for name, _ in records.detail_fields(visit.hub.agencies)] + ["note"]
    details: dict[str, Any] = {k: form[k] for k in fields if form.get(k)}
    try:
        if party is None:
            raise BadUserInput("subjectIdNumber", "choose a party of this case")
        if form.get("term_months"):  # a court decision's term (hub.decisions)
            if not form["term_months"].isdigit():
                raise BadUserInput("details.term_months", "期限为月数，如 24")
            details["term_months"] = int(form["term_months"])
        row = await assistance.create_request(
            visit.hub,
            visit.principal,
            assistance.RequestData(
                case_number=case.number,
                subject_id_number=party.id_number,
                agency_id=form.get("agency", ""),
                action=form.get("action", ""),
                document_number=form.get("document_number") or None,
                details=details,
                idempotency_key=form.get("idempotency_key") or None,
            ),
        )
    except HubError as exc:
        if exc.code in ("NOT_FOUND", "FORBIDDEN"):
            raise
        context = _new_request_context(visit, case, form)
        context["error"] = exc
        return render(
            visit.request, "request_new.html", context, visit=visit, status=status_for(exc)
        )
    return redirect(done_url(request_url(row.id), "created"))
