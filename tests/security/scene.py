"""A small world for the security tests: two courts, two console agencies, one case per test.

Console-channel agencies need no agency system: their requests start DISPATCHED
and their officers answer in the hub, so every assistance mutation can run
without a dispatcher. Agencies with systems come from ``running_mocks``.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import sys
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sdk.config import AgencyConfig
from hub.auth import Role
from hub.models import AuditEntry
from hub.storage import async_url
from mocks.runner import MockCluster, render_config
from tests.support import LiveHub, start_mock_cluster

COURT = "闽0602"
OTHER_COURT = "闽0206"
SUBJECT = "350602198003150015"  # 陈某某, respondent; known to the mock agencies
SUBJECT_MASKED = "350602********0015"
APPLICANT = "91350600MA2Y00001B"
STRANGER = "350203198507220034"  # a real person in the mock world, party to no case here
AGENCY = "realestate-zhangpu"
OTHER_AGENCY = "realestate-yunxiao"

CONSOLE_AGENCIES = [
    AgencyConfig(
        id=AGENCY,
        kind="realestate",
        name="漳浦县不动产登记中心",
        registry="350623",
        jurisdiction="350623",
        channel="console",
    ),
    AgencyConfig(
        id=OTHER_AGENCY,
        kind="realestate",
        name="云霄县不动产登记中心",
        registry="350622",
        jurisdiction="350622",
        channel="console",
    ),
]

FILE_CASE = """
mutation($input: FileCaseInput!) { fileCase(input: $input) { number parties { idNumber } } }"""
CREATE_REQUEST = """
mutation($input: CreateAssistanceRequestInput!) {
  createAssistanceRequest(input: $input) { id status }
}"""
ANSWER = """
mutation($id: ID!) { answerAssistanceRequest(input: {id: $id, outcome: "已查询", result: {}}) {
  status } }"""

OPEN_TICKET = """
mutation($input: OpenTicketInput!) { openTicket(input: $input) { id } }"""
REPLY_TICKET = """
mutation($id: ID!) { replyTicket(id: $id, reply: "已答复") { status } }"""

_numbers = itertools.count(random.randrange(1000, 9000) * 1000)


def year() -> int:
    return date.today().year


def case_number(n: int, court: str = COURT) -> str:
    return f"（{year()}）{court}执{n}号"


def case_input(number: str, respondent: str = SUBJECT) -> dict[str, Any]:
    return {
        "number": number,
        "filedOn": date.today().isoformat(),
        "cause": "典当纠纷",
        "amountClaimed": "150000.00",
        "parties": [
            {
                "role": "APPLICANT",
                "kind": "ORGANIZATION",
                "name": "漳州市某典当有限责任公司",
                "idNumber": APPLICANT,
            },
            {"role": "RESPONDENT", "kind": "PERSON", "name": "陈某某", "idNumber": respondent},
        ],
    }


def ok(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def code(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    value: str = body["errors"][0]["extensions"]["code"]
    return value


@dataclass
class Principals:
    """Tokens of every role the matrix knows, for one scene."""

    court_own: str
    court_other: str
    agency_addressed: str
    agency_other: str
    admin: str
    applicant_other: str = ""  # the applicant of another case of the same court
    supervisor: str = ""  # a supervisor of 闽06, over COURT (figures only)


async def principals(live: LiveHub) -> Principals:
    who = Principals(
        court_own=await live.token(Role.COURT_OFFICER, COURT),
        court_other=await live.token(Role.COURT_OFFICER, OTHER_COURT),
        agency_addressed=await live.token(Role.AGENCY_OFFICER, AGENCY),
        agency_other=await live.token(Role.AGENCY_OFFICER, OTHER_AGENCY),
        admin=await live.token(Role.ADMIN, "*"),
        supervisor=await live.token(Role.SUPERVISOR, "闽06"),
    )
    elsewhere = await file_case(live, who.court_own)
    who.applicant_other = await live.token(Role.APPLICANT, f"{elsewhere}:{APPLICANT}")
    return who


@dataclass
class Scene:
    """One fresh case of ``COURT`` with a request to ``AGENCY`` and observers for it."""

    live: LiveHub
    who: Principals
    case: str
    request: str
    observer_with: str
    observer_without: str
    applicant_with: str = ""  # the applicant of this case
    ticket: str = ""  # an applicant's request about this case, once prepared

    def token(self, role: str) -> str:
        if role == "observer_with":
            return self.observer_with
        if role == "observer_without":
            return self.observer_without
        if role == "applicant_with":
            return self.applicant_with
        value: str = getattr(self.who, role)
        return value

    async def answer(self) -> None:
        body = await self.live.gql(ANSWER, {"id": self.request}, token=self.who.agency_addressed)
        assert ok(body)["answerAssistanceRequest"]["status"] == "COMPLETED"

    async def open_ticket(self) -> None:
        body = await self.live.gql(
            OPEN_TICKET,
            {
                "input": {
                    "caseNumber": self.case,
                    "channel": "HOTLINE",
                    "category": "PROGRESS",
                    "content": "来电询问执行进度",
                    "applicantName": "林某",
                }
            },
            token=self.who.court_own,
        )
        self.ticket = ok(body)["openTicket"]["id"]

    async def reply_ticket(self) -> None:
        await self.open_ticket()
        body = await self.live.gql(REPLY_TICKET, {"id": self.ticket}, token=self.who.court_own)
        assert ok(body)["replyTicket"]["status"] == "REPLIED"


async def file_case(live: LiveHub, token: str, respondent: str = SUBJECT) -> str:
    number = case_number(next(_numbers))
    data = ok(await live.gql(FILE_CASE, {"input": case_input(number, respondent)}, token=token))
    filed: str = data["fileCase"]["number"]
    return filed


async def create_request(
    live: LiveHub, token: str, case: str, agency: str = AGENCY, action: str = "QUERY"
) -> str:
    variables = {
        "input": {
            "caseNumber": case,
            "subjectIdNumber": SUBJECT,
            "agencyId": agency,
            "action": action,
        }
    }
    data = ok(await live.gql(CREATE_REQUEST, variables, token=token))
    request_id: str = data["createAssistanceRequest"]["id"]
    return request_id


async def scene(live: LiveHub, who: Principals) -> Scene:
    case = await file_case(live, who.court_own)
    request = await create_request(live, who.court_own, case)
    elsewhere = case_number(next(_numbers))
    return Scene(
        live=live,
        who=who,
        case=case,
        request=request,
        observer_with=await live.token(Role.OBSERVER, case),
        observer_without=await live.token(Role.OBSERVER, elsewhere),
        applicant_with=await live.token(Role.APPLICANT, f"{case}:{APPLICANT}"),
    )


@dataclass
class ApiHub:
    """The hub with the five mock agencies as its agencies."""

    live: LiveHub
    who: Principals
    mocks: MockCluster


# -- audit rows -----------------------------------------------------------------------------


async def audit_rows(live: LiveHub, *, after: int = 0) -> list[AuditEntry]:
    async with live.state.db.session() as session:
        rows = await session.scalars(
            sa.select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id)
        )
        return list(rows.all())


async def last_audit_id(live: LiveHub) -> int:
    async with live.state.db.session() as session:
        value = await session.scalar(sa.select(sa.func.max(AuditEntry.id)))
    return int(value or 0)


# -- agencies with systems ------------------------------------------------------------------


@asynccontextmanager
async def running_mocks(
    attempts: int = 20,
) -> AsyncIterator[tuple[MockCluster, list[AgencyConfig]]]:
    """The five mocks on free ports, and the agencies ``render_config`` lists for them."""
    cluster = await start_mock_cluster(attempts)
    try:
        raw = tomllib.loads(render_config(cluster.port_base, cluster.world))["agencies"]
        yield cluster, [AgencyConfig(**entry) for entry in raw]
    finally:
        await cluster.stop()


async def agency_requests(cluster: MockCluster) -> int:
    """Requests the mocks received from the hub (their admin surface excluded)."""
    async with httpx.AsyncClient(timeout=5) as client:
        stats = await asyncio.gather(
            *(client.get(f"{url}/_admin/stats") for url in cluster.base_urls.values())
        )
    return sum(int(s.json()["requests"]) for s in stats)


# -- outside the application ------------------------------------------------------------


async def hub_command(*args: str) -> tuple[int, str]:
    """The real ``hub`` command in a subprocess: ``(exit status, stdout and stderr)``."""
    script = Path(sys.executable).with_name("hub")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "hub.cli"]
    process = await asyncio.create_subprocess_exec(
        *command,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


async def raw_sql(url: str, statement: str, **params: object) -> None:
    """Someone with database access, not the application."""
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text(statement), params)
    finally:
        await engine.dispose()
