"""The dossier against the real mock agencies: five servers on free ports, and the hub."""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from adapters.sdk.config import AgencyConfig
from hub.models import AuditEntry
from mocks.runner import MockCluster, render_config
from tests.support import LiveHub, running_mock_cluster, start_hub

CASE = "（2023）闽0602执1234号"
CHEN = "350602198003150015"  # 陈某某 of Zhangzhou: property in 漳州, a namesake in 厦门
CHEN_XIAMEN = "350203198507220034"  # the other 陈某某
PAWNSHOP = "91350600MA2Y00001B"
API_AGENCIES = [
    "police-fujian",
    "realestate-zhangzhou",
    "realestate-xiamen",
    "realestate-putian",
    "tax-fujian",
    "hr-fujian",
    "credit-fujian",
]

FILE = "mutation($input: FileCaseInput!) { fileCase(input: $input) { number } }"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(serial: int, *, region: str = "350602", born: str = "19800101") -> str:
    """A valid 18-character resident ID (ISO 7064 MOD 11-2 check character)."""
    body = f"{region}{born}{serial % 1000:03d}"
    return (
        body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=False)) % 11]
    )


def case_input(
    number: str = CASE, respondent: tuple[str, str] = ("陈某某", CHEN)
) -> dict[str, Any]:
    return {
        "number": number,
        "filedOn": "2023-06-12",
        "cause": "典当纠纷",
        "amountClaimed": "150000.00",
        "parties": [
            {
                "role": "APPLICANT",
                "kind": "ORGANIZATION",
                "name": "漳州市某典当有限责任公司",
                "idNumber": PAWNSHOP,
            },
            {
                "role": "RESPONDENT",
                "kind": "PERSON",
                "name": respondent[0],
                "idNumber": respondent[1],
            },
        ],
    }


def agency_configs(
    port_base: int, world: dict[str, Any], overrides: dict[str, dict[str, Any]] | None = None
) -> list[AgencyConfig]:
    """The rendered hub.toml's agencies with short retries; ``overrides`` by agency id."""
    raw = tomllib.loads(render_config(port_base, world))["agencies"]
    return [
        AgencyConfig(**{**a, "max_attempts": 2, **(overrides or {}).get(a["id"], {})}) for a in raw
    ]


@pytest.fixture
async def cluster() -> AsyncIterator[MockCluster]:
    """The five mocks on the default world, on a free block of five ports."""
    async with running_mock_cluster() as running:
        yield running


@dataclass
class Scene:
    """The hub in front of the mocks, the Zhangzhou court's officer, and case CASE filed."""

    hub: LiveHub
    cluster: MockCluster
    officer: str
    admin: httpx.AsyncClient

    async def dossier(
        self, fields: str, *, number: str = CASE, id_number: str = CHEN, token: str | None = None
    ) -> dict[str, Any]:
        query = (
            "query($c: String!, $i: String!) { dossier(caseNumber: $c, idNumber: $i) { "
            + fields
            + " } }"
        )
        return await self.hub.gql(query, {"c": number, "i": id_number}, token=token or self.officer)

    async def fault(self, kind: str, **faults: Any) -> None:
        url = f"{self.cluster.base_urls[kind]}/_admin/faults"
        (await self.admin.put(url, json=faults)).raise_for_status()

    async def requests(self) -> dict[str, int]:
        """Calls each mock has answered so far (admin calls not counted)."""
        counts = {}
        for kind, url in self.cluster.base_urls.items():
            counts[kind] = (await self.admin.get(f"{url}/_admin/stats")).json()["requests"]
        return counts

    async def file(self, data: dict[str, Any]) -> None:
        body = await self.hub.gql(FILE, {"input": data}, token=self.officer)
        assert "errors" not in body, body

    async def audit(self, action: str) -> list[AuditEntry]:
        async with self.hub.state.db.session() as session:
            rows = await session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
            return list(rows)


@asynccontextmanager
async def open_scene(
    database_url: str,
    cluster: MockCluster,
    overrides: dict[str, dict[str, Any]] | None = None,
    **settings: Any,
) -> AsyncIterator[Scene]:
    agencies = agency_configs(cluster.port_base, cluster.world, overrides)
    settings.setdefault("dossier_reads_per_minute", 1000)
    async with (
        start_hub(database_url, agencies=agencies, **settings) as live,
        httpx.AsyncClient(timeout=10) as admin,
    ):
        scene = Scene(live, cluster, await live.token("court_officer", "闽0602"), admin)
        await scene.file(case_input())
        yield scene


@pytest.fixture
async def scene(database_url: str, cluster: MockCluster) -> AsyncIterator[Scene]:
    async with open_scene(database_url, cluster) as s:
        yield s
