"""Console sign-in, sessions, CSRF and the 401 / redirect rules, over real HTTP."""

from __future__ import annotations

from sqlalchemy import select

from hub.auth import authenticate, revoke
from hub.models import AuditEntry
from hub.web.console.session import COOKIE, MAX_AGE_S, Session, SessionCodec
from tests.console.conftest import Console, csrf_of, seal_request, sign_in

HTML = {"Accept": "text/html,application/xhtml+xml"}


async def sign_ins(console: Console) -> list[AuditEntry]:
    async with console.live.state.db.session() as session:
        rows = await session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.sign_in"))
        return list(rows)


async def test_login_form_is_chinese_and_sets_a_strict_cookie(console: Console) -> None:
    async with console.client() as client:
        response = await client.get("/console/login")
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in response.text
    assert 'name="token"' in response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Path=/console" in cookie


async def test_sign_in_redirects_by_role_and_is_audited(console: Console) -> None:
    homes = {
        ("agency_officer", "realestate-zhangpu"): "/console/inbox",
        ("court_officer", "闽0623"): "/console/cases",
        ("observer", "（2026）闽0623执88号"): "/console/cases",
        ("admin", "*"): "/console/agencies",
    }
    for (role, scope), home in homes.items():
        async with console.client() as client:
            response = await sign_in(client, await console.live.token(role, scope))
            assert response.status_code == 303
            assert response.headers["location"] == home
            assert (await client.get(home)).status_code == 200
    audited = await sign_ins(console)
    assert len(audited) == 4
    assert {e.detail.get("via") for e in audited} == {"console"}


async def test_a_bad_token_shows_the_form_again(console: Console) -> None:
    async with console.client() as client:
        form = await client.get("/console/login")
        response = await client.post(
            "/console/login", data={"token": "hub_not-a-token", "csrf": csrf_of(form.text)}
        )
        assert response.status_code == 200  # the form again: no 401, no redirect
        assert "令牌无效" in response.text
        assert 'name="token"' in response.text
        # still not signed in
        assert (await client.get("/console/inbox", headers=HTML)).status_code == 303
    assert await sign_ins(console) == []


async def test_sign_in_without_the_form_csrf_value_is_refused(console: Console) -> None:
    token = await console.live.token("agency_officer", "realestate-zhangpu")
    async with console.client() as client:
        response = await client.post("/console/login", data={"token": token})
        assert response.status_code == 200
        assert "页面已过期" in response.text
        assert "location" not in response.headers
    assert await sign_ins(console) == []


async def test_browsers_without_a_session_go_to_the_sign_in_page(console: Console) -> None:
    async with console.client() as client:
        for path in ("/console/", "/console/inbox", "/console/cases", "/console/requests/x"):
            browser = await client.get(path, headers=HTML)
            assert browser.status_code == 303, path
            assert browser.headers["location"] == "/console/login"
            other = await client.get(path)
            assert other.status_code == 401, path
        # the sign-in page itself never redirects: no loop
        assert (await client.get("/console/login", headers=HTML)).status_code == 200


async def test_bearer_tokens_work_on_console_pages(console: Console) -> None:
    request_id = await seal_request(console.live, console.officer)
    token = await console.live.token("agency_officer", "realestate-zhangpu")
    async with console.client() as client:
        good = await client.get("/console/inbox", headers={"Authorization": f"Bearer {token}"})
        assert good.status_code == 200
        assert f"/console/requests/{request_id}" in good.text
        bad = await client.get(
            "/console/inbox", headers={"Authorization": "Bearer hub_forged", **HTML}
        )
        assert bad.status_code == 401  # a bad bearer is never sent to the form
        # a bearer caller posts without a CSRF value: no browser sends that header by itself
        ack = await client.post(
            f"/console/requests/{request_id}/acknowledge",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert ack.status_code == 303
    row = await console.request(request_id)
    assert row.status == "ACKNOWLEDGED"


async def test_forms_posted_without_the_session_csrf_value_change_nothing(
    console: Console,
) -> None:
    request_id = await seal_request(console.live, console.officer)
    async with console.signed_in("court_officer", "闽0623") as client:
        refused = await client.post(f"/console/requests/{request_id}/urge", data={"note": "快"})
        assert refused.status_code == 403
        forged = await client.post(
            f"/console/requests/{request_id}/urge", data={"note": "快", "csrf": "guess"}
        )
        assert forged.status_code == 403
        page = await client.get(f"/console/requests/{request_id}")
        accepted = await client.post(
            f"/console/requests/{request_id}/urge", data={"csrf": csrf_of(page.text)}
        )
        assert accepted.status_code == 303
    row = await console.request(request_id)
    assert row.urge_count == 1


async def test_a_tampered_or_stale_cookie_is_no_session(console: Console) -> None:
    async with console.signed_in("court_officer", "闽0623") as client:
        value = client.cookies[COOKIE]
        client.cookies.set(COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
        response = await client.get("/console/cases", headers=HTML)
        assert response.status_code == 303
        assert response.headers["location"] == "/console/login"
    codec = SessionCodec(console.live.settings.secret_key)
    other = SessionCodec("another-secret")
    forged = other.dumps(Session(csrf="x", principal_id=console.officer.id, token_hash="0" * 16))
    assert codec.loads(forged) is None
    assert MAX_AGE_S <= 12 * 3600


async def test_sign_out_ends_the_session(console: Console) -> None:
    async with console.signed_in("agency_officer", "realestate-zhangpu") as client:
        page = await client.get("/console/inbox")
        response = await client.post("/console/logout", data={"csrf": csrf_of(page.text)})
        assert response.status_code == 303
        assert response.headers["location"] == "/console/login"
        assert COOKIE not in client.cookies
        assert (await client.get("/console/inbox", headers=HTML)).status_code == 303


async def test_a_revoked_principal_loses_its_session_at_once(console: Console) -> None:
    token = await console.live.token("agency_officer", "realestate-zhangpu")
    async with console.client() as client:
        await sign_in(client, token)
        assert (await client.get("/console/inbox")).status_code == 200
        principal = await authenticate(console.live.state.db, token)
        assert principal is not None
        assert await revoke(console.live.state.db, principal.id)
        response = await client.get("/console/inbox", headers=HTML)
        assert response.status_code == 303
        assert response.headers["location"] == "/console/login"
