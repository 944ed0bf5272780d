"""Name-only holdings (重名): nothing is sealed, frozen or taken until an officer confirms it.

A registry that searches by name returns same-name records without an owner's
ID number; the dossier marks them ``NAME_ONLY``. An order that encumbers or
takes one of them (``ActionSpec.guards_name_only``) is refused until the case's
officer records, with ``confirm_ownership``, who confirmed the record is the
debtor's and on what evidence (§7.4). Which records are name-only is read from
the subject's latest dossier snapshot (``DossierSnapshot``), the record's
reference being the attribute its capability declares (``asset.reference``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sdk.declare import ActionSpec, CapabilitySpec
from adapters.sdk.records import MatchKind, Subject, SubjectKind
from hub import audit, policy
from hub.agencies import Agency
from hub.case_rows import by_case_with_party
from hub.cases import managed_respondent
from hub.errors import BadUserInput
from hub.models import (
    Case,
    CaseEvent,
    DossierSnapshot,
    OwnershipConfirmation,
    Party,
    utcnow,
)
from hub.principal import Principal
from hub.sources import decode, screen
from hub.state import HubState
from hub.storage import Database
from hub.validation import require_text


def _capability(agency: Agency, spec: ActionSpec) -> CapabilitySpec | None:
    return next((c for c in agency.capabilities if c.name == spec.capability), None)


async def is_name_only(
    session: AsyncSession, capability: CapabilitySpec, party: Party, reference: str
) -> bool:
    """Whether the subject's latest snapshot of ``capability`` shows ``reference`` as a
    name-only match (any agency's: the same record may come from several)."""
    if capability.asset is None:
        return False
    attribute = capability.asset.reference
    subject = Subject(party.id_number, party.name, SubjectKind(party.kind))
    rows = await session.scalars(
        select(DossierSnapshot)
        .where(
            DossierSnapshot.capability == capability.name,
            DossierSnapshot.subject_id == party.id_number,
        )
        .order_by(DossierSnapshot.fetched_at.desc())
    )
    for row in rows:
        try:
            records = screen(capability, subject, decode(capability, row.payload))
        except ValueError:
            continue  # a snapshot an older adapter wrote: it proves nothing
        for record in records or ():
            if str(getattr(record, attribute, "")) == reference:
                return getattr(record, "matched_by", None) is MatchKind.NAME_ONLY
    return False


async def confirmed(session: AsyncSession, case: Case, party: Party, reference: str) -> bool:
    found = await session.scalar(
        select(OwnershipConfirmation.id).where(
            OwnershipConfirmation.case_id == case.id,
            OwnershipConfirmation.party_id == party.id,
            OwnershipConfirmation.reference == reference,
        )
    )
    return found is not None


async def require_confirmed(
    session: AsyncSession,
    agency: Agency,
    spec: ActionSpec,
    case: Case,
    party: Party,
    details: dict[str, Any],
) -> None:
    """``BadUserInput(details.<reference>)`` when ``spec`` would encumber or take a record
    matched by name only that no officer has confirmed for this case and subject."""
    if not spec.guards_name_only or spec.reference is None:
        return
    reference = details.get(spec.reference)
    capability = _capability(agency, spec)
    if not isinstance(reference, str) or not reference or capability is None:
        return
    if not await is_name_only(session, capability, party, reference):
        return
    if await confirmed(session, case, party, reference):
        return
    raise BadUserInput(
        f"details.{spec.reference}",
        "该财产仅按姓名匹配（重名风险），须先由承办人确认属于被执行人",
    )


async def confirm_ownership(
    hub: HubState,
    principal: Principal,
    case_number: str,
    id_number: str,
    reference: str,
    note: str,
) -> OwnershipConfirmation:
    """The case's officer confirms ``reference`` is the respondent's, citing ``note``."""
    policy.require_court_officer(principal)
    reference = require_text(reference, field="reference", max_length=100)
    note = require_text(note, field="note", max_length=2000)
    async with hub.db.transaction() as session:
        case, party = await managed_respondent(
            session, principal, case_number, id_number, field="idNumber"
        )
        now = utcnow()
        row = OwnershipConfirmation(
            case_id=case.id,
            party_id=party.id,
            reference=reference,
            note=note,
            confirmed_by=principal.actor,
            confirmed_at=now,
        )
        session.add(row)
        session.add(
            CaseEvent(
                case_id=case.id,
                at=now,
                kind="OWNERSHIP_CONFIRMED",
                actor=principal.actor,
                note=f"确认 {reference} 属于被执行人{party.name}：{note}",
            )
        )
        await audit.record(
            session,
            actor=principal,
            action="ownership.confirmed",
            purpose=case.number,
            subject=party.id_number,
            target=reference,
            detail={"note": note},
        )
    return row


async def confirmations_for_cases(
    db: Database, case_ids: Sequence[int]
) -> dict[int, list[tuple[OwnershipConfirmation, Party]]]:
    """Each case's confirmations, oldest first, with the party they are about."""
    return await by_case_with_party(db, OwnershipConfirmation, case_ids)
