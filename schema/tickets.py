"""Applicants' requests (诉求) in the graph: tickets, their loop and their monitoring."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from strawberry.scalars import JSON

from hub import policy
from hub import ticket_reads as reads
from hub import ticket_stats as stats_service
from hub import tickets as service
from hub.models import PropertyClue as ClueRow
from hub.models import Ticket as TicketRow
from hub.models import TicketEvent as TicketEventRow
from schema.cases import PageInfo, PropertyClue
from schema.context import Info
from schema.display import local
from schema.vocabulary import ClueKind

TicketChannel = service.TicketChannel
TicketCategory = service.TicketCategory
TicketStatus = service.TicketStatus
strawberry.enum(TicketChannel, name="TicketChannel")
strawberry.enum(TicketCategory, name="TicketCategory")
strawberry.enum(TicketStatus, name="TicketStatus")

_ACTOR = re.compile(r"^[a-z_]+:(?P<name>.+)#\d+$")


def person(actor: str | None) -> str | None:
    """``court_officer:李法官#3`` → ``李法官``: people, not principals, are named."""
    if not actor:
        return None
    match = _ACTOR.match(actor)
    return match["name"] if match else actor


@strawberry.type
class TicketEvent:
    at: dt.datetime
    kind: str
    actor: str | None
    note: str | None

    @classmethod
    def from_row(cls, row: TicketEventRow) -> TicketEvent:
        at = local(row.at)
        assert at is not None
        return cls(at=at, kind=row.kind, actor=row.actor, note=row.note)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return local(value)


