"""Enforcement rules in the graph (§7.4): ownership confirmations and watch alerts.

``hub.ownership`` and ``hub.watches`` do the work; this module only shapes it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types.enum import has_enum_definition

from hub import credit_repair, decisions, ownership, policy, watches
from hub.errors import NotFound
from hub.models import Case as CaseRow
from hub.models import CourtDecision as DecisionRow
from hub.models import CreditRepair as RepairRow
from hub.models import OwnershipConfirmation as ConfirmationRow
from hub.models import Party as PartyRow
from schema.context import Info
from schema.display import local

if TYPE_CHECKING:
    from schema.assistance import AssistanceRequest

CreditRepairBasis = credit_repair.RepairBasis
if not has_enum_definition(CreditRepairBasis):
    strawberry.enum(
        CreditRepairBasis,
        name="CreditRepairBasis",
        description="PERFORMED: 履行完毕; COMMITTED: 信用承诺.",
    )


@strawberry.type(
    description="An officer's confirmation that a record matched by name only is the debtor's."
)
class OwnershipConfirmation:
    id_number: str
    subject_name: str
    reference: str = strawberry.field(description="The certificate or account number.")
    note: str = strawberry.field(description="The evidence the officer relied on.")
    confirmed_by: str
    confirmed_at: dt.datetime

    @classmethod
    def from_row(cls, row: ConfirmationRow, party: PartyRow) -> OwnershipConfirmation:
        at = local(row.confirmed_at)
        assert at is not None
        return cls(
            id_number=party.id_number,
            subject_name=party.name,
            reference=row.reference,
            note=row.note,
            confirmed_by=row.confirmed_by,
            confirmed_at=at,
        )


async def confirmations_of_case(info: Info, case: CaseRow) -> list[OwnershipConfirmation]:
    """Only the case's own court sees them: they name the subject's records."""
    ctx = info.context
    if not policy.sees_full_id_numbers(ctx.principal, case):
        return []

    async def load(ids: list[int]) -> list[list[tuple[ConfirmationRow, PartyRow]]]:
        found = await ownership.confirmations_for_cases(ctx.hub.db, ids)
        return [found[i] for i in ids]

    rows = await ctx.loader("ownership_confirmations", load).load(case.id)
    return [OwnershipConfirmation.from_row(r, p) for r, p in rows]


@strawberry.type(
    description="A decision of the court an agency publishes (失信名单, 限制高消费), as recorded."
)
class CourtDecision:
    id: strawberry.ID
    action: str
    id_number: str
    subject_name: str
    agency_id: str
    document_number: str | None
    measures: list[str]
    term_months: int | None
    decided_by: str
    decided_at: dt.datetime
    in_force: bool
    revoked_at: dt.datetime | None
    request_id: strawberry.ID | None

    @classmethod
    def from_row(cls, row: DecisionRow, party: PartyRow) -> CourtDecision:
        decided = local(row.decided_at)
        assert decided is not None
        return cls(
            id=strawberry.ID(str(row.id)),
            action=row.action,
            id_number=party.id_number,
            subject_name=party.name,
            agency_id=row.agency_id,
            document_number=row.document_number,
            measures=list(row.measures or []),
            term_months=row.term_months,
            decided_by=row.decided_by,
            decided_at=decided,
            in_force=row.revoked_at is None,
            revoked_at=local(row.revoked_at),
            request_id=strawberry.ID(row.request_id) if row.request_id else None,
        )


@strawberry.type(description="信用修复: what the debtor did, and the officer's approval.")
class CreditRepair:
    id: strawberry.ID
    id_number: str
    subject_name: str
    basis: CreditRepairBasis
    note: str
    status: str = strawberry.field(description="PENDING or APPROVED.")
    recorded_by: str
    recorded_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None
    document_number: str | None

    @classmethod
    def from_row(cls, row: RepairRow, party: PartyRow) -> CreditRepair:
        recorded = local(row.recorded_at)
        assert recorded is not None
        return cls(
            id=strawberry.ID(str(row.id)),
            id_number=party.id_number,
            subject_name=party.name,
            basis=credit_repair.RepairBasis(row.basis),
            note=row.note,
            status=row.status,
            recorded_by=row.recorded_by,
            recorded_at=recorded,
            approved_by=row.approved_by,
            approved_at=local(row.approved_at),
            document_number=row.document_number,
        )


async def decisions_of_case(info: Info, case: CaseRow) -> list[CourtDecision]:
    ctx = info.context
    if not policy.sees_full_id_numbers(ctx.principal, case):
        return []

    async def load(ids: list[int]) -> list[list[tuple[DecisionRow, PartyRow]]]:
        found = await decisions.decisions_for_cases(ctx.hub.db, ids)
        return [found[i] for i in ids]

    rows = await ctx.loader("court_decisions", load).load(case.id)
    return [CourtDecision.from_row(r, p) for r, p in rows]


async def repairs_of_case(info: Info, case: CaseRow) -> list[CreditRepair]:
    ctx = info.context
    if not policy.sees_full_id_numbers(ctx.principal, case):
        return []

    async def load(ids: list[int]) -> list[list[tuple[RepairRow, PartyRow]]]:
        found = await credit_repair.repairs_for_cases(ctx.hub.db, ids)
        return [found[i] for i in ids]

    rows = await ctx.loader("credit_repairs", load).load(case.id)
    return [CreditRepair.from_row(r, p) for r, p in rows]


@strawberry.type(description="A sighting reported on an open watch (布控) of the caller's court.")
class WatchAlert:
    request_id: strawberry.ID
    case_number: str
    subject_name: str
    agency_id: str
    agency_name: str
    at: dt.datetime
    note: str


@strawberry.type
class RulesQuery:
    @strawberry.field(
        description="Sightings on the open watches of the caller's court, newest first."
    )
    async def watch_alerts(self, info: Info, case_number: str | None = None) -> list[WatchAlert]:
        ctx = info.context
        alerts = await watches.watch_alerts(ctx.hub, ctx.principal, case_number)
        result = []
        for a in alerts:
            agency = ctx.hub.agencies.get(a.agency_id)
            at = local(a.at)
            assert at is not None
            result.append(
                WatchAlert(
                    request_id=strawberry.ID(a.request_id),
                    case_number=a.case_number,
                    subject_name=a.subject_name,
                    agency_id=a.agency_id,
                    agency_name=agency.config.name if agency is not None else a.agency_id,
                    at=at,
                    note=a.note,
                )
            )
        return result


@strawberry.type
class RulesMutation:
    @strawberry.mutation(
        description=(
            "Confirm that a record matched by name only (reference: certificate or account "
            "number) is the respondent's, on the evidence in note; audited."
        )
    )
    async def confirm_ownership(
        self, info: Info, case_number: str, id_number: str, reference: str, note: str
    ) -> bool:
        ctx = info.context
        await ownership.confirm_ownership(
            ctx.hub, ctx.principal, case_number, id_number, reference, note
        )
        return True

    @strawberry.mutation(
        description="Record that the respondent performed or committed (信用承诺): a credit "
        "repair waiting for the officer's approval; audited."
    )
    async def record_credit_repair(
        self,
        info: Info,
        case_number: str,
        id_number: str,
        basis: CreditRepairBasis,
        note: str,
    ) -> CreditRepair:
        ctx = info.context
        row, party = await credit_repair.record_repair(
            ctx.hub, ctx.principal, case_number, id_number, basis, note
        )
        return CreditRepair.from_row(row, party)

    @strawberry.mutation(
        description="Approve a credit repair under a document number: each decision in force "
        "against the respondent is revoked by its agency's revoking action; audited."
    )
    async def approve_credit_repair(
        self, info: Info, id: strawberry.ID, document_number: str
    ) -> list[Annotated[AssistanceRequest, strawberry.lazy("schema.assistance")]]:
        from schema.assistance import wrap

        ctx = info.context
        try:
            repair_id = int(str(id))
        except ValueError as exc:
            raise NotFound("no such credit repair") from exc
        _, rows = await credit_repair.approve_repair(
            ctx.hub, ctx.principal, repair_id, document_number
        )
        return await wrap(info, rows)
