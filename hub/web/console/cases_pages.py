"""Court pages: the case list; a case with its parties, requests, clues and events; clues.

Observers see the same case pages without any form; who may do what is the
services' (and ``hub.policy``'s) decision, the page only hides what would fail.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from hub import assistance, clock, ownership, policy, read_audit, watches
from hub import cases as case_service
from hub import clues as clue_service
from hub.courts import COURTS_BY_CODE
from hub.errors import BadUserInput, HubError, NotFound
from hub.models import Case, Party
from hub.principal import Role
from hub.web.console import funds_pages, labels, records, tickets_pages
from hub.web.console.web import (
    PREFIX,
    Visit,
    allowed,
    done_url,
    form_data,
    page,
    redirect,
    render,
    status_for,
)

PAGE_SIZE = 50
NOTICES = {"clue": "线索已提交。", **funds_pages.NOTICES}


def _case_filter(query: dict[str, str]) -> case_service.CaseFilter:
    status = query.get("status") or None
    livelihood = query.get("livelihood") or None
    overdue = {"1": True, "0": False}.get(query.get("overdue", ""))
    return case_service.CaseFilter(
        status=status if status in labels.CASE_STATUS else None,
        livelihood=livelihood if livelihood in labels.LIVELIHOOD else None,
        overdue=overdue,
    )


@page
async def case_list(visit: Visit) -> Response:
    if visit.principal.role is Role.AGENCY_OFFICER:
        return redirect(f"{PREFIX}/inbox")  # agencies reach cases only through requests
    query = dict(visit.request.query_params)
    after = query.get("after") or None
    try:
        listing = await case_service.list_cases(
            visit.hub.db, visit.principal, _case_filter(query), PAGE_SIZE, after
        )
    except BadUserInput:  # a stale or hand-made cursor: start over
        listing = await case_service.list_cases(
            visit.hub.db, visit.principal, _case_filter(query), PAGE_SIZE, None
        )
    reminders: dict[str, Any] = {"alerts": [], "expiring": []}
    if visit.principal.role is Role.COURT_OFFICER:
        reminders["alerts"] = await watches.watch_alerts(visit.hub, visit.principal)
        reminders["expiring"] = await assistance.expiring_seals(
            visit.hub, visit.principal, visit.hub.settings.seal_reminder_days
        )
    return render(
        visit.request,
        "cases.html",
        {
            "page": listing,
            "query": query,
            "today": clock.today(),
            "agency_names": {a.id: a.config.name for a in visit.hub.agencies},
            **reminders,
        },
        visit=visit,
    )


async def load_case(visit: Visit, number: str) -> Case:
    try:
        case = await case_service.get_case(visit.hub.db, visit.principal, number)
    except BadUserInput as exc:
        raise NotFound("no such case") from exc
    if case is None:
        raise NotFound("no such case")
    return case


def party_by_id(case: Case, raw: str | None) -> Party | None:
    return next((p for p in case.parties if str(p.id) == (raw or "").strip()), None)


async def case_context(visit: Visit, case: Case) -> dict[str, Any]:
    from hub.web.console import rules_pages  # its forms come back to these pages

    db = visit.hub.db
    clue_fields = records.clue_fields(visit.hub.agencies)
    clues = (await clue_service.clues_for_cases(db, [case.id]))[0]
    events = (await case_service.case_events(db, [case.id]))[case.id]
    requests = (await assistance.requests_for_cases(db, [case.id]))[case.id]
    manage = allowed(policy.require_manage_case, visit.principal, case)
    court = COURTS_BY_CODE.get(case.court_code)
    full_ids = policy.sees_full_id_numbers(visit.principal, case)
    if full_ids:
        await read_audit.parties_read(db, visit.principal, case, via="console")
    return {
        "case": case,
        "court_name": court.name if court else None,
        "clues": clues,
        "events": events,
        "requests": requests,
        "overdue": {r.id for r in requests if assistance.is_overdue(r)},
        "open_statuses": assistance.OPEN,
        "answered_statuses": assistance.ANSWERED,
        "agency_names": {a.id: a.config.name for a in visit.hub.agencies},
        "manage": manage,
        "full_ids": full_ids,
        "parties_by_id": {p.id: p for p in case.parties},
        "clue_kinds": clue_service.clue_kinds(),
        "clue_fields": clue_fields,
        "clue_titles": dict(clue_fields),
        "today": clock.today(),
        **await tickets_pages.case_tickets(visit, case),
        **await funds_pages.funds_context(visit, case),
        "confirmations": (await ownership.confirmations_for_cases(db, [case.id]))[case.id]
        if policy.sees_full_id_numbers(visit.principal, case)
        else [],
        "watch_alerts": await watches.watch_alerts(visit.hub, visit.principal, case.number),
        **await rules_pages.credit_context(visit, case),
        "rule_notices": rules_pages.NOTICES,
    }


@page
async def case_detail(visit: Visit) -> Response:
    case = await load_case(visit, visit.request.path_params["number"])
    context = await case_context(visit, case)
    done = visit.request.query_params.get("done", "")
    context["notice"] = NOTICES.get(done) or context["rule_notices"].get(done)
    return render(visit.request, "case.html", context, visit=visit)


@page
async def submit_clue(visit: Visit) -> Response:
    number = visit.request.path_params["number"]
    case = await load_case(visit, number)
    form = await form_data(visit.request)
    party = party_by_id(case, form.get("party"))
    fields = [name for name, _ in records.clue_fields(visit.hub.agencies)]
    details = {k: form[k].strip() for k in fields if form.get(k, "").strip()}
    try:
        if party is None:
            raise BadUserInput("subjectIdNumber", "choose a party of this case")
        await clue_service.submit_clue(
            visit.hub,
            visit.principal,
            clue_service.ClueData(
                case_number=case.number,
                subject_id_number=party.id_number,
                kind=form.get("kind", ""),
                description=form.get("description", ""),
                region=form.get("region") or None,
                details=details,
            ),
        )
    except HubError as exc:
        context = await case_context(visit, case)
        context.update(clue_error=exc, clue_form=form)
        return render(visit.request, "case.html", context, visit=visit, status=status_for(exc))
    return redirect(done_url(case_url(case), "clue"))


def case_url(case: Case) -> str:
    return f"{PREFIX}/cases/{quote(case.number, safe='')}"
