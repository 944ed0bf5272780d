"""Seal lifecycle: waiting seals have no term until promoted; renewal keeps the rank."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hub import reminders, seals
from hub.seals import add_years, local_today
from mocks.runner import MockCluster
from tests.assistance.loop import Admin, Loop, api_loop, data, file_case

FLAT = "闽(2019)漳州市不动产权第0012345号"
EXPIRING = "query($d: Int!) { expiringSeals(withinDays: $d) { id sealRank sealExpiresOn } }"


def seal(n: int) -> dict[str, object]:
    return {
        "agencyId": "realestate-zhangzhou",
        "action": "SEAL",
        "documentNumber": f"（2026）闽0602执{n}号之一",
        "details": {"certificate": FLAT},
    }


async def done(loop: Loop, created: dict[str, object]) -> dict[str, object]:
    rid = data(created)["createAssistanceRequest"]["id"]
    node = await loop.wait_status(rid, {"COMPLETED", "REJECTED"})
    assert node["status"] == "COMPLETED", node
    return node


async def test_a_waiting_seal_gains_its_term_when_the_first_is_lifted(
    live: tuple[Loop, Admin],
) -> None:
    first_case, _ = live
    second_case = await file_case(first_case.live, 2)
    first = await done(first_case, await first_case.create(**seal(1)))
    assert first["sealRank"] == "FIRST"
    term = add_years(local_today(), 3).isoformat()
    assert first["sealExpiresOn"] == term

    waiting = await done(second_case, await second_case.create(**seal(2)))
    assert waiting["sealRank"] == "WAITING"
    assert waiting["sealExpiresOn"] is None
    # only effective seals are due for renewal
    expiring = data(await first_case.gql(EXPIRING, {"d": 3 * 366}))["expiringSeals"]
    assert [s["id"] for s in expiring] == [first["id"]]

    lifted = await done(
        first_case,
        await first_case.create(
            agencyId="realestate-zhangzhou",
            action="UNSEAL",
            documentNumber="（2026）闽0602执1号之二",
            details={"certificate": FLAT},
        ),
    )
    assert lifted["answer"]["result"]["promoted"][0]["certificate"] == FLAT
    promoted = await second_case.get(waiting["id"])
    assert promoted is not None
    assert promoted["sealRank"] == "FIRST"
    assert promoted["sealExpiresOn"] == term
    assert promoted["events"][-1]["kind"] == "PROMOTED"
    expiring = data(await first_case.gql(EXPIRING, {"d": 3 * 366}))["expiringSeals"]
    assert [s["id"] for s in expiring] == [waiting["id"]]


async def test_without_within_days_the_reminder_horizon_applies(
    database_url: str, cluster: MockCluster
) -> None:
    """``expiringSeals`` omitted or null looks as far ahead as the seal reminders do."""
    async with api_loop(database_url, cluster, seal_reminder_days=3 * 366) as (loop, _):
        first = await done(loop, await loop.create(**seal(1)))  # a three-year term
        omitted = data(await loop.gql("{ expiringSeals { id } }"))["expiringSeals"]
        assert [s["id"] for s in omitted] == [first["id"]]
        nullable = "query($d: Int) { expiringSeals(withinDays: $d) { id } }"
        null = data(await loop.gql(nullable, {"d": None}))["expiringSeals"]
        assert [s["id"] for s in null] == [first["id"]]
        # a client that says how far still gets exactly that
        assert data(await loop.gql(EXPIRING, {"d": 30}))["expiringSeals"] == []
        loop.live.state.settings.seal_reminder_days = 30
        assert data(await loop.gql("{ expiringSeals { id } }"))["expiringSeals"] == []


async def test_renewal_keeps_the_rank_and_extends_the_term(live: tuple[Loop, Admin]) -> None:
    loop, _ = live
    first = await done(loop, await loop.create(**seal(1)))
    renewed = await done(
        loop,
        await loop.create(
            agencyId="realestate-zhangzhou",
            action="RENEW_SEAL",
            documentNumber="（2026）闽0602执1号之三",
            details={"certificate": FLAT},
        ),
    )
    assert renewed["answer"]["result"]["rank"] == "FIRST"
    measure = await loop.get(first["id"])
    assert measure is not None
    assert measure["sealRank"] == "FIRST"
    assert measure["sealExpiresOn"] == add_years(local_today(), 6).isoformat()


async def test_an_effective_seal_is_reminded_once_before_it_lapses(
    live: tuple[Loop, Admin],
) -> None:
    loop, _ = live
    first = await done(loop, await loop.create(**seal(1)))
    lapses = date.fromisoformat(str(first["sealExpiresOn"]))
    hub = loop.live.state
    early = datetime.combine(lapses - timedelta(days=40), time(4), tzinfo=UTC)
    assert await reminders.remind_expiring(hub, early) == 0
    due = datetime.combine(lapses - timedelta(days=20), time(4), tzinfo=UTC)
    assert await reminders.remind_expiring(hub, due) == 1
    assert await reminders.remind_expiring(hub, due + timedelta(days=1)) == 0  # once a term
    node = await loop.get(str(first["id"]))
    assert node is not None
    reminder = node["events"][-1]
    assert reminder["kind"] == "EXPIRY_REMINDER" and lapses.isoformat() in reminder["note"]


SHOP = "闽(2020)漳州市不动产权第0023456号"  # first sealed by another court (闽0603)
DOSSIER = """query($c: String!, $i: String!) { dossier(caseNumber: $c, idNumber: $i) {
  realEstate { certificateNumber seals { court caseNumber rank } } } }"""


async def test_a_promotion_the_hub_did_not_cause_is_learned_from_the_dossier(
    live: tuple[Loop, Admin],
) -> None:
    loop, admin = live
    url = f"{admin.urls['realestate']}/_admin/world"
    world = (await admin.client.get(url)).json()
    shop = next(p for p in world["real_estate"] if p["certificate"] == SHOP)
    shop["seals"][0]["expires_on"] = add_years(local_today(), 1).isoformat()  # still in force
    assert (await admin.client.put(url, json=world)).status_code == 200
    waiting = await done(
        loop,
        await loop.create(
            agencyId="realestate-zhangzhou",
            action="SEAL",
            documentNumber="（2026）闽0602执1号之一",
            details={"certificate": SHOP},
        ),
    )
    assert (waiting["sealRank"], waiting["sealExpiresOn"]) == ("WAITING", None)
    hub = loop.live.state
    assert await seals.promote_from_snapshots(hub) == 0

    # the other court lifts its seal at the registry: ours takes effect there
    world = (await admin.client.get(url)).json()
    shop = next(p for p in world["real_estate"] if p["certificate"] == SHOP)
    ours = next(s for s in shop["seals"] if s["court"] == "闽0602")
    ours.update(rank="FIRST", expires_on=add_years(local_today(), 3).isoformat())
    shop["seals"] = [ours]
    assert (await admin.client.put(url, json=world)).status_code == 200
    assert await seals.promote_from_snapshots(hub) == 0  # the hub has not read it yet

    read = data(await loop.gql(DOSSIER, {"c": loop.number, "i": "350602198003150015"}))
    [holding] = [h for h in read["dossier"]["realEstate"] if h["certificateNumber"] == SHOP]
    assert holding["seals"] == [{"court": "闽0602", "caseNumber": loop.number, "rank": "FIRST"}]
    assert await seals.promote_from_snapshots(hub) == 1
    node = await loop.get(str(waiting["id"]))
    assert node is not None
    assert node["sealRank"] == "FIRST"
    assert node["sealExpiresOn"] == add_years(local_today(), 3).isoformat()
    assert node["events"][-1]["kind"] == "PROMOTED"
    assert await seals.promote_from_snapshots(hub) == 0
