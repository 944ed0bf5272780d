"""Assistance requests in the graph: types, queries, mutations; ``hub.assistance`` does the work."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON
from strawberry.types.enum import has_enum_definition

from hub import assistance as service
from hub import policy
from hub.errors import BadUserInput, NotFound
from hub.models import AssistanceRequest as RequestRow
from hub.models import Case as CaseRow
from hub.models import RequestEvent as EventRow
from schema.agencies import Agency
from schema.cases import Case, PageInfo, Party
from schema.context import Info
from schema.display import local
from schema.vocabulary import AssistanceAction

# The SDK's and the service's enums are the graph's (registered in place, once).
AssistanceStatus = service.RequestStatus
if not has_enum_definition(AssistanceStatus):
    strawberry.enum(AssistanceStatus, name="AssistanceStatus")


@strawberry.enum(description="How a list of requests is sorted.")
class AssistanceRequestOrder(Enum):
    NEWEST = "newest"
    INBOX = "inbox"  # overdue and urged first, then the oldest due first


@strawberry.type
class AssistanceAnswer:
    outcome: str
    result: JSON | None


@strawberry.type
class AssistanceEvaluation:
    rating: int
    comment: str | None


@strawberry.type
class AssistanceEvent:
    at: dt.datetime
    kind: str = strawberry.field(description="CREATED, DISPATCHED, ACKNOWLEDGED, URGED ...")
    actor: str | None
    note: str | None

    @classmethod
    def from_row(cls, row: EventRow) -> AssistanceEvent:
        at = local(row.at)
        assert at is not None
        return cls(at=at, kind=row.kind, actor=row.actor, note=row.note)


def _at(value: dt.datetime | None) -> dt.datetime | None:
    return local(value)


@strawberry.type
class AssistanceRequest:
    row: strawberry.Private[RequestRow]
    case_row: strawberry.Private[CaseRow]  # with its parties loaded

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field(
        description="The case, for those who may read it; null with a FORBIDDEN error for "
        "the agency."
    )
    def case(self, info: Info) -> Case | None:
        policy.require_request_case(info.context.principal, self.case_row)
        return Case(row=self.case_row)

    @strawberry.field
    def case_number(self) -> str:
        return self.case_row.number

    @strawberry.field(description="The requesting court's code.")
    def court(self) -> str:
        return self.case_row.court_code

    @strawberry.field(description="The party the request is about.")
    def subject(self, info: Info) -> Party:
        party = next(p for p in self.case_row.parties if p.id == self.row.party_id)
        full = policy.sees_full_request_subject(info.context.principal, self.row, self.case_row)
        return Party(row=party, case_row=self.case_row, full_id=full)

    @strawberry.field(description="The addressed agency (null if no longer configured).")
    def agency(self, info: Info) -> Agency | None:
        instance = info.context.hub.agencies.get(self.row.agency_id)
        return Agency(instance=instance) if instance is not None else None

    @strawberry.field
    def agency_id(self) -> str:
        return self.row.agency_id

    @strawberry.field
    def agency_name(self, info: Info) -> str:
        agency = info.context.hub.agencies.get(self.row.agency_id)
        return agency.config.name if agency else self.row.agency_id

    @strawberry.field
    def action(self) -> AssistanceAction:  # type: ignore[valid-type]
        return AssistanceAction[self.row.action]

    @strawberry.field
    def status(self) -> AssistanceStatus:
        return service.RequestStatus(self.row.status)

    @strawberry.field
    def document_number(self) -> str | None:
        return self.row.document_number

    @strawberry.field
    def details(self) -> JSON:
        return cast(JSON, self.row.details or {})

    @strawberry.field
    def idempotency_key(self) -> str:
        return self.row.idempotency_key

    @strawberry.field
    def created_at(self) -> dt.datetime:
        at = _at(self.row.created_at)
        assert at is not None
        return at

    @strawberry.field
    def due_at(self) -> dt.datetime:
        at = _at(self.row.due_at)
        assert at is not None
        return at

    @strawberry.field(description="Due and still open (derived, never stored).")
    def overdue(self) -> bool:
        return service.is_overdue(self.row)

    @strawberry.field
    def dispatched_at(self) -> dt.datetime | None:
        return _at(self.row.dispatched_at)

    @strawberry.field
    def acknowledged_at(self) -> dt.datetime | None:
        return _at(self.row.acknowledged_at)

    @strawberry.field
    def answered_at(self) -> dt.datetime | None:
        return _at(self.row.answered_at)

    @strawberry.field(
        description="The agency's answer: COMPLETED, or REJECTED with its reason (null until "
        "then). Personal data: only the case's court and the addressed agency see it; "
        "null with a FORBIDDEN error for anyone else."
    )
    def answer(self, info: Info) -> AssistanceAnswer | None:
        if self.row.status not in service.ANSWERED or self.row.outcome is None:
            return None
        policy.require_request_answer(info.context.principal, self.row, self.case_row)
        return AssistanceAnswer(outcome=self.row.outcome, result=cast(JSON, self.row.result))

    @strawberry.field(description="Why delivery failed (FAILED requests; re-send them).")
    def failure(self) -> str | None:
        return self.row.failure

    @strawberry.field(description="The agency's own reference for the order.")
    def agency_ref(self) -> str | None:
        return self.row.agency_ref

    @strawberry.field
    def urge_count(self) -> int:
        return self.row.urge_count or 0

    @strawberry.field
    def last_urged_at(self) -> dt.datetime | None:
        return _at(self.row.last_urged_at)

    @strawberry.field
    def evaluation(self) -> AssistanceEvaluation | None:
        if self.row.rating is None:
            return None
        return AssistanceEvaluation(rating=self.row.rating, comment=self.row.comment)

    @strawberry.field(description="A completed SEAL's rank: FIRST (首封) or WAITING (轮候).")
    def seal_rank(self) -> str | None:
        return self.row.seal_rank

    @strawberry.field(description="When a completed SEAL lapses unless renewed (续封).")
    def seal_expires_on(self) -> dt.date | None:
        return self.row.seal_expires_on

    @strawberry.field(description="For an UNSEAL: the SEAL request it lifts.")
    def unseals_id(self) -> strawberry.ID | None:
        return strawberry.ID(self.row.unseals_id) if self.row.unseals_id else None

    @strawberry.field(description="The property clue this request came from, if any.")
    def clue_id(self) -> strawberry.ID | None:
        return strawberry.ID(str(self.row.clue_id)) if self.row.clue_id is not None else None

    @strawberry.field
    async def events(self, info: Info) -> list[AssistanceEvent]:
        ctx = info.context

        async def load(ids: list[str]) -> list[list[EventRow]]:
            found = await service.request_events(ctx.hub.db, ids)
            return [found[i] for i in ids]

        rows = await ctx.loader("request_events", load).load(self.row.id)
        return [AssistanceEvent.from_row(r) for r in rows]


@strawberry.type
class AssistanceStatusCount:
    status: AssistanceStatus
    count: int
    overdue: int


@strawberry.type
class AssistanceRequestEdge:
    cursor: str
    node: AssistanceRequest


@strawberry.type
class AssistanceRequestConnection:
    edges: list[AssistanceRequestEdge]
    page_info: PageInfo
    total_count: int

    @strawberry.field
    def nodes(self) -> list[AssistanceRequest]:
        return [e.node for e in self.edges]


@strawberry.input
class AssistanceRequestFilter:
    case_number: str | None = None
    agency_id: str | None = None
    status: AssistanceStatus | None = None
    action: AssistanceAction | None = None  # type: ignore[valid-type]
    overdue: bool | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None


@strawberry.input
class CreateAssistanceRequestInput:
    case_number: str
    subject_id_number: str
    agency_id: str
    action: AssistanceAction  # type: ignore[valid-type]
    document_number: str | None = strawberry.field(
        default=None, description="Required for SEAL, UNSEAL, FREEZE, DETAIN and listing actions."
    )
    details: JSON | None = strawberry.field(
        default=None, description="An object; UNSEAL names the seal: {seal_request_id: ...}."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="The same key and body return the first request."
    )


@strawberry.input
class AnswerAssistanceRequestInput:
    id: strawberry.ID
    outcome: str
    result: JSON | None = strawberry.field(
        default=None, description="SEAL: {rank: FIRST|WAITING, expires_on: YYYY-MM-DD, ...}"
    )


# -- building nodes from rows -----------------------------------------------------------------


def _case_loader(info: Info) -> DataLoader[int, CaseRow]:
    ctx = info.context

    async def load(ids: list[int]) -> list[CaseRow]:
        found = await service.cases_by_id(ctx.hub.db, ids)
        return [found[i] for i in ids]

    return ctx.loader("request_cases", load)


async def wrap(info: Info, rows: list[RequestRow]) -> list[AssistanceRequest]:
    """Graph nodes for request rows, their cases batched through one loader."""
    loader = _case_loader(info)
    cases = await loader.load_many([r.case_id for r in rows]) if rows else []
    return [AssistanceRequest(row=r, case_row=c) for r, c in zip(rows, cases, strict=True)]


async def requests_of_case(info: Info, case: CaseRow) -> list[AssistanceRequest]:
    """``Case.assistanceRequests`` (the case itself was already checked readable)."""
    ctx = info.context

    async def load(ids: list[int]) -> list[list[RequestRow]]:
        found = await service.requests_for_cases(ctx.hub.db, ids)
        return [found[i] for i in ids]

    rows = await ctx.loader("case_requests", load).load(case.id)
    return [AssistanceRequest(row=r, case_row=case) for r in rows]


async def status_counts_of_case(info: Info, case: CaseRow) -> list[AssistanceStatusCount]:
    ctx = info.context

    async def load(ids: list[int]) -> list[dict[str, tuple[int, int]]]:
        found = await service.status_counts(ctx.hub.db, ids)
        return [found[i] for i in ids]

    counts = await ctx.loader("case_request_counts", load).load(case.id)
    return [
        AssistanceStatusCount(status=status, count=counts[status][0], overdue=counts[status][1])
        for status in service.RequestStatus
        if status in counts
    ]


def _json_object(value: Any, field: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadUserInput(field, f"{field} must be a JSON object")
    return value


# -- root fields ------------------------------------------------------------------------------


@strawberry.type
class AssistanceQuery:
    @strawberry.field
    async def assistance_request(self, info: Info, id: strawberry.ID) -> AssistanceRequest | None:
        try:
            row, case = await service.get_request(info.context.hub, info.context.principal, id)
        except NotFound:
            return None
        return AssistanceRequest(row=row, case_row=case)

    @strawberry.field
    async def assistance_requests(
        self,
        info: Info,
        filter: AssistanceRequestFilter | None = None,
        first: int = 20,
        after: str | None = None,
        order: AssistanceRequestOrder = AssistanceRequestOrder.NEWEST,
    ) -> AssistanceRequestConnection:
        f = filter or AssistanceRequestFilter()
        page = await service.list_requests(
            info.context.hub,
            info.context.principal,
            service.RequestFilter(
                case_number=f.case_number,
                agency_id=f.agency_id,
                status=f.status.value if f.status else None,
                action=str(f.action) if f.action else None,
                overdue=f.overdue,
                created_from=f.created_from,
                created_to=f.created_to,
            ),
            first,
            after,
            order=order.value,
        )
        nodes = await wrap(info, page.rows)
        return AssistanceRequestConnection(
            edges=[
                AssistanceRequestEdge(cursor=c, node=n)
                for n, c in zip(nodes, page.cursors, strict=True)
            ],
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=page.cursors[-1] if page.cursors else None
            ),
            total_count=page.total,
        )

    @strawberry.field(
        description="Completed seals lapsing within N days: renew (续封) in time."
        " Omitted or null: the hub's seal reminder horizon (seal_reminder_days)."
    )
    async def expiring_seals(
        self, info: Info, within_days: int | None = None
    ) -> list[AssistanceRequest]:
        rows = await service.expiring_seals(info.context.hub, info.context.principal, within_days)
        return await wrap(info, rows)


async def _node(info: Info, row: RequestRow) -> AssistanceRequest:
    return (await wrap(info, [row]))[0]


@strawberry.type
class AssistanceMutation:
    @strawberry.mutation
    async def create_assistance_request(
        self, info: Info, input: CreateAssistanceRequestInput
    ) -> AssistanceRequest:
        data = service.RequestData(
            case_number=input.case_number,
            subject_id_number=input.subject_id_number,
            agency_id=input.agency_id,
            action=str(input.action),
            document_number=input.document_number,
            details=_json_object(input.details, "details"),
            idempotency_key=input.idempotency_key,
        )
        ctx = info.context
        row, case = await service.create_request_of_case(ctx.hub, ctx.principal, data)
        _case_loader(info).prime(case.id, case)  # loaded with its parties already
        return await _node(info, row)

    @strawberry.mutation
    async def acknowledge_assistance_request(
        self, info: Info, id: strawberry.ID
    ) -> AssistanceRequest:
        ctx = info.context
        return await _node(info, await service.acknowledge(ctx.hub, ctx.principal, id))

    @strawberry.mutation
    async def answer_assistance_request(
        self, info: Info, input: AnswerAssistanceRequestInput
    ) -> AssistanceRequest:
        ctx = info.context
        result = _json_object(input.result, "result")
        row = await service.answer(ctx.hub, ctx.principal, input.id, input.outcome, result)
        return await _node(info, row)

    @strawberry.mutation
    async def reject_assistance_request(
        self, info: Info, id: strawberry.ID, reason: str
    ) -> AssistanceRequest:
        ctx = info.context
        return await _node(info, await service.reject(ctx.hub, ctx.principal, id, reason))

    @strawberry.mutation
    async def urge_assistance_request(
        self, info: Info, id: strawberry.ID, note: str | None = None
    ) -> AssistanceRequest:
        ctx = info.context
        return await _node(info, await service.urge(ctx.hub, ctx.principal, id, note))

    @strawberry.mutation
    async def evaluate_assistance_request(
        self, info: Info, id: strawberry.ID, rating: int, comment: str | None = None
    ) -> AssistanceRequest:
        ctx = info.context
        row = await service.evaluate(ctx.hub, ctx.principal, id, rating, comment)
        return await _node(info, row)

    @strawberry.mutation
    async def cancel_assistance_request(
        self, info: Info, id: strawberry.ID, reason: str
    ) -> AssistanceRequest:
        ctx = info.context
        return await _node(info, await service.cancel(ctx.hub, ctx.principal, id, reason))

    @strawberry.mutation(description="Send a FAILED request again (same idempotency key).")
    async def resend_assistance_request(self, info: Info, id: strawberry.ID) -> AssistanceRequest:
        ctx = info.context
        return await _node(info, await service.resend(ctx.hub, ctx.principal, id))

    @strawberry.mutation(
        description="Create the requests a property clue proposed (all, or those chosen by index)."
    )
    async def confirm_property_clue(
        self,
        info: Info,
        id: strawberry.ID,
        choices: list[int] | None = None,
        document_number: str | None = None,
    ) -> list[AssistanceRequest]:
        ctx = info.context
        try:
            clue_id = int(id)
        except ValueError as exc:
            raise BadUserInput("id", "not a property clue id") from exc
        rows = await service.confirm_clue(ctx.hub, ctx.principal, clue_id, choices, document_number)
        return await wrap(info, rows)
