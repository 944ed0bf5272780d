"""The console speaks zh-CN: no English words, no raw ids or codes, in what people read.

A real browser (Debian's Chromium) walks the pages a court officer and an
agency officer use, after requests of every outcome; any ASCII word of more
than three letters in the visible text fails the test, once ids, case
numbers, certificate numbers and plates are set aside.
"""

from __future__ import annotations

import asyncio
import copy
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, Page

from hub import rechecks
from hub.models import utcnow
from tests.assistance.loop import ANSWER, DEBTOR, ZHOU, Admin, Loop, case_input, data
from tests.console.test_browser import chromium, shot

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing"),
]

NUMBER = "（2026）闽0602执3088号"
FLAT = "闽(2019)漳州市不动产权第0012345号"
PUTIAN_FLAT = "闽(2016)莆田市不动产权第0045678号"
ZHANGPU_FLAT = "闽(2017)漳浦县不动产权第0006789号"
FILE = "mutation($input: FileCaseInput!) { fileCase(input: $input) { number } }"
PARTY_IDS = "query($n: String!) { case(number: $n) { parties { id idNumber } } }"

# what may be ASCII: request ids (UUIDs), ID numbers, agency references
ALLOWED = [
    re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    re.compile(r"\b[0-9]{17}[0-9X]\b"),
    re.compile(r"\b[0-9]{8}[0-9A-Z]{9}[0-9A-Z]\b"),  # unified social credit codes
]
WORD = re.compile(r"[A-Za-z]{4,}")


def english_words(text: str) -> list[str]:
    for pattern in ALLOWED:
        text = pattern.sub(" ", text)
    return WORD.findall(text)


async def visit(page: Page, url: str, name: str, found: dict[str, list[str]]) -> None:
    response = await page.goto(url)
    assert response is not None and response.status < 400, (url, response and response.status)
    text = await page.inner_text("body")
    await shot(page, f"language-{name}")
    lines = [line.strip() for line in text.splitlines() if english_words(line)]
    if lines:
        found[name] = lines


async def signed_in(browser: Browser, base: str, token: str) -> Page:
    page = await (await browser.new_context(locale="zh-CN")).new_page()
    page.set_default_timeout(15_000)
    await page.goto(f"{base}/console/login")
    await page.fill("input[name=token]", token)
    await page.click("form button[type=submit]")
    await page.wait_for_load_state()
    return page


async def settled(loop: Loop, rid: str, statuses: set[str]) -> dict[str, Any]:
    return await loop.wait_status(rid, statuses)


