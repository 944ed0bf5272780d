"""Property clues (财产线索): recorded on the case, turned into proposed requests.

A clue names what kind of property it is and, where it knows, the region it
lies in; the hub proposes a request to every agency whose adapter can act on
that kind of property and whose jurisdiction covers the region. No agency kind
is named here: capabilities and actions decide.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sdk.declare import ActionSpec, CapabilitySpec, Effect
from adapters.sdk.registry import installed_capabilities
from hub import audit
from hub.agencies import Agency
from hub.cases import managed_respondent
from hub.errors import BadUserInput
from hub.models import CaseEvent, PropertyClue
from hub.principal import Principal
from hub.state import HubState
from hub.storage import Database
from hub.validation import require_text

OTHER = "OTHER"


def clue_kinds(capabilities: Iterable[CapabilitySpec] | None = None) -> dict[str, str]:
    """Every kind of clue the installed kinds route, with its zh-CN name; ``OTHER`` last."""
    specs = installed_capabilities().values() if capabilities is None else capabilities
    kinds = {c.clue_kind: c.clue_title or c.title for c in specs if c.clue_kind}
    return {**dict(sorted(kinds.items())), OTHER: "其他"}


def _route(kind: str) -> CapabilitySpec | None:
    return next((c for c in installed_capabilities().values() if c.clue_kind == kind), None)


def _preference(spec: ActionSpec) -> int:
    # secure the property first (a seal, a freeze), then act on the record, then ask
    if spec.effect is Effect.ENCUMBER:
        return 0
    return 1 if spec.reference is not None else 2


def _actions_for(agency: Agency, capability: CapabilitySpec) -> list[ActionSpec]:
    specs = [
        s
        for s in agency.adapter.action_specs.values()
        if s.capability == capability.name
        and s.effect in (Effect.ENCUMBER, Effect.NONE)
        and s.reference is not None
    ]
    query = agency.action("QUERY") if capability in agency.capabilities else None
    return sorted(specs, key=_preference) + ([query] if query is not None else [])


@dataclass(frozen=True)
class ClueData:
    case_number: str
    subject_id_number: str
    kind: str
    description: str
    region: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def division_prefix(code: str) -> str:
    """``350600`` (a city) → ``3506``; ``350000`` → ``35``: codes nest by prefix once
    their trailing zero pairs are dropped."""
    code = code.strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def covers(agency: Agency, region: str | None) -> bool:
    """An agency without a jurisdiction serves everywhere; otherwise codes nest by prefix."""
    jurisdiction = agency.config.jurisdiction
    if not jurisdiction or not region:
        return True
    mine, theirs = division_prefix(jurisdiction), division_prefix(region)
    return theirs.startswith(mine) or mine.startswith(theirs)


def propose(
    agencies: Sequence[Agency], kind: str, region: str | None, details: dict[str, Any]
) -> list[dict[str, Any]]:
    """One proposed request per agency that can act on such property in ``region``: the
    most useful action it takes whose ``details`` the clue can fill."""
    capability = _route(kind)
    proposals: list[dict[str, Any]] = []
    if capability is None:
        return proposals
    for agency in agencies:
        if not covers(agency, region):
            continue
        for spec in _actions_for(agency, capability):
            if spec.reference is None or details.get(spec.reference):
                proposals.append(
                    {
                        "agency_id": agency.id,
                        "agency_name": agency.config.name,
                        "action": spec.name,
                        "details": dict(details),
                    }
                )
                break
    if region and len(proposals) > 1:
        # most specific jurisdiction wins: a county registry over the city's
        depth = {a.id: len(division_prefix(a.config.jurisdiction or "")) for a in agencies}
        best = max(depth[p["agency_id"]] for p in proposals)
        proposals = [p for p in proposals if depth[p["agency_id"]] == best]
    return proposals


async def submit_clue(hub: HubState, principal: Principal, data: ClueData) -> PropertyClue:
    check_clue(data)
    async with hub.db.transaction() as session:
        return await submit_clue_in(session, hub, principal, data)


def check_clue(data: ClueData) -> None:
    """What ``submit_clue`` refuses before it reads anything (``BadUserInput``)."""
    if data.kind not in clue_kinds():
        raise BadUserInput("kind", "unknown clue kind")
    require_text(data.description, field="description", max_length=2000)
    region = data.region.strip() if data.region else None
    if region is not None and (not region.isdigit() or len(region) not in (2, 4, 6)):
        raise BadUserInput(
            "region", "region is an administrative division code of 2, 4 or 6 digits"
        )


async def submit_clue_in(
    session: AsyncSession, hub: HubState, principal: Principal, data: ClueData
) -> PropertyClue:
    """The clue, its case event and audit entry, written in the caller's transaction: what
    files it with something else (a ticket) stands or falls with it."""
    check_clue(data)
    description = require_text(data.description, field="description", max_length=2000)
    region = data.region.strip() if data.region else None
    case, party = await managed_respondent(
        session, principal, data.case_number, data.subject_id_number, field="subjectIdNumber"
    )
    kind = data.kind
    clue = PropertyClue(
        case_id=case.id,
        party_id=party.id,
        kind=kind,
        description=description,
        region=region,
        details=dict(data.details),
        proposals=propose(list(hub.agencies), kind, region, data.details),
        status="PROPOSED",
        submitted_by=principal.actor,
    )
    session.add(clue)
    await session.flush()
    session.add(
        CaseEvent(
            case_id=case.id,
            kind="CLUE_SUBMITTED",
            actor=principal.actor,
            note=f"{clue_kinds().get(kind, kind)}：{description}",
        )
    )
    await audit.record(
        session,
        actor=principal,
        action="clue.submitted",
        purpose=case.number,
        subject=party.id_number,
        target=f"clue:{clue.id}",
        detail={"kind": kind, "region": region, "proposals": len(clue.proposals)},
    )
    return clue


async def clues_for_cases(db: Database, case_ids: Sequence[int]) -> list[list[PropertyClue]]:
    async with db.session() as session:
        rows = await session.scalars(
            select(PropertyClue).where(PropertyClue.case_id.in_(case_ids)).order_by(PropertyClue.id)
        )
        by_case: dict[int, list[PropertyClue]] = {i: [] for i in case_ids}
        for row in rows:
            by_case[row.case_id].append(row)
    return [by_case[i] for i in case_ids]
