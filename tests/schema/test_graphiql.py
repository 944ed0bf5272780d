"""GraphiQL at ``GET /graphql``: the page opens for anyone, queries need the token.

The page loads its scripts from a public CDN, which a test machine (or a
court's intranet) may not reach: the browser test serves those same files,
byte for byte (the page checks their integrity hashes), from the npm packages
they are published in.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Route, async_playwright

from tests.node import npm_unpack
from tests.support import LiveHub

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"]
CDN = re.compile(r"https://unpkg\.com/((?:@[^/\"]+/)?[^@/\"]+)@([^/\"]+)/([^\"]+)")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


async def test_the_page_needs_no_token_but_queries_do(hub: LiveHub) -> None:
    page = await hub.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    assert "graphiql" in page.text.lower()

    refused = await hub.client.post("/graphql", json={"query": "{ me { name } }"})
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.browser
@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"
)
async def test_graphiql_runs_a_query_with_a_pasted_token(hub: LiveHub) -> None:
    token = await hub.token("court_officer", "闽0602", name="芗城区法院执行局 林法官")
    html = (await hub.client.get("/graphql", headers={"Accept": "text/html"})).text
    assets = sorted(set(CDN.findall(html)))
    assert assets, "the page names no CDN assets"
    folder = npm_unpack("graphiql", sorted({f"{name}@{version}" for name, version, _ in assets}))

    async def from_npm(route: Route) -> None:
        match = CDN.match(route.request.url)
        assert match is not None, route.request.url
        name, _, path = match.groups()
        file = folder / name / path
        kind = "text/css" if path.endswith(".css") else "application/javascript"
        await route.fulfill(
            body=file.read_bytes(),
            content_type=kind,
            headers={"Access-Control-Allow-Origin": "*"},
        )

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            page.set_default_timeout(20_000)
            await page.route("https://unpkg.com/**", from_npm)
            await page.goto(f"{hub.url}/graphql")
            await page.wait_for_selector(".graphiql-query-editor .CodeMirror")

            # the query editor: replace the welcome text with a query
            await page.click(".graphiql-query-editor .CodeMirror")
            await page.keyboard.press("Control+A")
            await page.keyboard.insert_text("{ me { name role scope } }")

            # the headers box, below the query: paste the bearer token there
            await page.get_by_role("button", name="Headers").click()
            await page.click(".graphiql-editor-tool .CodeMirror >> visible=true")
            await page.keyboard.press("Control+A")
            await page.keyboard.insert_text(f'{{"Authorization": "Bearer {token}"}}')

            await page.click(".graphiql-execute-button")
            result = page.locator(".result-window")
            await result.get_by_text("芗城区法院执行局 林法官").wait_for()
            text = await result.inner_text()
            assert "court_officer" in text and "UNAUTHENTICATED" not in text
            SHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SHOTS / "graphiql-01-query-with-token.png"))
        finally:
            await browser.close()
