"""``hub.dossier`` without the graph: adapters that misbehave, wait on each other, or fail."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import ClassVar

import pytest
from sqlalchemy import select

from adapters.sdk.base import Adapter
from adapters.sdk.config import AgencyConfig
from adapters.sdk.records import (
    Capability,
    CreditStatus,
    MatchKind,
    RealEstateHolding,
    Subject,
    Vehicle,
)
from hub import cases
from hub.agencies import Agency, AgencyDirectory
from hub.auth import Principal, Role, create_principal
from hub.dossier import DossierFetcher, SourceState, read_dossier
from hub.errors import UpstreamUnavailable
from hub.models import AuditEntry
from hub.settings import Settings
from hub.state import HubState
from hub.storage import Database
from tests.dossier.conftest import CASE, CHEN, CHEN_XIAMEN, PAWNSHOP

ZHOU = "350623197005050023"  # a second respondent, without snapshots

ALL = {Capability.REAL_ESTATE, Capability.VEHICLES, Capability.CREDIT}


def holding(
    cert: str, owner_id: str | None, owner_name: str, matched: MatchKind
) -> RealEstateHolding:
    return RealEstateHolding(cert, "某地", Decimal("90.00"), "住宅", owner_id, owner_name, matched)


@dataclass
class Script:
    """What the fake agency does; shared by the test and its adapter."""

    holdings: list[RealEstateHolding] = field(default_factory=list)
    vehicles: list[Vehicle] = field(default_factory=list)
    fail: Exception | None = None
    gate: asyncio.Barrier | None = None
    calls: list[tuple[Capability, list[str]]] = field(default_factory=list)


class FakeAdapter(Adapter):
    kind: ClassVar[str] = "fake"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(ALL)
    script: Script

    async def _answer(self, capability: Capability, subjects: Sequence[Subject]) -> None:
        self.script.calls.append((capability, [s.id_number for s in subjects]))
        if self.script.gate is not None:
            await self.script.gate.wait()
        if self.script.fail is not None:
            raise self.script.fail

    async def real_estate(self, subjects: Sequence[Subject]) -> dict[str, list[RealEstateHolding]]:
        await self._answer(Capability.REAL_ESTATE, subjects)
        # a careless adapter: hands every subject every record
        return {s.id_number: list(self.script.holdings) for s in subjects}

    async def vehicles(self, subjects: Sequence[Subject]) -> dict[str, list[Vehicle]]:
        await self._answer(Capability.VEHICLES, subjects)
        return {s.id_number: list(self.script.vehicles) for s in subjects}

    async def credit(self, subjects: Sequence[Subject]) -> dict[str, CreditStatus]:
        await self._answer(Capability.CREDIT, subjects)
        return {s.id_number: CreditStatus(listed=False) for s in subjects}


@dataclass
class World:
    hub: HubState
    officer: Principal
    scripts: dict[str, Script]


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    scripts = {f"fake-{i}": Script() for i in range(3)}
    agencies = []
    for agency_id, script in scripts.items():
        config = AgencyConfig(
            id=agency_id, kind="fake", name=agency_id, base_url="http://127.0.0.1:9", deadline_s=2
        )
        adapter = FakeAdapter(config)
        adapter.script = script
        agencies.append(Agency(config, adapter))
    hub = HubState(
        Settings(database_url=database_url), Database(database_url), AgencyDirectory(agencies)
    )
    try:
        officer, _ = await create_principal(hub.db, role=Role.COURT_OFFICER, scope="闽0602")
        await cases.file_case(
            hub.db,
            officer,
            cases.CaseData(
                number=CASE,
                filed_on=date(2023, 6, 12),
                cause="典当纠纷",
                amount_claimed="150000.00",
                parties=[
                    cases.PartyData(
                        "APPLICANT", "ORGANIZATION", "漳州市某典当有限责任公司", PAWNSHOP
                    ),
                    cases.PartyData("RESPONDENT", "PERSON", "陈某某", CHEN),
                    cases.PartyData("RESPONDENT", "PERSON", "周某", ZHOU),
                ],
            ),
        )
        yield World(hub, officer, scripts)
    finally:
        await hub.aclose()


async def test_records_of_another_id_never_reach_the_answer(world: World) -> None:
    script = world.scripts["fake-0"]
    script.holdings = [
        holding("mine", CHEN, "陈某某", MatchKind.NAME_ONLY),  # mislabelled by the adapter
        holding("namesake", CHEN_XIAMEN, "陈某某", MatchKind.ID_NUMBER),  # 重名: someone else
        holding("owner-less", None, "陈某某", MatchKind.ID_NUMBER),
        holding("stranger", None, "林某", MatchKind.NAME_ONLY),
    ]
    script.vehicles = [Vehicle("闽D7K321", "凯美瑞", CHEN_XIAMEN, MatchKind.ID_NUMBER)]
    result = await read_dossier(world.hub, world.officer, CASE, CHEN, ALL)
    found = {
        h.record.certificate_number: h.record.matched_by
        for h in result.value(Capability.REAL_ESTATE)
    }
    assert found == {"mine": MatchKind.ID_NUMBER, "owner-less": MatchKind.NAME_ONLY}
    assert result.count(Capability.REAL_ESTATE) == 1  # only the ID match counts
    assert result.value(Capability.VEHICLES) == []
    assert {h.agency.id for h in result.value(Capability.REAL_ESTATE)} == {"fake-0"}


async def test_agencies_are_asked_at_the_same_time(world: World) -> None:
    # Each agency waits until all three are being asked: asked one after the other,
    # the first would never get its answer and time out.
    gate = asyncio.Barrier(3)
    for script in world.scripts.values():
        script.gate = gate
    result = await read_dossier(world.hub, world.officer, CASE, CHEN, {Capability.CREDIT})
    assert [s.state for s in result.sources] == [SourceState.OK] * 3


async def test_loads_arriving_together_share_one_batch(world: World) -> None:
    fetcher = DossierFetcher(world.hub, world.officer)
    subjects = [Subject(f"35060219800101{i:04d}", f"人{i}") for i in range(30)]
    wanted = [*subjects, *subjects[:5]]  # five asked twice
    results = await asyncio.gather(
        *(fetcher.load("fake-1", Capability.CREDIT, s, purpose=CASE) for s in wanted)
    )
    assert world.scripts["fake-1"].calls == [(Capability.CREDIT, [s.id_number for s in subjects])]
    assert all(r.state is SourceState.OK and r.value == CreditStatus(False) for r in results)
    await fetcher.commit()


async def test_failure_serves_the_last_good_answer_as_stale(world: World) -> None:
    script = world.scripts["fake-2"]
    script.holdings = [holding("mine", CHEN, "陈某某", MatchKind.ID_NUMBER)]
    first = await read_dossier(world.hub, world.officer, CASE, CHEN, {Capability.REAL_ESTATE})
    ok = next(s for s in first.sources if s.agency.id == "fake-2")
    assert ok.state is SourceState.OK and ok.fetched_at is not None

    script.fail = UpstreamUnavailable("fake-2", "HTTP 503 after 3 attempts", attempts=3)
    second = await read_dossier(world.hub, world.officer, CASE, CHEN, {Capability.REAL_ESTATE})
    stale = next(s for s in second.sources if s.agency.id == "fake-2")
    assert stale.state is SourceState.STALE and stale.fetched_at == ok.fetched_at
    assert [h.record.certificate_number for h in second.value(Capability.REAL_ESTATE)] == ["mine"]
    assert [e.agency_id for e in second.errors] == ["fake-2"]

    # Another subject has no snapshot: plainly ERROR, nothing shown.
    third = await read_dossier(world.hub, world.officer, CASE, ZHOU, {Capability.REAL_ESTATE})
    failed = next(s for s in third.sources if s.agency.id == "fake-2")
    assert failed.state is SourceState.ERROR and failed.fetched_at is None
    assert all(h.agency.id != "fake-2" for h in third.value(Capability.REAL_ESTATE))


async def test_an_adapter_bug_is_an_error_of_that_agency_only(world: World) -> None:
    world.scripts["fake-0"].fail = KeyError(CHEN)  # a bug that happens to carry an ID number
    result = await read_dossier(world.hub, world.officer, CASE, CHEN, {Capability.CREDIT})
    states = {s.agency.id: s.state for s in result.sources}
    assert states == {
        "fake-0": SourceState.ERROR,
        "fake-1": SourceState.OK,
        "fake-2": SourceState.OK,
    }
    [error] = result.errors
    assert error.code == "UPSTREAM_UNAVAILABLE" and CHEN not in error.message


async def _actions(world: World) -> list[tuple[str, str | None]]:
    async with world.hub.db.session() as session:
        rows = await session.execute(
            select(AuditEntry.action, AuditEntry.target)
            .where(AuditEntry.action.in_(["agency.read", "dossier.read"]))
            .order_by(AuditEntry.id)
        )
        return [(action, target) for action, target in rows]


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


def _count_flushes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    flushes: list[int] = []
    real = DossierFetcher._flush

    async def counted(self: DossierFetcher, done: asyncio.Future[None]) -> None:
        flushes.append(self._queued - self._committed)
        await real(self, done)

    monkeypatch.setattr(DossierFetcher, "_flush", counted)
    return flushes


async def test_a_read_writes_its_exchanges_and_itself_in_one_flush(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    flushes = _count_flushes(monkeypatch)
    # fake-2 answers well after the others (its three calls and the test meet at the gate)
    gate = asyncio.Barrier(4)
    world.scripts["fake-2"].gate = gate
    reader = asyncio.create_task(read_dossier(world.hub, world.officer, CASE, CHEN, ALL))
    await _until(lambda: gate.n_waiting == 3)  # fake-2's three calls wait; the rest answered
    await asyncio.sleep(0.05)
    await gate.wait()
    await reader
    assert len(flushes) == 1
    actions = await _actions(world)
    assert sorted(a for a, _ in actions) == ["agency.read"] * 9 + ["dossier.read"]


async def test_a_read_cancelled_midway_still_audits_what_was_asked(world: World) -> None:
    # fake-2 waits until released: the reader is cancelled while fake-0 and fake-1 have answered
    gate = asyncio.Barrier(2)
    world.scripts["fake-2"].gate = gate
    fetcher = DossierFetcher(world.hub, world.officer, commit_at_end=True)
    reader = asyncio.create_task(
        read_dossier(world.hub, world.officer, CASE, CHEN, {Capability.CREDIT}, fetcher)
    )
    await _until(lambda: gate.n_waiting == 1)
    await asyncio.sleep(0.05)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    fetcher.release()  # the request ends without committing (what AuditedReads does)
    await gate.wait()  # fake-2 answers now, after its reader has gone
    for _ in range(200):
        if len(await _actions(world)) == 3:
            break
        await asyncio.sleep(0.02)
    targets = sorted(t for a, t in await _actions(world) if a == "agency.read")
    assert targets == ["fake-0", "fake-1", "fake-2"]  # no dossier.read: nothing was shown
