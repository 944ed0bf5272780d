"""信用修复: the debtor performs or commits (信用承诺), the officer approves, the lifts follow.

1. ``record_repair``: the officer records what the debtor did — ``PERFORMED``
   (履行完毕) or ``COMMITTED`` (a 信用承诺) — with a note; the repair waits.
2. ``approve_repair``: the officer approves it under a document number; for
   every decision still in force against the debtor in the case, the
   revoking action its agency declares (the ``DECISION`` whose ``lifts``
   names the decision's action) is requested, which revokes the decision
   (``hub.decisions``) and pushes the revocation to the agency.

Each step is an event of the case and an audit entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from adapters.sdk.declare import ActionSpec, Effect
from hub import audit, decisions, policy, request_creation, request_states
from hub.case_rows import by_case_with_party
from hub.cases import managed_respondent
from hub.errors import Conflict, NotFound
from hub.models import AssistanceRequest, Case, CaseEvent, CreditRepair, Party, utcnow
from hub.principal import Principal
from hub.state import HubState
from hub.storage import Database
from hub.validation import require_text


class RepairBasis(StrEnum):
    PERFORMED = "PERFORMED"  # 履行完毕
    COMMITTED = "COMMITTED"  # 信用承诺


BASIS_LABEL = {RepairBasis.PERFORMED: "已履行", RepairBasis.COMMITTED: "作出信用承诺"}


async def record_repair(
    hub: HubState,
    principal: Principal,
    case_number: str,
    id_number: str,
    basis: RepairBasis,
    note: str,
) -> tuple[CreditRepair, Party]:
    policy.require_court_officer(principal)
    note = require_text(note, field="note", max_length=2000)
    async with hub.db.transaction() as session:
        case, party = await managed_respondent(
            session, principal, case_number, id_number, field="idNumber"
        )
        now = utcnow()
        repair = CreditRepair(
            case_id=case.id,
            party_id=party.id,
            basis=basis.value,
            note=note,
            status="PENDING",
            recorded_by=principal.actor,
            recorded_at=now,
        )
        session.add(repair)
        await session.flush()
        session.add(
            CaseEvent(
                case_id=case.id,
                at=now,
                kind="CREDIT_REPAIR_REQUESTED",
                actor=principal.actor,
                note=f"{party.name}{BASIS_LABEL[basis]}，申请信用修复：{note}",
            )
        )
        await audit.record(
            session,
            actor=principal,
            action="credit_repair.recorded",
            purpose=case.number,
            subject=party.id_number,
            target=str(repair.id),
            detail={"basis": basis.value},
        )
    return repair, party


def _revoking(hub: HubState, agency_id: str, action: str) -> ActionSpec | None:
    agency = hub.agencies.get(agency_id)
    if agency is None:
        return None
    return next(
        (
            spec
            for spec in agency.adapter.action_specs.values()
            if spec.effect is Effect.DECISION and spec.lifts == action
        ),
        None,
    )


async def approve_repair(
    hub: HubState, principal: Principal, repair_id: int, document_number: str
) -> tuple[CreditRepair, list[AssistanceRequest]]:
    """Approve a waiting repair: the revoking requests, one per decision in force."""
    policy.require_court_officer(principal)
    document = require_text(document_number, field="documentNumber", max_length=100)
    created: list[AssistanceRequest] = []
    async with hub.db.transaction() as session:
        repair = await session.get(CreditRepair, repair_id, with_for_update=True)
        case = await session.get(Case, repair.case_id) if repair is not None else None
        if repair is None or case is None or not policy.can_read_case(principal, case):
            raise NotFound("no such credit repair")
        policy.require_manage_case(principal, case)
        if repair.status != "PENDING":
            raise Conflict("this credit repair has been decided")
        party = await session.get(Party, repair.party_id)
        assert party is not None
        now = utcnow()
        repair.status = "APPROVED"
        repair.approved_by = principal.actor
        repair.approved_at = now
        repair.document_number = document
        session.add(
            CaseEvent(
                case_id=case.id,
                at=now,
                kind="CREDIT_REPAIR_APPROVED",
                actor=principal.actor,
                note=f"准予{party.name}信用修复（决定书 {document}）",
            )
        )
        await audit.record(
            session,
            actor=principal,
            action="credit_repair.approved",
            purpose=case.number,
            subject=party.id_number,
            target=str(repair.id),
            detail={"document": document},
        )
        for index, decision in enumerate(await decisions.in_force(session, case, party)):
            spec = _revoking(hub, decision.agency_id, decision.action)
            if spec is None or decision.revoked_at is not None:
                continue  # revoked by an earlier one of these, or nothing revokes it here
            data = request_creation.RequestData(
                case_number=case.number,
                subject_id_number=party.id_number,
                agency_id=decision.agency_id,
                action=spec.name,
                document_number=document,
                details={},
                idempotency_key=f"credit-repair-{repair.id}-{index}",
            )
            clean = request_creation.validated(hub, data)
            row, _ = await request_creation.create_in(session, hub, principal, clean, case, party)
            created.append(row)
    request_states.wake_dispatcher(hub)
    return repair, created


async def repairs_for_cases(
    db: Database, case_ids: Sequence[int]
) -> dict[int, list[tuple[CreditRepair, Party]]]:
    return await by_case_with_party(db, CreditRepair, case_ids)
