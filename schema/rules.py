"""Enforcement rules in the graph (§7.4): ownership confirmations and watch alerts.

``hub.ownership`` and ``hub.watches`` do the work; this module only shapes it.
"""

from __future__ import annotations

import datetime as dt

import strawberry

from hub import ownership, policy, watches
from hub.models import Case as CaseRow
from hub.models import OwnershipConfirmation as ConfirmationRow
from hub.models import Party as PartyRow
from schema.context import Info
from schema.display import local


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
