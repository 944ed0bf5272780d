"""Signing in and out of the console, and the role's home page.

The sign-in form never redirects an unauthenticated visitor anywhere, so no
redirect loop can start here: a bad token shows the form again with the error.
Its CSRF value lives in an anonymous session cookie; a successful sign-in
replaces that cookie with a fresh session (new CSRF value), which stops a
planted session from surviving sign-in.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hub import audit
from hub.auth import hash_token, sign_in
from hub.web.console import session as sessions
from hub.web.console.web import (
    HOME_BY_ROLE,
    PREFIX,
    Visit,
    codec_of,
    hub_of,
    page,
    redirect,
    render,
)

_BAD_TOKEN = "令牌无效、已过期或已被吊销，请核对后重新输入。"
_EXPIRED_FORM = "登录页面已过期，请重新提交。"


def _login_form(request: Request, current: sessions.Session | None, error: str | None) -> Response:
    """The form (again): a visitor without a session gets an anonymous one for its CSRF value.

    An existing session is reused, not re-signed: showing this page must not
    extend a session's life, and another tab's forms keep their CSRF value.
    """
    session = current or sessions.anonymous()
    response = render(request, "login.html", {"csrf": session.csrf, "error": error})
    if current is None:
        sessions.store(response, request, codec_of(hub_of(request)), session)
    return response


async def login(request: Request) -> Response:
    hub = hub_of(request)
    codec = codec_of(hub)
    current = sessions.read(request, codec)
    if request.method == "GET":
        return _login_form(request, current, None)
    form = await request.form()
    if not sessions.csrf_ok(current, form.get(sessions.CSRF_FIELD)):
        return _login_form(request, current, _EXPIRED_FORM)
    token = form.get("token")
    token = token.strip() if isinstance(token, str) else ""
    principal = await sign_in(hub.db, token, via="console")  # audited as auth.sign_in
    if principal is None:
        return _login_form(request, current, _BAD_TOKEN)
    response = redirect(HOME_BY_ROLE[principal.role])
    sessions.store(response, request, codec, sessions.signed_in(principal.id, hash_token(token)))
    return response


@page
async def logout(visit: Visit) -> Response:
    async with visit.hub.db.transaction() as session:
        await audit.record(
            session, actor=visit.principal, action="auth.sign_out", detail={"via": "console"}
        )
    if visit.session is not None:
        await sessions.end(visit.hub.db, visit.session)
    response = redirect(f"{PREFIX}/login")
    sessions.clear(response)
    return response


@page
async def home(visit: Visit) -> Response:
    return redirect(HOME_BY_ROLE[visit.principal.role])
