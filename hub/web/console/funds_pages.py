"""Money pages: the case account on the case page (receipts, disbursement form, offers),
a court's quality indicators with their monthly trend and overdue money, and the
province view's ranking.

The trend is drawn on the server as SVG (the console runs no script): two lines,
结案率 and 案款发放及时率, over the last twelve months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from hub import fund_offers, indicator_trend, ledger, policy
from hub import funds as service
from hub import indicators as figures
from hub.cases import court_today
from hub.courts import COURTS_BY_CODE
from hub.errors import BadUserInput, Forbidden, HubError
from hub.models import Case
from hub.principal import Role
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

NOTICES = {
    "disbursed": "案款已发放。",
    "received": "案款到账已登记。",
    "offer": "扣划款项已确认到账。",
}


async def funds_context(visit: Visit, case: Case) -> dict[str, Any]:
    """What the case page shows of the account; empty for those who may not read it."""
    if not allowed(policy.require_read_funds, visit.principal, case):
        return {}
    account = (await service.funds_for_cases(visit.hub.db, [case.id]))[case.id]
    writer = allowed(policy.require_write_funds, visit.principal, case)
    offers = await fund_offers.offers_for_case(visit.hub.db, case) if writer else []
    return {
        "account": account,
        "funds_manage": writer,
        "offers": offers,
        "receipt_sources": list(service.ReceiptSource),
        "applicants": [p for p in case.parties if p.role == "APPLICANT"],
        "court_today": court_today(),
        "yuan": ledger.to_yuan,
    }


def _case_url(case: Case) -> str:
    return f"{PREFIX}/cases/{quote(case.number, safe='')}"


def _day(raw: str | None, field: str) -> date:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError as exc:
        raise BadUserInput(field, "请填写日期，如 2026-12-06") from exc


async def _case_page_with_error(
    visit: Visit, case: Case, exc: HubError, form: dict[str, str], which: str
) -> Response:
    from hub.web.console.cases_pages import case_context

    context = await case_context(visit, case)
    context.update(funds_error=exc, funds_form=form, funds_which=which)
    return render(visit.request, "case.html", context, visit=visit, status=status_for(exc))


@page
async def disburse(visit: Visit) -> Response:
    from hub.web.console.cases_pages import load_case

    case = await load_case(visit, visit.request.path_params["number"])
    form = await form_data(visit.request)
    try:
        await service.disburse(
            visit.hub.db,
            visit.principal,
            service.DisbursementData(
                case_number=case.number,
                amount=form.get("amount", "").strip(),
                paid_on=_day(form.get("paid_on"), "paidOn"),
                payee_name=form.get("payee_name", ""),
                payee_account=form.get("payee_account", ""),
                idempotency_key=form.get("key") or None,
            ),
        )
    except HubError as exc:
        return await _case_page_with_error(visit, case, exc, form, "disburse")
    return redirect(done_url(_case_url(case), "disbursed") + "#funds")


@page
async def receive(visit: Visit) -> Response:
    from hub.web.console.cases_pages import load_case

    case = await load_case(visit, visit.request.path_params["number"])
    form = await form_data(visit.request)
    try:
        await service.record_receipt(
            visit.hub.db,
            visit.principal,
            service.ReceiptData(
                case_number=case.number,
                amount=form.get("amount", "").strip(),
                received_on=_day(form.get("received_on"), "receivedOn"),
                source=form.get("source", ""),
                reference=form.get("reference") or None,
                idempotency_key=form.get("key") or None,
            ),
        )
    except HubError as exc:
        return await _case_page_with_error(visit, case, exc, form, "receive")
    return redirect(done_url(_case_url(case), "received") + "#funds")


@page
async def confirm_offer(visit: Visit) -> Response:
    from hub.web.console.cases_pages import load_case

    case = await load_case(visit, visit.request.path_params["number"])
    try:
        await fund_offers.confirm_offer(
            visit.hub.db, visit.principal, visit.request.path_params["request_id"]
        )
    except HubError as exc:
        return await _case_page_with_error(visit, case, exc, {}, "offer")
    return redirect(done_url(_case_url(case), "offer") + "#funds")


# -- a court's figures ----------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    label: str
    x: float
    closure_y: float
    timely_y: float
    closure: float
    timely: float


@dataclass(frozen=True)
class Trend:
    width: int
    height: int
    left: int
    top: int
    bottom: int
    points: list[TrendPoint]
    gridlines: list[tuple[float, str]]

    @property
    def closure_path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.closure_y:.1f}" for p in self.points)

    @property
    def timely_path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.timely_y:.1f}" for p in self.points)


def trend_chart(months: list[indicator_trend.MonthFigures]) -> Trend:
    width, height, left, right, top, bottom = 680, 260, 48, 16, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(months) - 1, 1)

    def y(rate: float) -> float:
        return top + plot_h * (1 - min(max(rate, 0.0), 1.0))

    points = [
        TrendPoint(
            label=m.month.strftime("%Y-%m"),
            x=left + i * step,
            closure_y=y(m.closure_rate),
            timely_y=y(m.disbursement_timely_rate),
            closure=m.closure_rate,
            timely=m.disbursement_timely_rate,
        )
        for i, m in enumerate(months)
    ]
    grid = [(y(v / 100), f"{v}%") for v in (0, 25, 50, 75, 100)]
    return Trend(width, height, left, top, height - bottom, points, grid)


def _period(query: dict[str, str]) -> tuple[date, date]:
    today = court_today()
    start = _day(query["from"], "from") if query.get("from") else today.replace(month=1, day=1)
    end = _day(query["to"], "to") if query.get("to") else today
    return start, end


def court_name(code: str) -> str:
    court = COURTS_BY_CODE.get(code)
    return court.name if court else code


@page
async def court_indicators(visit: Visit) -> Response:
    code = visit.request.path_params["court"]
    policy.require_court_figures(visit.principal, code)
    query = dict(visit.request.query_params)
    error: HubError | None = None
    try:
        start, end = _period(query)
        result = await figures.for_court(visit.hub.db, visit.principal, code, start, end)
    except BadUserInput as exc:
        error = exc
        start, end = court_today().replace(month=1, day=1), court_today()
        result = await figures.for_court(visit.hub.db, visit.principal, code, start, end)
    months = await indicator_trend.monthly(visit.hub.db, visit.principal, code)
    overdue = await service.overdue_receipts(visit.hub.db, visit.principal, code)
    due_soon = await service.due_soon_receipts(visit.hub.db, visit.principal, code)
    books = await service.reconciliation(visit.hub.db, visit.principal, code)
    return render(
        visit.request,
        "indicators.html",
        {
            "court": code,
            "court_name": court_name(code),
            "start": start,
            "end": end,
            "ind": result,
            "trend": trend_chart(months),
            "overdue": overdue,
            "due_soon": due_soon,
            "books": books,
            "period_error": error,
            "yuan": ledger.to_yuan,
        },
        visit=visit,
        status=400 if error else 200,
    )


@page
async def ranking(visit: Visit) -> Response:
    principal = visit.principal
    if principal.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("只有上级法院督导和系统管理员可以查看辖区排名")
    query = dict(visit.request.query_params)
    prefix = (query.get("prefix") or "").strip() or (
        principal.scope if principal.role is Role.SUPERVISOR else "闽"
    )
    start, end = _period(query)
    ranked = await figures.ranking(visit.hub.db, principal, prefix, start, end)
    return render(
        visit.request,
        "ranking.html",
        {"court_prefix": prefix, "start": start, "end": end, "ranked": ranked},
        visit=visit,
    )


__all__ = [
    "NOTICES",
    "confirm_offer",
    "court_indicators",
    "disburse",
    "funds_context",
    "ranking",
    "receive",
]
