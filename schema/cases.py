"""Cases, parties, clues and case events in the graph."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.scalars import JSON

from hub import cases as service
from hub import clock, policy, read_audit
from hub import clues as clue_service
from hub.models import Case as CaseRow
from hub.models import CaseEvent as CaseEventRow
from hub.models import Party as PartyRow
from hub.models import PropertyClue as ClueRow
from hub.validation import mask_id_number
from schema.context import Info
from schema.display import local
from schema.vocabulary import ClueKind

if TYPE_CHECKING:
    from schema.assistance import AssistanceRequest, AssistanceStatusCount
    from schema.dossier import Dossier
    from schema.funds import CaseFunds
    from schema.rules import CourtDecision, CreditRepair, OwnershipConfirmation
    from schema.tickets import Ticket

# The services' enums are the graph's enums (strawberry.enum registers them in place).
CaseStatus = service.CaseStatus
LivelihoodKind = service.Livelihood
strawberry.enum(CaseStatus, name="CaseStatus")
strawberry.enum(LivelihoodKind, name="LivelihoodKind")


@strawberry.enum
class PartyRole(Enum):
    APPLICANT = "APPLICANT"
    RESPONDENT = "RESPONDENT"


@strawberry.enum
class PartyKind(Enum):
    PERSON = "PERSON"
    ORGANIZATION = "ORGANIZATION"


@strawberry.type
class CaseEvent:
    at: dt.datetime
    kind: str
    actor: str | None
    note: str | None

    @classmethod
    def from_row(cls, row: CaseEventRow) -> CaseEvent:
        at = local(row.at)
        assert at is not None
        return cls(at=at, kind=row.kind, actor=row.actor, note=row.note)


@strawberry.federation.type(keys=["id"])
class Party:
    row: strawberry.Private[PartyRow]
    case_row: strawberry.Private[CaseRow]
    full_id: strawberry.Private[bool]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def role(self) -> PartyRole:
        return PartyRole(self.row.role)

    @strawberry.field
    def kind(self) -> PartyKind:
        return PartyKind(self.row.kind)

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field(
        description="Masked (350602********0015) unless the caller is the case's own court."
    )
    def id_number(self, info: Info) -> str:
        if not self.full_id:
            return mask_id_number(self.row.id_number)
        read_audit.full_id_read(info.context.principal, self.case_row.number, self.row.id_number)
        return self.row.id_number

    @strawberry.field(
        description="What the agencies know of this party (the case's own court only); "
        "null with a FORBIDDEN error otherwise."
    )
    async def dossier(
        self, info: Info
    ) -> Annotated[Dossier, strawberry.lazy("schema.dossier")] | None:
        from schema.dossier import party_dossier

        return await party_dossier(info, self.row, self.case_row)

    @classmethod
    def from_row(cls, row: PartyRow, case: CaseRow, info: Info) -> Party:
        return cls(
            row=row,
            case_row=case,
            full_id=policy.sees_full_id_numbers(info.context.principal, case),
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Party:
        """Federation's ``_entities`` for ``{__typename: "Party", id}``: the case's rules."""
        from hub import dossier as dossier_service
        from hub.errors import BadUserInput

        try:
            party_id = int(str(id))
        except ValueError as exc:
            raise BadUserInput("representations", "a Party is referenced by its id") from exc
        party, case = await dossier_service.find_party(
            info.context.hub, info.context.principal, party_id
        )
        return cls.from_row(party, case, info)


@strawberry.type
class ProposedRequest:
    agency_id: str
    agency_name: str
    action: str
    details: JSON


@strawberry.type
class PropertyClue:
    row: strawberry.Private[ClueRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def kind(self) -> ClueKind:  # type: ignore[valid-type]
        return ClueKind[self.row.kind]

    @strawberry.field
    def description(self) -> str:
        return self.row.description

    @strawberry.field
    def region(self) -> str | None:
        return self.row.region

    @strawberry.field
    def details(self) -> JSON:
        return cast(JSON, self.row.details)

    @strawberry.field
    def status(self) -> str:
        return self.row.status

    @strawberry.field
    def submitted_at(self) -> dt.datetime:
        at = local(self.row.submitted_at)
        assert at is not None
        return at

    @strawberry.field(
        description="Assistance requests this clue suggests, to confirm with confirmPropertyClue."
    )
    def proposals(self) -> list[ProposedRequest]:
        return [
            ProposedRequest(
                agency_id=p["agency_id"],
                agency_name=p.get("agency_name", p["agency_id"]),
                action=p["action"],
                details=cast(JSON, p.get("details", {})),
            )
            for p in self.row.proposals
        ]

    @strawberry.field(description="The applicant's request (诉求) this clue came from, if any.")
    async def ticket(
        self, info: Info
    ) -> Annotated[Ticket, strawberry.lazy("schema.tickets")] | None:
        from schema.tickets import clue_ticket

        return await clue_ticket(info, self.row.id)


@strawberry.federation.type(keys=["number"])
class Case:
    row: strawberry.Private[CaseRow]

    @classmethod
    async def resolve_reference(cls, info: Info, number: str) -> Case | None:
        """Federation's ``_entities`` for ``{__typename: "Case", number}``, as ``case(number:)``."""
        row = await service.get_case(info.context.hub.db, info.context.principal, number)
        return cls(row=row) if row is not None else None

    @strawberry.field
    def number(self) -> str:
        return self.row.number

    @strawberry.field(description="The court's code, e.g. 闽0602.")
    def court(self) -> str:
        return self.row.court_code

    @strawberry.field
    def filed_on(self) -> dt.date:
        return self.row.filed_on

    @strawberry.field(description="Six months after filing: the statutory enforcement period.")
    def deadline(self) -> dt.date:
        return self.row.deadline

    @strawberry.field
    def overdue(self) -> bool:
        return self.row.status == "OPEN" and self.row.deadline < clock.today()

    @strawberry.field
    def cause(self) -> str:
        return self.row.cause

    @strawberry.field
    def livelihood(self) -> LivelihoodKind | None:
        return service.Livelihood(self.row.livelihood) if self.row.livelihood else None

    @strawberry.field
    def status(self) -> CaseStatus:
        return service.CaseStatus(self.row.status)

    @strawberry.field
    def amount_claimed(self) -> Decimal:
        return self.row.amount_claimed

    @strawberry.field
    def amount_recovered(self) -> Decimal:
        return self.row.amount_recovered

    @strawberry.field(description="The case's parties; with role, only that side's.")
    def parties(self, info: Info, role: PartyRole | None = None) -> list[Party]:
        return [
            Party.from_row(p, self.row, info)
            for p in self.row.parties
            if role is None or p.role == role.value
        ]

    @strawberry.field
    async def clues(self, info: Info) -> list[PropertyClue]:
        ctx = info.context
        loader = ctx.loader("case_clues", lambda ids: clue_service.clues_for_cases(ctx.hub.db, ids))
        return [PropertyClue(row=r) for r in await loader.load(self.row.id)]

    @strawberry.field
    async def events(self, info: Info) -> list[CaseEvent]:
        ctx = info.context

        async def load(ids: list[int]) -> list[list[CaseEventRow]]:
            by_case = await service.case_events(ctx.hub.db, ids)
            return [by_case[i] for i in ids]

        return [
            CaseEvent.from_row(r) for r in await ctx.loader("case_events", load).load(self.row.id)
        ]

    @strawberry.field(description="The case's account (案款): money received and paid out.")
    async def funds(self, info: Info) -> Annotated[CaseFunds, strawberry.lazy("schema.funds")]:
        from schema.funds import funds_of_case

        return await funds_of_case(info, self.row)

    @strawberry.field(description="The case's assistance requests, oldest first.")
    async def assistance_requests(
        self, info: Info
    ) -> list[Annotated[AssistanceRequest, strawberry.lazy("schema.assistance")]]:
        from schema.assistance import requests_of_case

        return await requests_of_case(info, self.row)

    @strawberry.field(
        description="Records matched by name only that an officer confirmed as the debtor's."
    )
    async def ownership_confirmations(
        self, info: Info
    ) -> list[Annotated[OwnershipConfirmation, strawberry.lazy("schema.rules")]]:
        from schema.rules import confirmations_of_case

        return await confirmations_of_case(info, self.row)

    @strawberry.field(description="The court's credit decisions (失信, 限高), in force or revoked.")
    async def court_decisions(
        self, info: Info
    ) -> list[Annotated[CourtDecision, strawberry.lazy("schema.rules")]]:
        from schema.rules import decisions_of_case

        return await decisions_of_case(info, self.row)

    @strawberry.field(description="Credit repairs (信用修复) of the case's respondents.")
    async def credit_repairs(
        self, info: Info
    ) -> list[Annotated[CreditRepair, strawberry.lazy("schema.rules")]]:
        from schema.rules import repairs_of_case

        return await repairs_of_case(info, self.row)

    @strawberry.field(description="How many of the case's requests are in each status.")
    async def requests_by_status(
        self, info: Info
    ) -> list[Annotated[AssistanceStatusCount, strawberry.lazy("schema.assistance")]]:
        from schema.assistance import status_counts_of_case

        return await status_counts_of_case(info, self.row)


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class CaseEdge:
    cursor: str
    node: Case


