"""Watches (布控): each sighting the police report is an event and an alert until cancelled."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from tests.assistance.loop import CANCEL, Admin, Loop, data

PLATE = "闽E12345"  # 陈某某's car
ALERTS = """query($c: String) { watchAlerts(caseNumber: $c) {
  requestId caseNumber subjectName agencyId agencyName at note } }"""


async def add_sighting(loop: Loop, admin: Admin, place: str, at: str) -> None:
    url = f"{admin.urls['police']}/_admin/world"
    world: dict[str, Any] = (await admin.client.get(url)).json()
    world = copy.deepcopy(world)
    car = next(v for v in world["vehicles"] if v["plate"] == PLATE)
    car["sightings"].append({"at": at, "place": place})
    assert (await admin.client.put(url, json=world)).status_code == 200


async def alerts(loop: Loop, wanted: int, *, timeout_s: float = 10.0) -> list[dict[str, Any]]:
    """The case's alerts once there are ``wanted`` (a bound, not a speed check)."""
    end = asyncio.get_running_loop().time() + timeout_s
    while True:
        found: list[dict[str, Any]] = data(await loop.gql(ALERTS, {"c": loop.number}))[
            "watchAlerts"
        ]
        if len(found) >= wanted or asyncio.get_running_loop().time() > end:
            return found
        await asyncio.sleep(0.02)


async def test_a_watch_reports_each_new_sighting_until_cancelled(
    live: tuple[Loop, Admin],
) -> None:
    loop, admin = live
    created = data(
        await loop.create(agencyId="police-fujian", action="WATCH", details={"plate": PLATE})
    )["createAssistanceRequest"]
    watch = await loop.wait_status(created["id"], {"ACKNOWLEDGED"})
    # the sightings the police already knew are not news
    assert await alerts(loop, 0) == []
    assert "SIGHTING" not in [e["kind"] for e in watch["events"]]

    await add_sighting(loop, admin, "漳州市芗城区某商场地下停车场", "2026-12-06T10:05:00+08:00")
    [alert] = await alerts(loop, 1)
    assert alert["requestId"] == watch["id"]
    assert alert["caseNumber"] == loop.number and alert["subjectName"] == "陈某某"
    assert alert["agencyName"] == "福建省公安厅"
    assert PLATE in alert["note"] and "某商场地下停车场" in alert["note"]
    assert "2026-12-06 10:05" in alert["note"]
    node = await loop.get(watch["id"])
    assert node is not None
    assert node["status"] == "ACKNOWLEDGED"  # still watching
    assert [e["kind"] for e in node["events"]].count("SIGHTING") == 1

    # another court sees none of it
    other = await loop.live.token("court_officer", "闽0603")
    assert data(await loop.gql(ALERTS, {"c": None}, token=other))["watchAlerts"] == []

    # cancelled: the watch ends, and its alerts leave the officer's list
    data(await loop.gql(CANCEL, {"id": watch["id"], "r": "车辆已扣押"}))
    assert await alerts(loop, 0, timeout_s=0) == []
