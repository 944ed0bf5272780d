"""Helpers for the assistance tests: a case, tokens, GraphQL calls and the real mocks."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from adapters.sdk.config import AgencyConfig
from hub.server import dispatcher_service
from mocks.runner import MockCluster, render_config
from tests.support import LiveHub, start_hub, start_mock_cluster

COURT = "闽0602"
DEBTOR = "350602198003150015"  # 陈某某, Zhangzhou
ZHOU = "350623197005050023"  # 周某, property in the Zhangpu county registry
APPLICANT = "91350600MA2Y00001B"
STRANGER = "350203198507220034"  # the same-name stranger: not a party
CONSOLE_AGENCY = "realestate-zhangpu"
ZHANGPU_CERT = "闽(2017)漳浦县不动产权第0006789号"

REQUEST = """
  id status action agencyId agencyName agency { id channel } caseNumber court documentNumber details idempotencyKey
  createdAt dueAt dispatchedAt acknowledgedAt answeredAt overdue urgeCount failure agencyRef
  sealRank sealExpiresOn unsealsId
  answer { outcome result } evaluation { rating comment }
  subject { name idNumber }
  events { kind actor note }
"""

CREATE = (
    "mutation($input: CreateAssistanceRequestInput!) { createAssistanceRequest(input: $input) {"
    + REQUEST
    + "} }"
)
GET = "query($id: ID!) { assistanceRequest(id: $id) {" + REQUEST + "} }"
LIST = (
    "query($f: AssistanceRequestFilter, $first: Int!, $after: String, $order: AssistanceRequestOrder!)"
    " { assistanceRequests(filter: $f, first: $first, after: $after, order: $order) {"
    " totalCount pageInfo { hasNextPage endCursor } nodes { id status urgeCount overdue action } } }"
)
ACK = "mutation($id: ID!) { acknowledgeAssistanceRequest(id: $id) { id status } }"
ANSWER = (
    "mutation($input: AnswerAssistanceRequestInput!) { answerAssistanceRequest(input: $input) {"
    + REQUEST
    + "} }"
)
REJECT = "mutation($id: ID!, $r: String!) { rejectAssistanceRequest(id: $id, reason: $r) { id status answer { outcome } } }"
URGE = "mutation($id: ID!, $note: String) { urgeAssistanceRequest(id: $id, note: $note) { id urgeCount status } }"
EVALUATE = (
    "mutation($id: ID!, $rating: Int!, $comment: String) {"
    " evaluateAssistanceRequest(id: $id, rating: $rating, comment: $comment) {"
    " id evaluation { rating comment } } }"
)
CANCEL = (
    "mutation($id: ID!, $r: String!) { cancelAssistanceRequest(id: $id, reason: $r) { id status } }"
)
RESEND = "mutation($id: ID!) { resendAssistanceRequest(id: $id) { id status failure } }"

FILE = """
mutation($input: FileCaseInput!) { fileCase(input: $input) { number } }"""


def case_number(n: int = 1) -> str:
    return f"（{date.today().year}）闽0602执{n}号"


def case_input(number: str) -> dict[str, Any]:
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
            {"role": "RESPONDENT", "kind": "PERSON", "name": "陈某某", "idNumber": DEBTOR},
            {"role": "RESPONDENT", "kind": "PERSON", "name": "周某", "idNumber": ZHOU},
        ],
    }


def data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]
    return result


def error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    first: dict[str, Any] = body["errors"][0]
    return first


def code(body: dict[str, Any]) -> str:
    """The error code of a failed operation."""
    return str(error(body)["extensions"]["code"])


@dataclass
class Loop:
    """One live hub with a filed case and a court officer's token."""

    live: LiveHub
    court: str
    number: str
    tokens: dict[str, str] = field(default_factory=dict)

    async def agency_token(self, agency_id: str) -> str:
        if agency_id not in self.tokens:
            self.tokens[agency_id] = await self.live.token("agency_officer", agency_id)
        return self.tokens[agency_id]

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        return await self.live.gql(query, variables, token=token or self.court)

    async def create(self, token: str | None = None, **fields: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {"caseNumber": self.number, "subjectIdNumber": DEBTOR}
        payload.update(fields)
        return await self.gql(CREATE, {"input": payload}, token=token)

    async def get(self, request_id: str, token: str | None = None) -> dict[str, Any] | None:
        body = await self.gql(GET, {"id": request_id}, token=token)
        node: dict[str, Any] | None = data(body)["assistanceRequest"]
        return node

    async def wait_status(
        self, request_id: str, statuses: set[str], *, timeout_s: float = 15.0
    ) -> dict[str, Any]:
        """Poll until the request reaches one of ``statuses`` (a bound, not a speed check)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout_s
        while True:
            node = await self.get(request_id)
            assert node is not None
            if node["status"] in statuses:
                return node
            if loop.time() > end:
                raise AssertionError(f"still {node['status']}, wanted {statuses}: {node}")
            await asyncio.sleep(0.02)

    async def wait_agency_state(
        self, agency_id: str, state: str, *, timeout_s: float = 15.0
    ) -> None:
        """Poll ``/readyz`` until it names ``state`` for the agency (a bound, not a speed check)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout_s
        while True:
            body = (await self.live.client.get(f"{self.live.url}/readyz")).json()
            seen = body["agencies"][agency_id]["state"]
            if seen == state:
                return
            if loop.time() > end:
                raise AssertionError(f"{agency_id} still {seen}, wanted {state}")
            await asyncio.sleep(0.02)


async def file_case(live: LiveHub, n: int = 1) -> Loop:
    court = await live.token("court_officer", COURT)
    number = case_number(n)
    data(await live.gql(FILE, {"input": case_input(number)}, token=court))
    return Loop(live=live, court=court, number=number)


def console_agency() -> AgencyConfig:
    return AgencyConfig(
        id=CONSOLE_AGENCY,
        kind="realestate",
        name="漳浦县不动产登记中心",
        registry="350623",
        jurisdiction="350623",
        channel="console",
    )


def mock_agencies(cluster: MockCluster) -> list[AgencyConfig]:
    text = render_config(cluster.port_base, cluster.world or {})
    return [AgencyConfig(**a) for a in tomllib.loads(text)["agencies"]]


async def start_cluster() -> MockCluster:
    """The five mocks on five consecutive free ports."""
    return await start_mock_cluster()


@asynccontextmanager
async def mocks() -> AsyncIterator[MockCluster]:
    cluster = await start_cluster()
    try:
        yield cluster
    finally:
        await cluster.stop()


class Admin:
    """The mocks' admin surface."""

    def __init__(self, cluster: MockCluster, client: httpx.AsyncClient) -> None:
        self.urls = cluster.base_urls
        self.client = client

    async def faults(self, kind: str, **faults: Any) -> None:
        response = await self.client.put(f"{self.urls[kind]}/_admin/faults", json=faults)
        assert response.status_code == 200, response.text

    async def stats(self, kind: str) -> dict[str, Any]:
        response = await self.client.get(f"{self.urls[kind]}/_admin/stats")
        result: dict[str, Any] = response.json()
        return result


FAST = {
    "dispatcher_poll_s": 0.02,
    "dispatcher_backoff_s": 0.01,
    "dispatcher_lease_s": 5.0,
    "poll_after_s": 60.0,
}


@asynccontextmanager
async def api_loop(
    database_url: str, cluster: MockCluster, **settings: Any
) -> AsyncIterator[tuple[Loop, Admin]]:
    """The hub with the mocks' agencies and the real dispatcher running in-process."""
    values = {**FAST, **settings}
    async with (
        start_hub(
            database_url,
            agencies=mock_agencies(cluster),
            services=[dispatcher_service()],
            **values,
        ) as live,
        httpx.AsyncClient(timeout=10) as client,
    ):
        admin = Admin(cluster, client)
        for kind in cluster.base_urls:
            await admin.faults(kind, complete_after_ms=60)
        yield await file_case(live), admin
