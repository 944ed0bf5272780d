"""Applicants' requests (诉求) in the console.

Centre staff (the court's officers) log what visitors and callers ask, the
case found by its number or a party's name; officers answer the tickets of
their court, each shown beside its case; applicants sign in with their token,
follow their case, ask online, urge and rate; the court's leadership reads the
monitoring page (``/console/monitor``). Every action goes through
``hub.tickets``, so the graph's rules hold here too.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from hub import assistance, policy, ticket_stats
from hub import cases as case_service
from hub import ticket_reads as reads
from hub import tickets as service
from hub.courts import COURTS_BY_CODE
from hub.errors import BadUserInput, Forbidden, HubError, NotFound
from hub.models import Case, Ticket
from hub.principal import Role
from hub.web.console import charts
from hub.web.console import ticket_labels as TL
from hub.web.console.web import (
    PREFIX,
    SHANGHAI,
    Visit,
    allowed,
    done_url,
    form_data,
    page,
    redirect,
    render,
    status_for,
)

NOTICES = {
    "opened": "诉求已登记。",
    "replied": "答复已发送给申请人。",
    "urged": "已催办。",
    "rated": "感谢您的评价。",
}
STAFF_CHANNELS = ("WINDOW", "HOTLINE", "LETTER", "DEPUTY")


def ticket_url(ticket: Ticket) -> str:
    return f"{PREFIX}/tickets/{quote(ticket.id, safe='')}"


def _common() -> dict[str, Any]:
    return {"TL": TL, "today": date.today()}


# -- lists -----------------------------------------------------------------------------------


@page
async def ticket_list(visit: Visit) -> Response:
    """The court's tickets (officers), or those the caller may see; open ones first."""
    if visit.principal.role is Role.APPLICANT:
        return redirect(f"{PREFIX}/my")
    query = dict(visit.request.query_params)
    status = query.get("status") or None
    f = reads.TicketFilter(
        status=status if status in TL.STATUS else None,
        overdue={"1": True, "0": False}.get(query.get("overdue", "")),
        assignee=visit.principal.actor if query.get("mine") == "1" else None,
    )
    listing = await reads.list_tickets(visit.hub, visit.principal, f, 200, None)
    return render(
        visit.request,
        "tickets.html",
        {
            **_common(),
            "page": listing,
            "query": query,
            "is_overdue": service.is_overdue,
            "staff": visit.principal.role is Role.COURT_OFFICER,
        },
        visit=visit,
    )


async def case_tickets(visit: Visit, case: Case) -> dict[str, Any]:
    """The case page's tickets section: what the case's applicants asked, beside the case."""
    f = reads.TicketFilter(case_number=case.number)
    listing = await reads.list_tickets(visit.hub, visit.principal, f, 100, None)
    return {"TL": TL, "case_tickets": listing.rows, "ticket_overdue": service.is_overdue}


# -- intake by centre staff --------------------------------------------------------------------


async def _intake_context(visit: Visit, q: str) -> dict[str, Any]:
    found: list[Case] = []
    search_error = None
    if q:
        try:
            found = await reads.find_cases(visit.hub, visit.principal, q)
        except BadUserInput:
            search_error = "案号格式不正确，请按“（2026）闽0602执12号”填写，或输入当事人姓名。"
    return {
        **_common(),
        "q": q,
        "found": found,
        "search_error": search_error,
        "channels": STAFF_CHANNELS,
        "form_key": secrets.token_urlsafe(12),
    }


@page
async def new_ticket(visit: Visit) -> Response:
    policy.require_court_officer(visit.principal)
    q = visit.request.query_params.get("q", "").strip()
    context = await _intake_context(visit, q)
    context["form"] = {"case": visit.request.query_params.get("case", "")}
    return render(visit.request, "ticket_new.html", context, visit=visit)


def _received_at(raw: str | None) -> datetime | None:
    """A ``datetime-local`` field: the centre's wall clock."""
    if not raw or not raw.strip():
        return None
    try:
        return datetime.fromisoformat(raw.strip()).replace(tzinfo=SHANGHAI)
    except ValueError as exc:
        raise BadUserInput("receivedAt", "not a time") from exc


