"""终本 re-checks: a TERMINATED case is searched again on schedule, with a clock we control."""

from __future__ import annotations

import copy
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from hub import rechecks
from hub.models import Case, RecheckSchedule, utcnow
from hub.seals import SHANGHAI, add_years, local_today
from tests.assistance.loop import FILE, Admin, Loop, case_input, data

DEBTOR = "350602198003150015"
NEW_FLAT = "闽(2026)漳州市不动产权第0099999号"
DOSSIER = """query($c: String!, $i: String!) { dossier(caseNumber: $c, idNumber: $i) {
  realEstate { certificateNumber } } }"""
STATUS = """mutation($n: String!) {
  updateCaseStatus(number: $n, status: TERMINATED, note: "暂无可供执行财产") { status } }"""
EVENTS = "query($n: String!) { case(number: $n) { status events { kind note } } }"


async def events(loop: Loop) -> list[dict[str, Any]]:
    case: dict[str, Any] = data(await loop.gql(EVENTS, {"n": loop.number}))["case"]
    return [e for e in case["events"] if e["kind"].startswith("RECHECK")]


async def test_a_terminated_case_is_rechecked_every_six_months_for_five_years(
    live: tuple[Loop, Admin],
) -> None:
    loop, admin = live
    hub = loop.live.state
    known = data(await loop.gql(DOSSIER, {"c": loop.number, "i": DEBTOR}))["dossier"]["realEstate"]
    assert known  # what the court knew when it terminated
    assert data(await loop.gql(STATUS, {"n": loop.number}))["updateCaseStatus"] == {
        "status": "TERMINATED"
    }

    start = utcnow()
    assert await rechecks.tick(hub, start) == 0
    [scheduled] = await events(loop)
    assert scheduled["kind"] == "RECHECK_SCHEDULED"
    assert await rechecks.tick(hub, start + timedelta(days=179)) == 0

    # the debtor buys a flat
    url = f"{admin.urls['realestate']}/_admin/world"
    world = copy.deepcopy((await admin.client.get(url)).json())
    world["real_estate"].append(
        {
            "registry": "350600",
            "certificate": NEW_FLAT,
            "owner_id": DEBTOR,
            "owner_name": "陈某某",
            "address": "漳州市龙文区某小区1幢101室",
            "area_m2": 90.0,
            "usage": "住宅",
            "mortgages": [],
            "seals": [],
        }
    )
    assert (await admin.client.put(url, json=world)).status_code == 200

    first = start + timedelta(days=181)
    assert await rechecks.tick(hub, first) == 1
    found = (await events(loop))[-1]
    assert found["kind"] == "RECHECK_FOUND"
    assert NEW_FLAT in found["note"]
    assert all(h["certificateNumber"] not in found["note"] for h in known)
    assert await rechecks.tick(hub, first + timedelta(days=1)) == 0  # not due again yet

    second = first + timedelta(days=180)
    assert await rechecks.tick(hub, second) == 1
    assert (await events(loop))[-1]["kind"] == "RECHECKED"  # nothing new since

    # five years on, the schedule ends
    assert await rechecks.tick(hub, start + timedelta(days=5 * 365 + 10)) == 0
    async with hub.db.session() as session:
        schedule = await session.scalar(sa.select(RecheckSchedule))
    assert schedule is not None and schedule.active is False and schedule.runs == 2


async def test_resumed_enforcement_ends_the_schedule_and_a_new_termination_starts_one(
    live: tuple[Loop, Admin],
) -> None:
    loop, _ = live
    hub = loop.live.state
    move = """mutation($n: String!, $s: CaseStatus!) {
      updateCaseStatus(number: $n, status: $s, note: "发现可供执行财产") { status } }"""
    data(await loop.gql(STATUS, {"n": loop.number}))
    start = utcnow()
    await rechecks.tick(hub, start)
    data(await loop.gql(move, {"n": loop.number, "s": "OPEN"}))  # 恢复执行
    assert await rechecks.tick(hub, start + timedelta(days=181)) == 0
    async with hub.db.session() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(RecheckSchedule)) == 0

    data(await loop.gql(move, {"n": loop.number, "s": "TERMINATED"}))
    again = start + timedelta(days=200)
    await rechecks.tick(hub, again)
    async with hub.db.session() as session:
        schedule = await session.scalar(sa.select(RecheckSchedule))
    assert schedule is not None and schedule.active
    # counted from the day the new termination took effect (today), not from the tick
    assert schedule.started_at == datetime.combine(local_today(), time(0), tzinfo=SHANGHAI)
    assert [e["kind"] for e in await events(loop)].count("RECHECK_SCHEDULED") == 2


async def backdated_termination(loop: Loop, n: int, filed: date, effective: date) -> Loop:
    """A case filed on ``filed`` and terminated (终本) with effect from ``effective``."""
    number = f"（{filed.year}）闽0602执{n}号"  # the year of filing
    filing = {**case_input(number), "filedOn": filed.isoformat()}
    data(await loop.gql(FILE, {"input": filing}))
    terminate = """mutation($n: String!, $on: Date!) {
      updateCaseStatus(number: $n, status: TERMINATED, note: "暂无可供执行财产", effectiveOn: $on)
      { status } }"""
    data(await loop.gql(terminate, {"n": number, "on": effective.isoformat()}))
    return Loop(live=loop.live, court=loop.court, number=number)


async def schedule_of(loop: Loop) -> RecheckSchedule:
    async with loop.live.state.db.session() as session:
        schedule = await session.scalar(
            sa.select(RecheckSchedule)
            .join(Case, Case.id == RecheckSchedule.case_id)
            .where(Case.number == loop.number)
        )
    assert schedule is not None
    return schedule


async def test_the_schedule_counts_from_the_day_the_termination_took_effect(
    live: tuple[Loop, Admin],
) -> None:
    """A 终本 recorded 200 days after it took effect is due at once, not in 180 days;
    one recorded after its five years is never re-checked."""
    loop, _ = live
    hub = loop.live.state
    today = local_today()
    late = await backdated_termination(loop, 2, add_years(today, -1), today - timedelta(days=200))
    expired = await backdated_termination(loop, 3, add_years(today, -7), add_years(today, -6))

    now = utcnow()
    assert await rechecks.tick(hub, now) == 1  # the late one, at once
    schedule = await schedule_of(late)
    effective = datetime.combine(today - timedelta(days=200), time(0), tzinfo=SHANGHAI)
    assert schedule.started_at == effective
    assert schedule.ends_at == effective + timedelta(days=5 * 365 + 1)
    assert schedule.runs == 1 and schedule.last_run_at == now
    # the court never read the dossier: the debtor's flat is news
    assert [e["kind"] for e in await events(late)] == ["RECHECK_SCHEDULED", "RECHECK_FOUND"]
    assert today.isoformat() in (await events(late))[0]["note"]  # 首次: today, not in the past

    ended = await schedule_of(expired)
    assert ended.active is False and ended.runs == 0
    [note] = await events(expired)
    assert note["note"] == "终结本次执行已满 5 年，不再定期复查"
    assert await rechecks.tick(hub, now + timedelta(days=1)) == 0
