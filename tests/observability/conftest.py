"""The mock agencies on free ports, and the hub.toml agencies that point at them."""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.sdk.config import AgencyConfig
from mocks.runner import MockCluster, render_config
from tests.support import running_mock_cluster

CASE = "（2023）闽0602执1234号"
DEBTOR = "350602198003150015"
CASE_INPUT: dict[str, Any] = {
    "number": CASE,
    "filedOn": "2023-06-12",
    "cause": "典当纠纷",
    "amountClaimed": "150000.00",
    "parties": [
        {
            "role": "APPLICANT",
            "kind": "ORGANIZATION",
            "name": "漳州市某典当有限责任公司",
            "idNumber": "91350600MA2Y00001B",
        },
        {"role": "RESPONDENT", "kind": "PERSON", "name": "陈某某", "idNumber": DEBTOR},
    ],
}
FILE_CASE = "mutation File($input: FileCaseInput!) { fileCase(input: $input) { number } }"


def agency_configs(cluster: MockCluster, **overrides: Any) -> list[AgencyConfig]:
    raw = tomllib.loads(render_config(cluster.port_base, cluster.world))["agencies"]
    return [AgencyConfig(**{**entry, "max_attempts": 1, **overrides}) for entry in raw]


@pytest.fixture
async def cluster() -> AsyncIterator[MockCluster]:
    """The five mocks on the default world, on a free block of five ports."""
    async with running_mock_cluster() as running:
        yield running
