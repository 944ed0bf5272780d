"""The console's plumbing: who is visiting, templates, and the ``page`` wrapper.

Every console endpoint is a ``page``: it authenticates the visit (a bearer
header or the session cookie), checks the CSRF field of every cookie-borne
POST, and turns any ``HubError`` a handler did not show inline into an error
page (``NotFound`` 404, ``Forbidden`` 403 ...). A browser
without a session is sent to the sign-in page; anything else without
credentials, and any bad bearer token, gets a bare 401.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from hub import clock
from hub.auth import Principal, Role, authenticate, bearer_token
from hub.errors import BadUserInput, Forbidden, HubError
from hub.hygiene import find_bad
from hub.state import HubState, Slot
from hub.validation import mask_id_number
from hub.web.console import labels
from hub.web.console import session as sessions

PREFIX = "/console"
SHANGHAI = clock.SHANGHAI  # stored in UTC, shown in the court's time
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

HOME_BY_ROLE = {
    Role.AGENCY_OFFICER: f"{PREFIX}/inbox",
    Role.COURT_OFFICER: f"{PREFIX}/cases",
    Role.OBSERVER: f"{PREFIX}/cases",
    Role.ADMIN: f"{PREFIX}/agencies",
    Role.APPLICANT: f"{PREFIX}/my",
    Role.SUPERVISOR: f"{PREFIX}/ranking",
}


@dataclass(frozen=True)
class Visit:
    """One authenticated request: the hub, the caller and their session (if by cookie)."""

    request: Request
    hub: HubState
    principal: Principal
    session: sessions.Session | None

    @property
    def csrf(self) -> str:
        return self.session.csrf if self.session else ""


# Pages carry personal data: no caching anywhere. The console runs no inline script or
# style and posts only to itself, which the CSP pins down.
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


Handler = Callable[[Visit], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def _fmt_dt(value: datetime | None) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else ""


def _fmt_date(value: date | str | None) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def _fmt_money(value: Decimal | str | None) -> str:
    if value is None:
        return ""
    return f"{Decimal(value):,.2f}"


_ACTOR = re.compile(r"^[a-z_]+:(?P<name>.+)#\d+$")


def _actor(value: str | None) -> str:
    """``court_officer:李法官#3`` → ``李法官``; the hub's own processes read as 系统."""
    if not value:
        return ""
    if value.startswith("hub:"):
        return "系统"
    match = _ACTOR.match(value)
    return match["name"] if match else value


def _agency_names(context: Any) -> dict[str, str]:
    request = context.get("request")
    if request is None:
        return {}
    return {a.id: a.config.name for a in hub_of(request).agencies}


@jinja2.pass_context
def _actor_named(context: Any, value: str | None) -> str:
    """``_actor``, and an agency's system (``agency:police-fujian``) by the agency's name."""
    if value and value.startswith("agency:"):
        return _agency_names(context).get(value.removeprefix("agency:"), "协助单位")
    return _actor(value)


@jinja2.pass_context
def _note(context: Any, value: object, kind: object = None) -> str:
    return labels.event_note(value, kind, _agency_names(context))


@jinja2.pass_context
def _scope(context: Any, principal: Any) -> str:
    """Where the signed-in principal acts, by name: an agency officer's agency."""
    if principal is None:
        return ""
    if getattr(principal, "applicant_case", None):
        return str(principal.applicant_case)  # an applicant's header names their case
    if principal.role.value == "agency_officer":
        return _agency_names(context).get(principal.scope, "协助单位")
    if principal.role.value == "admin":
        return ""
    return str(principal.scope)


def _path(value: object) -> str:
    """One URL path segment (case numbers carry parentheses and CJK)."""
    return quote(str(value), safe="")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        dt=_fmt_dt,
        day=_fmt_date,
        money=_fmt_money,
        path=_path,
        masked=mask_id_number,
        actor=_actor_named,
        note=_note,
        outcome=labels.outcome_text,
        scope=_scope,
        zh=lambda message: labels.message_text(str(message)) or "" if message else "",
    )
    env.globals.update(
        L=labels,
        label=labels.label,
        action_label=labels.action_label,
        request_title=labels.request_title,
        result_value=labels.result_value,
        prefix=PREFIX,
        csrf_field=sessions.CSRF_FIELD,
        qs=lambda **kw: urlencode({k: v for k, v in kw.items() if v not in (None, "")}),
    )
    return env


