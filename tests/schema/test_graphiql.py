"""GraphiQL at ``GET /graphql``: the page opens for anyone, queries need the token.

The page loads its scripts from a public CDN, which a test machine (or a
court's intranet) may not reach. With ``graphiql_assets_dir`` the hub serves
them itself; the browser test runs once with the CDN answered from the same
files, byte for byte (the page checks their integrity hashes), and once with
every CDN request refused, against the hub serving them: GraphiQL offline.
Those files come from the npm packages they are published in, fetched as
``hub graphiql fetch`` does.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
import structlog.testing
from playwright.async_api import Request, Route, async_playwright
from typer.testing import CliRunner

from hub.cli import app as cli
from hub.web.graphiql_assets import (
    CDN,
    MOUNT,
    Asset,
    asset_routes,
    ide_html,
    missing,
    page_assets,
)
from tests.node import npm_assets
from tests.support import LiveHub, start_hub

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


async def test_the_page_needs_no_token_but_queries_do(hub: LiveHub) -> None:
    page = await hub.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    assert "graphiql" in page.text.lower()
    # without graphiql_assets_dir the page is strawberry's own, loading from unpkg.com
    assert page.text == ide_html()
    assert (
        await hub.client.get(f"{MOUNT}/react@18.2.0/umd/react.production.min.js")
    ).status_code == 404

    refused = await hub.client.post("/graphql", json={"query": "{ me { name } }"})
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def assets_folder() -> tuple[list[Asset], Path]:
    assets = page_assets(ide_html())
    assert len(assets) >= 5, assets  # React, ReactDOM, GraphiQL's script and style ...
    assert all(a.integrity for a in assets), "a CDN asset without an integrity hash"
    return assets, npm_assets("graphiql", assets)


def test_the_page_names_its_cdn_files_with_their_hashes() -> None:
    assets = page_assets(ide_html())
    names = {a.package for a in assets}
    assert {"react", "react-dom", "graphiql", "@graphiql/plugin-explorer"} <= names
    explorer = next(a for a in assets if a.package == "@graphiql/plugin-explorer")
    assert explorer.relative.startswith("@graphiql/plugin-explorer@")  # unpkg's layout
    assert all(a.integrity and a.integrity.startswith("sha384-") for a in assets)


def test_a_file_that_fails_its_hash_counts_as_missing(tmp_path: Path) -> None:
    good = b"console.log('graphiql');\n"
    digest = base64.b64encode(hashlib.sha384(good).digest()).decode()
    asset = Asset("graphiql", "3.8.3", "graphiql.min.js", integrity=f"sha384-{digest}")
    assert missing(tmp_path, [asset]) == [asset]
    file = tmp_path / "graphiql@3.8.3" / "graphiql.min.js"
    file.parent.mkdir(parents=True)
    file.write_bytes(good)
    assert missing(tmp_path, [asset]) == []
    file.write_bytes(good.replace(b"graphiql", b"tampered"))
    assert missing(tmp_path, [asset]) == [asset]


def test_a_folder_lacking_files_is_named_when_the_hub_starts(tmp_path: Path) -> None:
    with structlog.testing.capture_logs() as logs:
        routes = asset_routes(tmp_path)
    assert [getattr(r, "path", None) for r in routes] == [MOUNT]  # served all the same
    (warning,) = [e for e in logs if e["log_level"] == "warning"]
    assert "hub graphiql fetch" in warning["event"]
    assert warning["missing"] == [a.relative for a in page_assets(ide_html())]


async def test_with_its_own_assets_the_hub_serves_every_file_the_page_names(
    database_url: str,
) -> None:
    assets, folder = assets_folder()
    async with start_hub(database_url, graphiql_assets_dir=folder) as hub:
        html = (await hub.client.get("/graphql", headers={"Accept": "text/html"})).text
        assert "unpkg.com" not in html
        named = re.findall(r'(?:src|href)="([^"]+)"', html)
        named = [url for url in named if not url.startswith("data:")]  # the inline icon
        assert sorted(named) == sorted(f"{MOUNT}/{a.relative}" for a in assets)
        for asset in assets:
            assert f'integrity="{asset.integrity}"' in html, asset.relative
            # public static files: no token
            answer = await hub.client.get(f"{MOUNT}/{asset.relative}")
            assert answer.status_code == 200, asset.relative
            kind = answer.headers["content-type"].split(";")[0]
            if asset.path.endswith(".css"):
                assert kind == "text/css", asset.relative
            else:
                assert kind in ("text/javascript", "application/javascript"), asset.relative
            assert asset.matches(answer.content), asset.relative


def test_hub_graphiql_fetch_fills_a_folder_the_hub_can_serve(tmp_path: Path) -> None:
    assets, _ = assets_folder()  # skips without npm or the registry
    folder = tmp_path / "graphiql-assets"
    result = CliRunner().invoke(cli, ["graphiql", "fetch", str(folder)])
    assert result.exit_code == 0, result.output
    assert missing(folder, assets) == []
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files == sorted(a.relative for a in assets)  # only what the page loads
    assert f"HUB_GRAPHIQL_ASSETS_DIR={folder.resolve()}" in result.output


@pytest.mark.browser
@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"
)
@pytest.mark.parametrize("assets_from", ["cdn", "hub"])
async def test_graphiql_runs_a_query_with_a_pasted_token(
    database_url: str, assets_from: str
) -> None:
    """``cdn``: strawberry's page, unpkg.com answered with the npm files; ``hub``: the hub
    serves them and every request to unpkg.com is refused (an intranet)."""
    _, folder = assets_folder()
    settings = {"graphiql_assets_dir": folder} if assets_from == "hub" else {}
    refused: list[str] = []
    loaded: list[str] = []

    async def from_npm(route: Route) -> None:
        match = CDN.match(route.request.url)
        assert match is not None, route.request.url
        file = folder / f"{match.group(1)}@{match.group(2)}" / match.group(3)
        kind = "text/css" if file.suffix == ".css" else "application/javascript"
        await route.fulfill(
            body=file.read_bytes(),
            content_type=kind,
            headers={"Access-Control-Allow-Origin": "*"},
        )

    async def offline(route: Route) -> None:
        refused.append(route.request.url)
        await route.abort("internetdisconnected")

    def sent(request: Request) -> None:
        loaded.append(request.url)

    async with start_hub(database_url, **settings) as hub, async_playwright() as playwright:
        token = await hub.token("court_officer", "闽0602", name="芗城区法院执行局 林法官")
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            page.set_default_timeout(20_000)
            page.on("request", sent)
            await page.route("https://unpkg.com/**", from_npm if assets_from == "cdn" else offline)
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
            shot = "graphiql-01-query-with-token" + ("-offline" if assets_from == "hub" else "")
            await page.screenshot(path=str(SHOTS / f"{shot}.png"))
        finally:
            await browser.close()
    if assets_from == "hub":
        assert refused == []  # the page never even asked unpkg.com
        elsewhere = [u for u in loaded if not u.startswith((hub.url, "data:", "blob:"))]
        assert elsewhere == [], elsewhere  # nor any other host
        assert sum(url.startswith(f"{hub.url}{MOUNT}/") for url in loaded) == len(
            page_assets(ide_html())
        )
