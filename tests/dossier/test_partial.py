"""Partial answers: a failing agency costs only its own fields, and says why."""

from __future__ import annotations

import asyncio
import socket

import sqlalchemy as sa

from hub.models import DossierSnapshot
from mocks._common import load_world
from mocks.runner import MockCluster
from tests.dossier.conftest import (
    API_AGENCIES,
    CASE,
    CHEN,
    Scene,
    agency_configs,
    case_input,
    open_scene,
)
from tests.support import start_hub

FIELDS = """
  vehicles { plate } whereabouts { residence } credit { listed } realEstateCount
  sources { agency { id } state attempts latencyMs fetchedAt message }
"""


def source(body: dict, agency_id: str) -> dict:
    return next(s for s in body["data"]["dossier"]["sources"] if s["agency"]["id"] == agency_id)


async def test_agency_down_costs_only_its_fields_then_serves_stale(scene: Scene) -> None:
    await scene.fault("police", down=True)
    body = await scene.dossier(FIELDS)
    d = body["data"]["dossier"]
    assert d["vehicles"] == [] and d["whereabouts"] is None  # police's fields, empty
    assert d["credit"] == {"listed": True} and d["realEstateCount"] == 2  # the rest complete
    police = source(body, "police-fujian")
    assert police["state"] == "ERROR"
    assert police["attempts"] == 4  # vehicles and whereabouts, two attempts each
    assert police["fetchedAt"] is None and "police-fujian" in police["message"]
    assert [e["extensions"] for e in body["errors"]] == [
        {"code": "UPSTREAM_UNAVAILABLE", "agency": "police-fujian"}
    ]
    assert body["errors"][0]["path"] == ["dossier"]
    assert all(source(body, a)["state"] == "OK" for a in [*API_AGENCIES[1:4], "credit-fujian"])
    assert {s["agency"]["id"] for s in d["sources"]} == {
        *API_AGENCIES[:4],
        "realestate-zhangpu",
        "credit-fujian",
    }

    # Back up: a fresh answer, kept as the last good one.
    await scene.fault("police", down=False)
    good = await scene.dossier(FIELDS)
    assert "errors" not in good, good
    fetched_at = source(good, "police-fujian")["fetchedAt"]

    # Down again: the last good answer stands in, marked STALE with its time.
    await scene.fault("police", down=True)
    stale = await scene.dossier(FIELDS)
    d = stale["data"]["dossier"]
    assert d["vehicles"] == [{"plate": "闽E12345"}]
    assert d["whereabouts"]["residence"].startswith("福建省漳州市")
    police = source(stale, "police-fujian")
    assert police["state"] == "STALE" and police["fetchedAt"] == fetched_at
    assert police["attempts"] == 4 and "last good answer" in police["message"]
    assert [e["extensions"]["agency"] for e in stale["errors"]] == ["police-fujian"]

    exchanges = await scene.audit("agency.read")
    assert [e.detail["state"] for e in exchanges if e.target == "police-fujian"] == [
        "ERROR",
        "ERROR",
        "OK",
        "OK",
        "ERROR",
        "ERROR",
    ]


async def test_slow_agency_times_out_alone(database_url: str, cluster: MockCluster) -> None:
    fast_deadline = {"credit-fujian": {"timeout_s": 0.1, "deadline_s": 0.15}}
    async with open_scene(database_url, cluster, fast_deadline) as scene:
        await scene.fault("credit", latency_ms=1500)
        body = await scene.dossier(FIELDS)
        d = body["data"]["dossier"]
        assert d["credit"] is None and d["vehicles"] == [{"plate": "闽E12345"}]
        credit = source(body, "credit-fujian")
        assert credit["state"] == "TIMEOUT" and credit["attempts"] >= 1
        assert [e["extensions"] for e in body["errors"]] == [
            {"code": "UPSTREAM_TIMEOUT", "agency": "credit-fujian"}
        ]
        await scene.fault("credit", latency_ms=0)