@strawberry.type
class CaseConnection:
    edges: list[CaseEdge]
    page_info: PageInfo
    total_count: int

    @strawberry.field
    def nodes(self) -> list[Case]:
        return [e.node for e in self.edges]


@strawberry.input
class CaseFilter:
    court: str | None = None
    status: CaseStatus | None = None
    livelihood: LivelihoodKind | None = None
    filed_from: dt.date | None = None
    filed_to: dt.date | None = None
    overdue: bool | None = None
    party_id_number: str | None = None


@strawberry.input
class PartyInput:
    role: PartyRole
    kind: PartyKind
    name: str
    id_number: str


@strawberry.input
class FileCaseInput:
    number: str = strawberry.field(description="（2023）闽0602执1234号; ( ) or （ ） accepted")
    filed_on: dt.date
    cause: str
    amount_claimed: Decimal = strawberry.field(description='Yuan, as a string: "150000.00"')
    parties: list[PartyInput]
    livelihood: LivelihoodKind | None = None


@strawberry.input
class PropertyClueInput:
    case_number: str
    subject_id_number: str
    kind: ClueKind  # type: ignore[valid-type]
    description: str
    region: str | None = strawberry.field(
        default=None, description="Administrative division code where the property is, e.g. 350600"
    )
    details: JSON | None = None