@page
async def create_ticket(visit: Visit) -> Response:
    policy.require_court_officer(visit.principal)
    form = await form_data(visit.request)
    try:
        ticket = await service.open_ticket(
            visit.hub,
            visit.principal,
            service.TicketData(
                case_number=form.get("case", ""),
                channel=form.get("channel", ""),
                category=form.get("category", ""),
                content=form.get("content", ""),
                applicant_name=form.get("applicant_name", ""),
                applicant_phone=form.get("applicant_phone") or None,
                received_at=_received_at(form.get("received_at")),
                idempotency_key=form.get("form_key") or None,
            ),
        )
    except HubError as exc:
        context = await _intake_context(visit, "")
        context.update(form=form, error=exc, error_text=TL.error_text(exc))
        context["form_key"] = form.get("form_key") or context["form_key"]
        return render(
            visit.request, "ticket_new.html", context, visit=visit, status=status_for(exc)
        )
    return redirect(done_url(ticket_url(ticket), "opened"))


# -- one ticket ----------------------------------------------------------------------------------


async def _load(visit: Visit) -> tuple[Ticket, Case]:
    ticket = await reads.get_ticket(visit.hub, visit.principal, visit.request.path_params["id"])
    if ticket is None:
        raise NotFound("no such ticket")
    case = await case_service.get_case(visit.hub.db, visit.principal, ticket.case_number)
    if case is None:
        raise NotFound("no such ticket")
    return ticket, case


async def _detail_context(visit: Visit, ticket: Ticket, case: Case) -> dict[str, Any]:
    events = (await reads.ticket_events(visit.hub.db, [ticket.id]))[ticket.id]
    p = visit.principal
    court = COURTS_BY_CODE.get(case.court_code)
    return {
        **_common(),
        "ticket": ticket,
        "case": case,
        "court_name": court.name if court else case.court_code,
        "events": events,
        "overdue": service.is_overdue(ticket),
        "open": ticket.status in service.OPEN_STATUSES,
        "can_reply": allowed(policy.require_reply_ticket, p, case),
        "can_urge": allowed(policy.require_urge_ticket, p, case),
        "can_rate": allowed(policy.require_rate_ticket, p, case),
        "applicant_view": p.role is Role.APPLICANT,
        "show_phone": policy.sees_applicant_phone(p, ticket.court_code),
        "notice": NOTICES.get(visit.request.query_params.get("done", "")),
    }


@page
async def ticket_detail(visit: Visit) -> Response:
    ticket, case = await _load(visit)
    return render(
        visit.request, "ticket.html", await _detail_context(visit, ticket, case), visit=visit
    )


@page
async def ticket_action(visit: Visit) -> Response:
    ticket, case = await _load(visit)
    verb = visit.request.path_params["verb"]
    form = await form_data(visit.request)
    try:
        if verb == "reply":
            await service.reply_ticket(visit.hub, visit.principal, ticket.id, form.get("reply", ""))
        elif verb == "urge":
            await service.urge_ticket(visit.hub, visit.principal, ticket.id, form.get("note"))
        elif verb == "rate":
            try:
                rating = int(form.get("rating", ""))
            except ValueError as exc:
                raise BadUserInput("rating", "a rating is 1 to 5") from exc
            await service.rate_ticket(
                visit.hub, visit.principal, ticket.id, rating, form.get("comment")
            )
        else:
            raise NotFound("no such action")
    except HubError as exc:
        context = await _detail_context(visit, ticket, case)
        context.update(error=exc, error_text=TL.error_text(exc), form=form, verb=verb)
        return render(visit.request, "ticket.html", context, visit=visit, status=status_for(exc))
    done = {"reply": "replied", "urge": "urged", "rate": "rated"}[verb]
    return redirect(done_url(ticket_url(ticket), done))


# -- the applicant's own page ------------------------------------------------------------------


