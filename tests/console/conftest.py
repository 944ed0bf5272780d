"""Console fixtures: a hub with two console-channel registries, a filed case, sign-in."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date

import httpx
import pytest

from adapters.sdk.config import AgencyConfig
from hub import assistance
from hub.auth import Principal, Role, create_principal
from hub.cases import CaseData, PartyData, file_case
from hub.models import AssistanceRequest
from tests.support import LiveHub, start_hub

CASE_NUMBER = "（2026）闽0623执88号"
SUBJECT_ID = "350623197005050023"  # 周某, who holds a house in 漳浦县 in the default world
CERTIFICATE = "闽(2017)漳浦县不动产权第0006789号"

ZHANGPU = AgencyConfig(
    id="realestate-zhangpu",
    kind="realestate",
    name="漳浦县不动产登记中心",
    registry="350623",
    jurisdiction="350623",
    channel="console",
)
LONGHAI = AgencyConfig(
    id="realestate-longhai",
    kind="realestate",
    name="龙海区不动产登记中心",
    registry="350604",
    jurisdiction="350604",
    channel="console",
)

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


async def sign_in(client: httpx.AsyncClient, token: str) -> httpx.Response:
    """Sign ``client`` in through the form, as a browser would."""
    form = await client.get("/console/login")
    assert form.status_code == 200
    return await client.post("/console/login", data={"token": token, "csrf": csrf_of(form.text)})


async def file_demo_case(live: LiveHub, number: str = CASE_NUMBER) -> Principal:
    """A case of 漳浦县's court against 周某; returns the court officer who filed it."""
    officer, _ = await create_principal(live.state.db, role=Role.COURT_OFFICER, scope="闽0623")
    await file_case(
        live.state.db,
        officer,
        CaseData(
            number=number,
            filed_on=date(2026, 1, 5),
            cause="民间借贷纠纷",
            amount_claimed="52000.00",
            parties=[
                PartyData("APPLICANT", "PERSON", "黄某", "350302199002030044"),
                PartyData("RESPONDENT", "PERSON", "周某", SUBJECT_ID),
            ],
        ),
    )
    return officer


async def seal_request(live: LiveHub, officer: Principal, *, agency: str = ZHANGPU.id) -> str:
    """A SEAL of 周某's house addressed to ``agency``; returns the request id."""
    row = await assistance.create_request(
        live.state,
        officer,
        assistance.RequestData(
            case_number=CASE_NUMBER,
            subject_id_number=SUBJECT_ID,
            agency_id=agency,
            action="SEAL",
            document_number="（2026）闽0623执88号之一",
            details={"certificate": CERTIFICATE},
        ),
    )
    return row.id


@dataclass
class Console:
    live: LiveHub
    officer: Principal  # the court officer of 闽0623

    async def request(self, request_id: str) -> AssistanceRequest:
        """The request as stored now (read as the court officer who owns the case)."""
        row, _ = await assistance.get_request(self.live.state, self.officer, request_id)
        return row

    def client(self) -> httpx.AsyncClient:
        """A fresh cookie jar; the caller closes it (``async with``)."""
        return httpx.AsyncClient(base_url=self.live.url, timeout=30)

    @asynccontextmanager
    async def signed_in(self, role: str, scope: str) -> AsyncIterator[httpx.AsyncClient]:
        """A client whose cookie jar holds a session of a new principal of ``role``."""
        async with self.client() as client:
            response = await sign_in(client, await self.live.token(role, scope))
            assert response.status_code == 303, response.text
            yield client


@pytest.fixture
async def console(database_url: str) -> AsyncIterator[Console]:
    async with start_hub(database_url, agencies=[ZHANGPU, LONGHAI]) as live:
        yield Console(live, await file_demo_case(live))
