"""Property clues (财产线索): recorded on the case, turned into proposed requests.

A clue names what kind of property it is and, where it knows, the region it
lies in; the hub proposes a request to every agency whose adapter can act on
that kind of property and whose jurisdiction covers the region. No agency kind
is named here: capabilities and actions decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from adapters.sdk.records import Action, Capability
from hub import audit, policy
from hub.agencies import Agency
from hub.auth import Principal
from hub.cases import find_case
from hub.errors import BadUserInput, NotFound
from hub.models import CaseEvent, PropertyClue
from hub.state import HubState
from hub.storage import Database
from hub.validation import require_text


class ClueKind(StrEnum):
    REAL_ESTATE = "REAL_ESTATE"
    VEHICLE = "VEHICLE"
    EMPLOYER = "EMPLOYER"
    BANK = "BANK"
    OTHER = "OTHER"


# What each kind of clue asks of an agency: the capability that finds such
# property and the actions that secure it, in order of preference.
CLUE_ROUTES: dict[ClueKind, tuple[Capability | None, tuple[Action, ...]]] = {
    ClueKind.REAL_ESTATE: (Capability.REAL_ESTATE, (Action.SEAL, Action.QUERY)),
    ClueKind.VEHICLE: (Capability.VEHICLES, (Action.CONTROL_VEHICLE, Action.QUERY)),
    ClueKind.EMPLOYER: (Capability.EMPLOYMENT, (Action.QUERY, Action.WAGE_ASSIST)),
    ClueKind.BANK: (None, (Action.FREEZE,)),
    ClueKind.OTHER: (None, ()),
}

# details a clue must carry before an action can be proposed for it
ACTION_NEEDS: dict[Action, str] = {Action.SEAL: "certificate", Action.CONTROL_VEHICLE: "plate"}


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
    agencies: Sequence[Agency], kind: ClueKind, region: str | None, details: dict[str, Any]
) -> list[dict[str, Any]]:
    capability, actions = CLUE_ROUTES[kind]
    proposals: list[dict[str, Any]] = []
    for agency in agencies:
        if capability is not None and capability not in agency.capabilities:
            continue
        if not covers(agency, region):
            continue
        for action in actions:
            needed = ACTION_NEEDS.get(action)
            if action in agency.actions and (needed is None or details.get(needed)):
                proposals.append(
                    {
                        "agency_id": agency.id,
                        "agency_name": agency.config.name,
                        "action": action.value,
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
    if data.kind not in ClueKind.__members__:
        raise BadUserInput("kind", "unknown clue kind")
    description = require_text(data.description, field="description", max_length=2000)
    region = data.region.strip() if data.region else None
    if region is not None and (not region.isdigit() or len(region) not in (2, 4, 6)):
        raise BadUserInput(
            "region", "region is an administrative division code of 2, 4 or 6 digits"
        )
    async with hub.db.transaction() as session:
        case = await find_case(session, data.case_number, field="caseNumber")
        if case is None:
            raise NotFound("no such case")
        policy.require_manage_case(principal, case)
        party = next(
            (p for p in case.parties if p.id_number == data.subject_id_number.strip().upper()), None
        )
        if party is None:
            raise BadUserInput("subjectIdNumber", "the subject is not a party of this case")
        kind = ClueKind(data.kind)
        clue = PropertyClue(
            case_id=case.id,
            party_id=party.id,
            kind=kind.value,
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
                note=f"{kind.value}: {description}",
            )
        )
        await audit.record(
            session,
            actor=principal,
            action="clue.submitted",
            purpose=case.number,
            subject=party.id_number,
            target=f"clue:{clue.id}",
            detail={"kind": kind.value, "region": region, "proposals": len(clue.proposals)},
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
