"""What an operator trips over: the production secret, TLS proxies, sign-out, ops endpoints."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from hub.server import make_server
from hub.settings import Settings, UnsafeSettings
from hub.web.app import create_app
from hub.web.console.session import COOKIE
from tests.console.conftest import csrf_of, sign_in
from tests.support import LiveHub, free_port, start_hub

HTML = {"Accept": "text/html"}


@pytest.mark.parametrize("secret", [None, "dev-only-change-me", "short"])
def test_production_refuses_a_missing_or_development_secret(
    tmp_path: Path, secret: str | None
) -> None:
    values = {"secret_key": secret} if secret else {}
    settings = Settings(env="production", database_url=f"sqlite:///{tmp_path}/hub.db", **values)
    with pytest.raises(UnsafeSettings, match="HUB_SECRET_KEY"):
        create_app(settings)
    create_app(Settings(env="production", secret_key="k" * 40, database_url=settings.database_url))
    create_app(Settings(database_url=settings.database_url))  # development keeps its default


async def test_signing_out_ends_the_session_for_a_copied_cookie(hub: LiveHub) -> None:
    token = await hub.token("court_officer", "闽0602")
    async with httpx.AsyncClient(base_url=hub.url) as browser:
        assert (await sign_in(browser, token)).status_code == 303
        copied = browser.cookies[COOKIE]
        page = await browser.get("/console/cases", headers=HTML)
        assert page.status_code == 200
        out = await browser.post("/console/logout", data={"csrf": csrf_of(page.text)})
        assert out.status_code == 303
    async with httpx.AsyncClient(base_url=hub.url, cookies={COOKIE: copied}) as thief:
        again = await thief.get("/console/cases", headers=HTML)
        assert again.status_code == 303
        assert again.headers["location"].endswith("/console/login")
    # another session of the same token is untouched
    async with httpx.AsyncClient(base_url=hub.url) as other:
        await sign_in(other, token)
        assert (await other.get("/console/cases", headers=HTML)).status_code == 200


async def test_metrics_and_agency_detail_only_for_operators(database_url: str) -> None:
    async with start_hub(database_url) as live:  # loopback: the default operator address
        assert (await live.client.get("/metrics")).status_code == 200
        assert "agencies" in (await live.client.get("/readyz")).json()
    async with start_hub(database_url, ops_allow_ips="10.0.0.0/8", ops_token="t" * 24) as live:
        assert (await live.client.get("/metrics")).status_code == 403
        ready = await live.client.get("/readyz")
        assert ready.status_code == 200 and ready.json() == {"status": "ready", "database": "ok"}
        wrong = {"Authorization": "Bearer " + "x" * 24}
        assert (await live.client.get("/metrics", headers=wrong)).status_code == 403
        ops = {"Authorization": "Bearer " + "t" * 24}
        assert (await live.client.get("/metrics", headers=ops)).status_code == 200
        assert "agencies" in (await live.client.get("/readyz", headers=ops)).json()


async def test_cookies_are_secure_behind_a_trusted_tls_proxy(database_url: str) -> None:
    async def login_cookie(forwarded_allow_ips: str) -> str:
        port = free_port()
        settings = Settings(
            database_url=database_url,
            port=port,
            log_json=False,
            forwarded_allow_ips=forwarded_allow_ips,
        )
        server = make_server(settings, dispatcher=False)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as proxy:
                response = await proxy.get("/console/login", headers={"X-Forwarded-Proto": "https"})
                return response.headers["set-cookie"]
        finally:
            server.should_exit = True
            await task

    assert "secure" in (await login_cookie("127.0.0.1")).lower()
    assert "secure" not in (await login_cookie("192.0.2.1")).lower()  # not our proxy: ignored