async def test_the_console_reads_in_chinese(live: tuple[Loop, Admin]) -> None:
    first, admin = live
    hub = first.live
    officer = await hub.token("court_officer", "闽0602", name="芗城区法院执行局 李法官")
    data(await hub.gql(FILE, {"input": case_input(NUMBER)}, token=officer))
    loop = Loop(live=hub, court=officer, number=NUMBER)
    doc = {"documentNumber": f"{NUMBER}之一"}

    def made(body: dict[str, Any]) -> str:
        rid: str = data(body)["createAssistanceRequest"]["id"]
        return rid

    # a seal that completes, one the registry refuses, a person located, a watch with a
    # sighting, a credit listing, and a seal waiting in a window registry's inbox
    sealed = made(
        await loop.create(
            agencyId="realestate-zhangzhou", action="SEAL", details={"certificate": FLAT}, **doc
        )
    )
    refused = made(
        await loop.create(
            agencyId="realestate-putian",
            action="SEAL",
            subjectIdNumber=ZHOU,
            details={"certificate": PUTIAN_FLAT},
            **doc,
        )
    )
    located = made(await loop.create(agencyId="police-fujian", action="LOCATE_PERSON"))
    watch = made(
        await loop.create(agencyId="police-fujian", action="WATCH", details={"plate": "闽E12345"})
    )
    listed = made(await loop.create(agencyId="credit-fujian", action="RESTRICT_CONSUMPTION", **doc))
    window = made(
        await loop.create(
            agencyId="realestate-zhangpu",
            action="SEAL",
            subjectIdNumber=ZHOU,
            details={"certificate": ZHANGPU_FLAT},
            **doc,
        )
    )
    answered = made(
        await loop.create(
            agencyId="realestate-zhangpu",
            action="QUERY",
            subjectIdNumber=ZHOU,
        )
    )
    for rid in (sealed, refused, located, listed):
        await settled(loop, rid, {"COMPLETED", "REJECTED"})
    await settled(loop, watch, {"ACKNOWLEDGED"})
    url = f"{admin.urls['police']}/_admin/world"
    world = copy.deepcopy((await admin.client.get(url)).json())
    car = next(v for v in world["vehicles"] if v["plate"] == "闽E12345")
    car["sightings"].append({"at": "2026-12-06T10:05:00+08:00", "place": "漳州万达广场停车场"})
    assert (await admin.client.put(url, json=world)).status_code == 200
    for _ in range(500):
        node = await loop.get(watch)
        assert node is not None
        if any(e["kind"] == "SIGHTING" for e in node["events"]):
            break
        await asyncio.sleep(0.02)
    window_officer = await hub.token(
        "agency_officer", "realestate-zhangpu", name="漳浦县不动产登记中心 窗口"
    )
    data(
        await hub.gql(
            ANSWER,
            {"input": {"id": answered, "outcome": "查有房产一处", "result": {"text": "见附件"}}},
            token=window_officer,
        )
    )
    parties = data(await hub.gql(PARTY_IDS, {"n": NUMBER}, token=officer))["case"]["parties"]
    debtor = next(p["id"] for p in parties if p["idNumber"] == DEBTOR)
    # a name-only record confirmed, a credit repair waiting, a terminated case re-checked
    confirm = (
        "mutation($c: String!, $i: String!, $r: String!, $n: String!) {"
        " confirmOwnership(caseNumber: $c, idNumber: $i, reference: $r, note: $n) }"
    )
    args = {"c": NUMBER, "i": DEBTOR, "r": PUTIAN_FLAT, "n": "购房合同载明的买受人即被执行人"}
    data(await hub.gql(confirm, args, token=officer))
    repair = (
        "mutation($c: String!, $i: String!, $n: String!) { recordCreditRepair(caseNumber: $c,"
        " idNumber: $i, basis: COMMITTED, note: $n) { id } }"
    )
    data(await hub.gql(repair, {"c": NUMBER, "i": DEBTOR, "n": "签署信用承诺书"}, token=officer))
    ended = "（2026）闽0602执3089号"
    data(await hub.gql(FILE, {"input": case_input(ended)}, token=officer))
    terminate = (
        'mutation($n: String!) { updateCaseStatus(number: $n, status: TERMINATED, note: "无财产")'
        " { status } }"
    )
    data(await hub.gql(terminate, {"n": ended}, token=officer))
    start = utcnow()
    await rechecks.tick(hub.state, start)
    await rechecks.tick(hub.state, start + timedelta(days=181))
    observer = await hub.token("observer", NUMBER, name="市人大代表 王某")
    police = await hub.token("agency_officer", "police-fujian", name="福建省公安厅 指挥中心")

    base = hub.url
    case_url = f"{base}/console/cases/{quote(NUMBER, safe='')}"
    found: dict[str, list[str]] = {}
    async with chromium() as browser:
        page = await (await browser.new_context(locale="zh-CN")).new_page()
        await visit(page, f"{base}/console/login", "login", found)

        page = await signed_in(browser, base, officer)
        await visit(page, f"{base}/console/cases", "cases", found)
        await visit(page, case_url, "case", found)
        await visit(page, f"{case_url}/dossier?party={debtor}", "dossier", found)
        await visit(page, f"{case_url}/requests/new?party={debtor}", "request-new", found)
        for name, rid in (
            ("sealed", sealed),
            ("refused", refused),
            ("located", located),
            ("watch", watch),
            ("listed", listed),
            ("window", window),
            ("answered", answered),
        ):
            await visit(page, f"{base}/console/requests/{rid}", f"request-{name}", found)

        await visit(page, f"{base}/console/cases/{quote(ended, safe='')}", "case-terminated", found)

        page = await signed_in(browser, base, observer)
        await visit(page, case_url, "observer-case", found)
        assert "跟案代表委员" in await page.inner_text("header")

        page = await signed_in(browser, base, police)
        await visit(page, f"{base}/console/inbox?status=ALL", "police-inbox", found)
        await visit(page, f"{base}/console/requests/{watch}", "police-watch", found)

        page = await signed_in(browser, base, window_officer)
        await visit(page, f"{base}/console/inbox", "inbox", found)
        await visit(page, f"{base}/console/requests/{window}", "inbox-request", found)
    assert found == {}, "\n".join(f"{k}: {v}" for k, vs in found.items() for v in vs)