@strawberry.type
class Ticket:
    row: strawberry.Private[TicketRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field(description="Per court and year, e.g. （2026）闽0602诉12号.")
    def number(self) -> str:
        return self.row.number

    @strawberry.field
    def channel(self) -> TicketChannel:
        return TicketChannel(self.row.channel)

    @strawberry.field
    def category(self) -> TicketCategory:
        return TicketCategory(self.row.category)

    @strawberry.field
    def case_number(self) -> str:
        return self.row.case_number

    @strawberry.field(description="The court's code, e.g. 闽0602.")
    def court(self) -> str:
        return self.row.court_code

    @strawberry.field
    def applicant_name(self) -> str:
        return self.row.applicant_name

    @strawberry.field(description="The ticket's court and the applicant only; null for others.")
    def applicant_phone(self, info: Info) -> str | None:
        if not policy.sees_applicant_phone(info.context.principal, self.row.court_code):
            return None
        return self.row.applicant_phone

    @strawberry.field
    def content(self) -> str:
        return self.row.content

    @strawberry.field
    def status(self) -> TicketStatus:
        return TicketStatus(self.row.status)

    @strawberry.field(description="The officer the ticket is routed to, by name.")
    def assignee(self) -> str | None:
        return person(self.row.assignee)

    @strawberry.field(description="When the applicant asked (a letter keeps its own date).")
    def received_at(self) -> dt.datetime:
        at = local(self.row.received_at)
        assert at is not None
        return at

    @strawberry.field(description="Working days by category, counted from receivedAt.")
    def due_at(self) -> dt.datetime:
        at = local(self.row.due_at)
        assert at is not None
        return at

    @strawberry.field(description="Answered late, or still unanswered past dueAt.")
    def overdue(self) -> bool:
        return service.is_overdue(self.row)

    @strawberry.field(description="The answer, as the applicant reads it.")
    def reply(self) -> str | None:
        return self.row.reply

    @strawberry.field
    def replied_at(self) -> dt.datetime | None:
        return local(self.row.replied_at)

    @strawberry.field
    def urge_count(self) -> int:
        return self.row.urge_count

    @strawberry.field(description="The head of enforcement an overdue, urged ticket went to.")
    def escalated_to(self) -> str | None:
        return self.row.escalated_to

    @strawberry.field(description="1–5, by the applicant; 1 or 2 reopened the ticket.")
    def rating(self) -> int | None:
        return self.row.rating

    @strawberry.field
    def rating_comment(self) -> str | None:
        return self.row.rating_comment

    @strawberry.field(description="The property clue a PROPERTY_CLUE ticket became.")
    async def clue(self, info: Info) -> PropertyClue | None:
        if self.row.clue_id is None:
            return None
        async with info.context.hub.db.session() as session:
            row = await session.get(ClueRow, self.row.clue_id)
        return PropertyClue(row=row) if row is not None else None

    @strawberry.field
    async def events(self, info: Info) -> list[TicketEvent]:
        ctx = info.context

        async def load(ids: list[str]) -> list[list[TicketEventRow]]:
            by_ticket = await reads.ticket_events(ctx.hub.db, ids)
            return [by_ticket[i] for i in ids]

        rows = await ctx.loader("ticket_events", load).load(self.row.id)
        return [TicketEvent.from_row(r) for r in rows]


@strawberry.type
class TicketEdge:
    cursor: str
    node: Ticket


@strawberry.type
class TicketConnection:
    edges: list[TicketEdge]
    page_info: PageInfo
    total_count: int

    @strawberry.field
    def nodes(self) -> list[Ticket]:
        return [e.node for e in self.edges]


@strawberry.type
class TicketCategoryCount:
    category: TicketCategory
    count: int
    previous_count: int = strawberry.field(description="In the equal period just before.")
    change: int


@strawberry.type
class TicketStats:
    total: int
    overdue: int
    overdue_rate: float
    satisfaction: float | None = strawberry.field(description="Mean rating; null if none rated.")
    by_category: list[TicketCategoryCount]
    livelihood: TicketStats | None = strawberry.field(
        description="The same figures for livelihood cases alone (null inside it)."
    )

    @classmethod
    def from_stats(cls, s: stats_service.Stats) -> TicketStats:
        return cls(
            total=s.total,
            overdue=s.overdue,
            overdue_rate=s.overdue_rate,
            satisfaction=s.satisfaction,
            by_category=[
                TicketCategoryCount(
                    category=TicketCategory(c.category),
                    count=c.count,
                    previous_count=c.previous_count,
                    change=c.change,
                )
                for c in s.by_category
            ],
            livelihood=cls.from_stats(s.livelihood) if s.livelihood else None,
        )


@strawberry.input
class TicketClueInput:
    """What a PROPERTY_CLUE ticket knows of the property; all optional."""

    kind: ClueKind = ClueKind["OTHER"]  # type: ignore[valid-type]
    region: str | None = strawberry.field(
        default=None, description="Administrative division code where the property is"
    )
    subject_id_number: str | None = strawberry.field(
        default=None, description="The respondent it belongs to; default the case's first"
    )
    details: JSON | None = None


@strawberry.input
class OpenTicketInput:
    case_number: str
    channel: TicketChannel
    category: TicketCategory
    content: str
    applicant_name: str
    applicant_phone: str | None = None
    received_at: dt.datetime | None = strawberry.field(
        default=None, description="When the applicant made it (a letter, a call logged later)"
    )
    idempotency_key: str | None = None
    clue: TicketClueInput | None = strawberry.field(
        default=None, description="PROPERTY_CLUE tickets: what is known of the property"
    )


@strawberry.input
class TicketFilter:
    case_number: str | None = None
    court: str | None = None
    status: TicketStatus | None = None
    category: TicketCategory | None = None
    channel: TicketChannel | None = None
    overdue: bool | None = None
    mine: bool | None = strawberry.field(
        default=None, description="Only tickets routed to the caller"
    )


@strawberry.type
class TicketQuery:
    @strawberry.field(description="A ticket the caller may see; null otherwise.")
    async def ticket(self, info: Info, id: strawberry.ID) -> Ticket | None:
        row = await reads.get_ticket(info.context.hub, info.context.principal, str(id))
        return Ticket(row=row) if row else None

    @strawberry.field
    async def tickets(
        self,
        info: Info,
        filter: TicketFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> TicketConnection:
        ctx = info.context
        f = filter or TicketFilter()
        page = await reads.list_tickets(
            ctx.hub,
            ctx.principal,
            reads.TicketFilter(
                case_number=f.case_number,
                court=f.court,
                status=f.status.value if f.status else None,
                category=f.category.value if f.category else None,
                channel=f.channel.value if f.channel else None,
                overdue=f.overdue,
                assignee=ctx.principal.actor if f.mine else None,
            ),
            first,
            after,
        )
        return TicketConnection(
            edges=[
                TicketEdge(cursor=c, node=Ticket(row=r))
                for r, c in zip(page.rows, page.cursors, strict=True)
            ],
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=page.cursors[-1] if page.cursors else None
            ),
            total_count=page.total,
        )

    @strawberry.field(
        description="诉求数据监控 for a court and period [from, to] (dates inclusive)."
    )
    async def ticket_stats(
        self,
        info: Info,
        court: str,
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
    ) -> TicketStats:
        ctx = info.context
        stats = await stats_service.ticket_stats(ctx.hub, ctx.principal, court, from_, to)
        return TicketStats.from_stats(stats)


@strawberry.type
class TicketMutation:
    @strawberry.mutation
    async def open_ticket(self, info: Info, input: OpenTicketInput) -> Ticket:
        ctx = info.context
        clue = None
        if input.clue is not None:
            raw = input.clue.details
            details: dict[str, Any] = raw if isinstance(raw, dict) else {}
            clue = service.ClueRequest(
                kind=str(input.clue.kind),
                region=input.clue.region,
                subject_id_number=input.clue.subject_id_number,
                details=details,
            )
        data = service.TicketData(
            case_number=input.case_number,
            channel=input.channel.value,
            category=input.category.value,
            content=input.content,
            applicant_name=input.applicant_name,
            applicant_phone=input.applicant_phone,
            received_at=input.received_at,
            idempotency_key=input.idempotency_key,
            clue=clue,
        )
        return Ticket(row=await service.open_ticket(ctx.hub, ctx.principal, data))

    @strawberry.mutation
    async def reply_ticket(self, info: Info, id: strawberry.ID, reply: str) -> Ticket:
        ctx = info.context
        return Ticket(row=await service.reply_ticket(ctx.hub, ctx.principal, str(id), reply))

    @strawberry.mutation(
        description="A ticket waiting for its answer; an answered one is rated (CONFLICT)."
    )
    async def urge_ticket(self, info: Info, id: strawberry.ID, note: str | None = None) -> Ticket:
        ctx = info.context
        return Ticket(row=await service.urge_ticket(ctx.hub, ctx.principal, str(id), note))

    @strawberry.mutation(description="1–5; 1 or 2 reopens it to the same officer.")
    async def rate_ticket(
        self, info: Info, id: strawberry.ID, rating: int, comment: str | None = None
    ) -> Ticket:
        ctx = info.context
        row = await service.rate_ticket(ctx.hub, ctx.principal, str(id), rating, comment)
        return Ticket(row=row)


async def clue_ticket(info: Info, clue_id: int) -> Ticket | None:
    """The ticket a property clue came from, if it came from one (the link back)."""
    async with info.context.hub.db.session() as session:
        row = await session.scalar(select(TicketRow).where(TicketRow.clue_id == clue_id))
    return Ticket(row=row) if row is not None else None