ENV = _environment()


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    visit: Visit | None = None,
    status: int = 200,
) -> HTMLResponse:
    values = {
        "request": request,
        "principal": visit.principal if visit else None,
        "csrf": visit.csrf if visit else "",
        "bearer": visit is not None and visit.session is None,
        "home": HOME_BY_ROLE[visit.principal.role] if visit else f"{PREFIX}/login",
        **context,
    }
    html = ENV.get_template(template).render(values)
    return HTMLResponse(html, status_code=status, headers=_PAGE_HEADERS)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=_PAGE_HEADERS)


def unauthenticated() -> Response:
    return PlainTextResponse(
        "a valid bearer token is required", status_code=401, headers={"WWW-Authenticate": "Bearer"}
    )


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def hub_of(request: Request) -> HubState:
    state: HubState = request.app.state.hub
    return state


_CODEC: Slot[sessions.SessionCodec] = Slot("console.codec")


def codec_of(hub: HubState) -> sessions.SessionCodec:
    return hub.setdefault(_CODEC, lambda: sessions.SessionCodec(hub.settings.secret_key))


STATUS_BY_CODE = {
    "BAD_USER_INPUT": 400,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
    "UPSTREAM_TIMEOUT": 504,
}


def status_for(error: HubError) -> int:
    """The HTTP status a page answers with when ``error`` is what it has to show."""
    return STATUS_BY_CODE.get(error.code, 502 if error.code.startswith("UPSTREAM") else 500)


def error_page(request: Request, visit: Visit | None, error: HubError, status: int) -> Response:
    return render(
        request,
        "error.html",
        {"status": status, "message": labels.error_text(error)},
        visit=visit,
        status=status,
    )


async def _visit(request: Request, hub: HubState) -> Visit | Response:
    header = request.headers.get("authorization")
    if header is not None:
        principal = await authenticate(hub.db, bearer_token(header))
        return Visit(request, hub, principal, None) if principal else unauthenticated()
    session = sessions.read(request, codec_of(hub))
    principal = await sessions.principal_of(hub.db, session) if session else None
    if principal is None or session is None:
        if not wants_html(request):
            return unauthenticated()
        response = redirect(f"{PREFIX}/login")
        if request.cookies.get(sessions.COOKIE):
            sessions.clear(response)  # expired, tampered or revoked: forget it
        return response
    return Visit(request, hub, principal, session)


def page(handler: Handler) -> Endpoint:
    """Wrap a console handler: authentication, CSRF, and the error pages."""

    async def endpoint(request: Request) -> Response:
        hub = hub_of(request)
        visit = await _visit(request, hub)
        if isinstance(visit, Response):
            return visit
        fields = list(request.query_params.multi_items())
        if request.method == "POST" and visit.session is not None:
            form = await request.form()
            if not sessions.csrf_ok(visit.session, form.get(sessions.CSRF_FIELD)):
                error = Forbidden("表单已过期，请刷新页面后重新提交。")
                return error_page(request, visit, error, 403)
            fields += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        if (bad := find_bad("form", [{k: v} for k, v in fields])) is not None:  # every form
            head, *rest = bad.split("_")
            named = head + "".join(w.title() for w in rest)  # document_number → documentNumber
            shown = named if named in labels.FIELD else "form"
            refused = BadUserInput(shown, "提交的内容含有控制字符（如空字符），请删除后重新提交。")
            return error_page(request, visit, refused, 400)
        try:
            return await handler(visit)
        except HubError as exc:  # what a page did not show inline becomes the whole page
            return error_page(request, visit, exc, status_for(exc))

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


def allowed(check: Callable[..., None], *args: Any) -> bool:
    """Whether a ``policy.require_*`` check passes: pages offer only what would succeed."""
    try:
        check(*args)
    except Forbidden:
        return False
    return True


async def form_data(request: Request) -> dict[str, str]:
    """The submitted form as plain strings (files are not part of any console form)."""
    form = await request.form()
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


def done_url(url: str, done: str) -> str:
    return f"{url}?{urlencode({'done': done})}"