async def _my_context(visit: Visit) -> dict[str, Any]:
    number = visit.principal.applicant_case
    if number is None:
        raise Forbidden("only applicants have this page")
    case = await case_service.get_case(visit.hub.db, visit.principal, number)
    if case is None:
        raise NotFound("no such case")
    requests = (await assistance.requests_for_cases(visit.hub.db, [case.id]))[case.id]
    listing = await reads.list_tickets(visit.hub, visit.principal, reads.TicketFilter(), 100, None)
    court = COURTS_BY_CODE.get(case.court_code)
    return {
        **_common(),
        "case": case,
        "court_name": court.name if court else case.court_code,
        "requests": requests,
        "answered": assistance.ANSWERED,
        "agency_names": {a.id: a.config.name for a in visit.hub.agencies},
        "tickets": listing.rows,
        "is_overdue": service.is_overdue,
        "categories": [c for c in TL.CATEGORY if c != "PROPERTY_CLUE"] + ["PROPERTY_CLUE"],
        "form_key": secrets.token_urlsafe(12),
        "form": {"applicant_name": visit.principal.name},
        "notice": NOTICES.get(visit.request.query_params.get("done", "")),
    }


@page
async def my_case(visit: Visit) -> Response:
    return render(visit.request, "my.html", await _my_context(visit), visit=visit)


@page
async def my_new_ticket(visit: Visit) -> Response:
    context = await _my_context(visit)
    form = await form_data(visit.request)
    try:
        ticket = await service.open_ticket(
            visit.hub,
            visit.principal,
            service.TicketData(
                case_number=context["case"].number,
                channel="ONLINE",
                category=form.get("category", ""),
                content=form.get("content", ""),
                applicant_name=form.get("applicant_name", ""),
                applicant_phone=form.get("applicant_phone") or None,
                idempotency_key=form.get("form_key") or None,
            ),
        )
    except HubError as exc:
        context.update(form=form, error=exc, error_text=TL.error_text(exc))
        context["form_key"] = form.get("form_key") or context["form_key"]
        return render(visit.request, "my.html", context, visit=visit, status=status_for(exc))
    return redirect(done_url(ticket_url(ticket), "opened"))


# -- monitoring (诉求数据监控) -------------------------------------------------------------------


def _period(query: dict[str, str], today: date) -> tuple[date, date]:
    try:
        start = date.fromisoformat(query["from"]) if query.get("from") else today.replace(day=1)
        end = date.fromisoformat(query["to"]) if query.get("to") else today
    except ValueError as exc:
        raise BadUserInput("from", "not a date") from exc
    return start, end


@page
async def monitor(visit: Visit) -> Response:
    p = visit.principal
    query = dict(visit.request.query_params)
    courts = ticket_stats.courts_under(p)
    court = query.get("court") or (p.scope if p.role is Role.COURT_OFFICER else "")
    if p.role is Role.ADMIN and not court:
        court = courts[0]
    today = datetime.now(SHANGHAI).date()
    start, end = _period(query, today)
    stats = await ticket_stats.ticket_stats(visit.hub, p, court, start, end)
    trend = await ticket_stats.monthly_trend(visit.hub, p, court, 6, today)
    months = [m for m, _ in trend]
    series = [(TL.CATEGORY[c], [counts[c] for _, counts in trend]) for c in TL.CATEGORY]
    late = await ticket_stats.overdue_by_court(visit.hub, p)
    court_name = COURTS_BY_CODE[court].name if court in COURTS_BY_CODE else court
    return render(
        visit.request,
        "monitor.html",
        {
            **_common(),
            "court": court,
            "court_name": court_name,
            "start": start,
            "end": end,
            "stats": stats,
            "trend_svg": charts.trend_chart(
                months, series, title=f"{court_name}近六个月诉求趋势（按类别）"
            ),
            "overdue_svg": charts.overdue_chart(
                [(row.name, row.open, row.overdue) for row in late], title="各法院未答复及超期诉求"
            ),
            "court_choices": courts if p.role is Role.ADMIN else [],
            "court_names": {c: COURTS_BY_CODE[c].name for c in courts if c in COURTS_BY_CODE},
        },
        visit=visit,
    )
