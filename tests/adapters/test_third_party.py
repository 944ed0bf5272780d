"""An adapter kind from a separate distribution serves through the hub, with no change
to ``hub/``: found by its ``hub.adapters`` entry point, listed by ``hub adapters list``,
asked for a dossier like any built-in kind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from adapters.sdk.config import AgencyConfig
from tests.schema.test_cases import FILE, case_input
from tests.support import start_hub

ADAPTER = '''
"""A city traffic-management bureau (交警支队) that reports vehicles from its own cameras."""

from datetime import datetime

from adapters.sdk.base import Adapter
from adapters.sdk.records import Action, Capability, Sighting, Vehicle, match_kind


class TrafficAdapter(Adapter):
    kind = "traffic"
    capabilities = frozenset({Capability.VEHICLES})
    actions = frozenset({Action.CONTROL_VEHICLE})
    batch_size = 20

    async def vehicles(self, subjects):
        response = await self.connector.request(
            "GET", "/cars", params={"owners": ",".join(s.id_number for s in subjects)}
        )
        out = {s.id_number: [] for s in subjects}
        for row in response.json()["cars"]:
            for subject in subjects:
                matched = match_kind(subject, row["owner"], None)
                if matched is not None:
                    out[subject.id_number].append(
                        Vehicle(
                            plate=row["plate"], model=row["model"], owner_id=row["owner"],
                            matched_by=matched,
                            sightings=tuple(Sighting(datetime.fromisoformat(s["at"]), s["where"]) for s in row["seen"]),
                        )
                    )
        return out
'''


@pytest.fixture
def traffic_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install `hub-adapter-traffic` as a distribution: its module and its dist-info."""
    (tmp_path / "hub_adapter_traffic.py").write_text(ADAPTER, encoding="utf-8")
    dist = tmp_path / "hub_adapter_traffic-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: hub-adapter-traffic\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        "[hub.adapters]\ntraffic = hub_adapter_traffic:TrafficAdapter\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_listed_by_the_cli(traffic_distribution: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(traffic_distribution)}
    hub = Path(sys.executable).with_name("hub")
    listed = subprocess.run(
        [str(hub), "adapters", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    assert "traffic" in listed.stdout
    block = listed.stdout.split("traffic", 1)[1]
    assert "vehicles" in block and "CONTROL_VEHICLE" in block


async def test_serves_a_dossier_through_the_hub(
    traffic_distribution: Path, database_url: str
) -> None:
    seen: list[str] = []

    def bureau(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params["owners"])
        return httpx.Response(
            200,
            json={
                "cars": [
                    {"plate": "闽E88888", "model": "丰田凯美瑞", "owner": "350602198003150015",
                     "seen": [{"at": "2026-11-30T08:15:00+08:00", "where": "胜利路口电子警察"}]},
                    {"plate": "闽D66666", "model": "本田雅阁", "owner": "350203198507220034", "seen": []},
                ]
            },
        )  # fmt: skip

    traffic = AgencyConfig(
        id="traffic-zhangzhou", kind="traffic", name="漳州市公安局交通警察支队",
        base_url="http://traffic.invalid", secret="t",
    )  # fmt: skip
    async with start_hub(
        database_url,
        agencies=[traffic],
        transports={"traffic-zhangzhou": httpx.MockTransport(bureau)},
    ) as live:
        token = await live.token("court_officer", "闽0602")
        assert "errors" not in await live.gql(FILE, {"input": case_input()}, token=token)
        body = await live.gql(
            """{ dossier(caseNumber: "（2026）闽0602执1234号", idNumber: "350602198003150015") {
                 vehicles { plate sightings { place } }
                 sources { agency { id kind } state attempts } } }""",
            token=token,
        )
        assert "errors" not in body, body
        dossier = body["data"]["dossier"]
        # the namesake's car (another ID number) is never the debtor's
        assert [v["plate"] for v in dossier["vehicles"]] == ["闽E88888"]
        assert dossier["vehicles"][0]["sightings"] == [{"place": "胜利路口电子警察"}]
        assert dossier["sources"] == [
            {"agency": {"id": "traffic-zhangzhou", "kind": "traffic"}, "state": "OK", "attempts": 1}
        ]
        agencies = await live.gql("{ agencies { id kind capabilities actions } }", token=token)
        assert agencies["data"]["agencies"] == [
            {
                "id": "traffic-zhangzhou",
                "kind": "traffic",
                "capabilities": ["VEHICLES"],
                "actions": ["CONTROL_VEHICLE"],
            }
        ]
    assert seen == ["350602198003150015"]