async def test_open_circuit_fails_fast(database_url: str, cluster: MockCluster) -> None:
    one_try = {"credit-fujian": {"max_attempts": 1}}
    async with open_scene(database_url, cluster, one_try) as scene:
        await scene.fault("credit", down=True)
        for _ in range(10):  # the breaker weighs at least ten outcomes before it opens
            body = await scene.dossier("credit { listed } sources { state }")
            assert body["data"]["dossier"]["sources"] == [{"state": "ERROR"}]
        sent = (await scene.requests())["credit"]
        body = await scene.dossier("credit { listed } sources { state attempts }")
        assert body["data"]["dossier"]["sources"] == [{"state": "CIRCUIT_OPEN", "attempts": 0}]
        assert body["errors"][0]["extensions"] == {
            "code": "UPSTREAM_UNAVAILABLE",
            "agency": "credit-fujian",
        }
        assert (await scene.requests())["credit"] == sent  # not sent at all
        agencies = await scene.hub.gql("{ agencies { id circuitState } }", token=scene.officer)
        circuits = {a["id"]: a["circuitState"] for a in agencies["data"]["agencies"]}
        assert circuits["credit-fujian"] == "OPEN" and circuits["tax-fujian"] == "CLOSED"


def _nothing_listens(port_base: int) -> bool:
    for offset in range(5):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port_base + offset)) == 0:
                return False
    return True


async def test_hub_serves_cases_when_every_agency_is_down(database_url: str) -> None:
    port_base = next(p for p in range(47000, 48000, 5) if _nothing_listens(p))
    agencies = agency_configs(port_base, load_world())
    async with start_hub(database_url, agencies=agencies) as hub:
        ready = await hub.client.get("/readyz")
        assert ready.status_code == 200
        token = await hub.token("court_officer", "闽0602")
        scene = Scene(hub, MockCluster(port_base=port_base), token, hub.client)
        await scene.file(case_input())
        read = await hub.gql(
            "query($n: String!) { case(number: $n) { number } }", {"n": CASE}, token=token
        )
        assert read == {"data": {"case": {"number": CASE}}}

        body = await scene.dossier(FIELDS)
        d = body["data"]["dossier"]
        assert d["vehicles"] == [] and d["credit"] is None and d["realEstateCount"] == 0
        states = {s["agency"]["id"]: s["state"] for s in d["sources"]}
        asked = [*API_AGENCIES[:4], "credit-fujian"]  # police, the registries, credit
        assert states == {**dict.fromkeys(asked, "ERROR"), "realestate-zhangpu": "NOT_APPLICABLE"}
        assert sorted(e["extensions"]["agency"] for e in body["errors"]) == sorted(asked)
        assert {e["extensions"]["code"] for e in body["errors"]} == {"UPSTREAM_UNAVAILABLE"}


async def test_concurrent_readers_of_one_subject_all_get_answers(scene: Scene) -> None:
    # Every reader upserts the same snapshot rows: written in one order, none deadlock
    # (on PostgreSQL, rows locked in the order agencies answered did, as INTERNAL errors).
    await scene.fault("police", latency_ms=0, jitter_ms=30)
    await scene.fault("credit", latency_ms=0, jitter_ms=30)
    readers = 12
    bodies = await asyncio.gather(*(scene.dossier(FIELDS) for _ in range(readers)))
    for body in bodies:
        assert "errors" not in body, body
        assert body["data"]["dossier"]["credit"] == {"listed": True}
    assert len(await scene.audit("dossier.read")) == readers
    async with scene.hub.state.db.session() as session:
        kept = (
            await session.execute(
                sa.select(DossierSnapshot.agency_id, DossierSnapshot.capability).where(
                    DossierSnapshot.subject_id == CHEN
                )
            )
        ).all()
    # one row each, however many readers wrote it
    assert sorted(map(tuple, kept)) == sorted(
        [
            ("credit-fujian", "credit"),
            ("police-fujian", "vehicles"),
            ("police-fujian", "whereabouts"),
            *((registry, "real_estate") for registry in API_AGENCIES[1:4]),
        ]
    )