@strawberry.type
class CaseQuery:
    @strawberry.field
    async def case(self, info: Info, number: str) -> Case | None:
        row = await service.get_case(info.context.hub.db, info.context.principal, number)
        return Case(row=row) if row else None

    @strawberry.field
    async def cases(
        self,
        info: Info,
        filter: CaseFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> CaseConnection:
        f = filter or CaseFilter()
        page = await service.list_cases(
            info.context.hub.db,
            info.context.principal,
            service.CaseFilter(
                court=f.court,
                status=f.status.value if f.status else None,
                livelihood=f.livelihood.value if f.livelihood else None,
                filed_from=f.filed_from,
                filed_to=f.filed_to,
                overdue=f.overdue,
                party_id_number=f.party_id_number,
            ),
            first,
            after,
        )
        edges = [
            CaseEdge(cursor=c, node=Case(row=r))
            for r, c in zip(page.rows, page.cursors, strict=True)
        ]
        return CaseConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=page.cursors[-1] if page.cursors else None
            ),
            total_count=page.total,
        )


@strawberry.type
class CaseMutation:
    @strawberry.mutation
    async def file_case(self, info: Info, input: FileCaseInput) -> Case:
        data = service.CaseData(
            number=input.number,
            filed_on=input.filed_on,
            cause=input.cause,
            amount_claimed=input.amount_claimed,
            livelihood=input.livelihood.value if input.livelihood else None,
            parties=[
                service.PartyData(p.role.value, p.kind.value, p.name, p.id_number)
                for p in input.parties
            ],
        )
        return Case(row=await service.file_case(info.context.hub.db, info.context.principal, data))

    @strawberry.mutation
    async def update_case_status(
        self,
        info: Info,
        number: str,
        status: CaseStatus,
        note: str | None = None,
        effective_on: Annotated[
            dt.date | None,
            strawberry.argument(
                description="The day the change took effect in law (default today); "
                "not in the future, not before filing or the case's last change."
            ),
        ] = None,
    ) -> Case:
        return Case(
            row=await service.update_status(
                info.context.hub.db,
                info.context.principal,
                number,
                status.value,
                note,
                effective_on,
            )
        )

    @strawberry.mutation
    async def submit_property_clue(self, info: Info, input: PropertyClueInput) -> PropertyClue:
        ctx = info.context
        row = await clue_service.submit_clue(
            ctx.hub,
            ctx.principal,
            clue_service.ClueData(
                case_number=input.case_number,
                subject_id_number=input.subject_id_number,
                kind=str(input.kind),
                description=input.description,
                region=input.region,
                details=input.details if isinstance(input.details, dict) else {},
            ),
        )
        return PropertyClue(row=row)
