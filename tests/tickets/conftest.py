"""A service centre: the hub with a console registry, two cases of 闽0602, their applicants,
the court's officer, another court's officer, and the mock SMS gateway as the notifier."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from adapters.sdk.config import AgencyConfig
from hub import ticket_jobs
from hub.auth import Role
from hub.notify import NOTIFIER, SmsNotifier
from mocks import sms
from tests.support import LiveHub, start_hub

COURT = "闽0602"
OTHER_COURT = "闽0206"
CASE = "（2026）闽0602执501号"
OTHER_CASE = "（2026）闽0602执502号"
APPLICANT_ID = "91350600MA2Y00001B"  # 漳州市某典当有限责任公司
OTHER_APPLICANT_ID = "350203198507220034"
RESPONDENT_ID = "350602198003150015"  # 陈某某
HEAD = "王局长"

ZHANGPU = AgencyConfig(
    id="realestate-zhangpu",
    kind="realestate",
    name="漳浦县不动产登记中心",
    registry="350623",
    jurisdiction="350623",
    channel="console",
)

FILE_CASE = "mutation($input: FileCaseInput!) { fileCase(input: $input) { number } }"
TICKET_FIELDS = """
  id number channel category caseNumber court applicantName content status assignee
  receivedAt dueAt overdue reply repliedAt urgeCount escalatedTo rating ratingComment
  events { at kind actor note }
"""
OPEN = "mutation($input: OpenTicketInput!) { openTicket(input: $input) {" + TICKET_FIELDS + "} }"
REPLY = (
    "mutation($id: ID!, $r: String!) { replyTicket(id: $id, reply: $r) {" + TICKET_FIELDS + "} }"
)
URGE = "mutation($id: ID!, $n: String) { urgeTicket(id: $id, note: $n) {" + TICKET_FIELDS + "} }"
RATE = (
    "mutation($id: ID!, $r: Int!, $c: String) { rateTicket(id: $id, rating: $r, comment: $c) {"
    + TICKET_FIELDS
    + "} }"
)
GET = "query($id: ID!) { ticket(id: $id) {" + TICKET_FIELDS + "} }"


def case_input(number: str, applicant: tuple[str, str, str]) -> dict[str, Any]:
    kind, name, id_number = applicant
    return {
        "number": number,
        "filedOn": "2026-03-02",
        "cause": "典当纠纷",
        "amountClaimed": "150000.00",
        "parties": [
            {"role": "APPLICANT", "kind": kind, "name": name, "idNumber": id_number},
            {"role": "RESPONDENT", "kind": "PERSON", "name": "陈某某", "idNumber": RESPONDENT_ID},
        ],
    }


def ok(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    extensions: dict[str, Any] = body["errors"][0]["extensions"]
    return extensions


@dataclass
class Centre:
    live: LiveHub
    officer: str  # 闽0602's officer, who filed both cases
    other_court: str
    applicant: str  # the applicant of CASE
    other_applicant: str  # the applicant of OTHER_CASE
    admin: str
    gateway: sms.Gateway

    async def gql(self, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
        return await self.live.gql(query, variables, token=token)

    async def open(self, token: str, **fields: Any) -> dict[str, Any]:
        values = {
            "caseNumber": CASE,
            "channel": "WINDOW",
            "category": "PROGRESS",
            "content": "请问案件执行到哪一步了？",
            "applicantName": "林某",
            "applicantPhone": "13800000001",
            **fields,
        }
        ticket: dict[str, Any] = ok(await self.gql(OPEN, {"input": values}, token))["openTicket"]
        return ticket

    async def run_jobs(self) -> int:
        return await ticket_jobs.run_due(self.live.state)


async def make_centre(live: LiveHub) -> Centre:
    officer = await live.token(Role.COURT_OFFICER, COURT, name="李法官")
    ok(
        await live.gql(
            FILE_CASE,
            {"input": case_input(CASE, ("ORGANIZATION", "漳州市某典当有限责任公司", APPLICANT_ID))},
            token=officer,
        )
    )
    ok(
        await live.gql(
            FILE_CASE,
            {"input": case_input(OTHER_CASE, ("PERSON", "黄某某", OTHER_APPLICANT_ID))},
            token=officer,
        )
    )
    gateway = sms.Gateway()
    app: Starlette = sms.build_app(gateway)
    live.state.put(NOTIFIER, SmsNotifier("http://sms.test", transport=httpx.ASGITransport(app=app)))
    centre = Centre(
        live=live,
        officer=officer,
        other_court=await live.token(Role.COURT_OFFICER, OTHER_COURT),
        applicant=await live.token(Role.APPLICANT, f"{CASE}:{APPLICANT_ID}", name="林某"),
        other_applicant=await live.token(
            Role.APPLICANT, f"{OTHER_CASE}:{OTHER_APPLICANT_ID}", name="黄某某"
        ),
        admin=await live.token(Role.ADMIN, "*"),
        gateway=gateway,
    )
    for token in (centre.other_court, centre.applicant, centre.other_applicant, centre.admin):
        await live.gql("{ me { id } }", token=token)  # a token's first use is audited: not later
    return centre


@pytest.fixture
async def centre(database_url: str) -> AsyncIterator[Centre]:
    async with start_hub(database_url, agencies=[ZHANGPU], ticket_heads={COURT: HEAD}) as live:
        yield await make_centre(live)
