"""The debtor's dossier in the graph: ``dossier(caseNumber, idNumber)`` and ``Party.dossier``.

Resolvers only translate: the fields a query selects become the capabilities
asked of agencies (``selected_capabilities``), ``hub.dossier`` does the rest,
and each agency that failed adds one entry to the response's ``errors``
(``UPSTREAM_UNAVAILABLE`` / ``UPSTREAM_TIMEOUT`` with ``extensions.agency``)
while the dossier itself is still returned (``PartialErrors``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.enum import has_enum_definition
from strawberry.types.nodes import SelectedField, Selection

from adapters.sdk import records
from adapters.sdk.records import Capability
from hub import dossier as service
from hub.errors import UpstreamError
from hub.models import Case as CaseRow
from hub.models import Party as PartyRow
from schema.agencies import Agency
from schema.cases import Party
from schema.context import Info
from schema.display import local

FETCHER = "hub.dossier.fetcher"
PARTIAL_ERRORS = "hub.dossier.partial_errors"

# Which agency capability each Dossier field needs; fields not listed need none.
FIELD_CAPABILITIES: dict[str, Capability] = {
    "realEstate": Capability.REAL_ESTATE,
    "realEstateCount": Capability.REAL_ESTATE,
    "vehicles": Capability.VEHICLES,
    "whereabouts": Capability.WHEREABOUTS,
    "tax": Capability.TAX,
    "employment": Capability.EMPLOYMENT,
    "wageArrears": Capability.WAGE_ARREARS,
    "credit": Capability.CREDIT,
}

# The SDK's and the service's enums are the graph's (registered in place, once).
MatchKind = records.MatchKind
SourceState = service.SourceState
if not has_enum_definition(MatchKind):
    strawberry.enum(MatchKind, name="MatchKind")
if not has_enum_definition(SourceState):
    strawberry.enum(SourceState, name="SourceState")


def _instant(value: dt.datetime) -> dt.datetime:
    shown = local(value)
    assert shown is not None
    return shown


# -- field types ---------------------------------------------------------------------------------


@strawberry.type
class Mortgage:
    creditor: str
    amount: Decimal | None
    registered_on: dt.date | None


@strawberry.type
class Seal:
    court: str
    case_number: str
    rank: str = strawberry.field(description="FIRST (首封) or WAITING (轮候).")
    sealed_on: dt.date | None
    expires_on: dt.date | None


@strawberry.type
class RealEstateHolding:
    certificate_number: str
    address: str
    area_m2: Decimal
    usage: str
    matched_by: MatchKind = strawberry.field(
        description="NAME_ONLY: the registry gave no ID number; an officer must verify it."
    )
    registry: str
    mortgages: list[Mortgage]
    seals: list[Seal]
    agency: Agency

    @classmethod
    def from_record(cls, found: service.Sourced[records.RealEstateHolding]) -> RealEstateHolding:
        h = found.record
        return cls(
            certificate_number=h.certificate_number,
            address=h.address,
            area_m2=h.area_m2,
            usage=h.usage,
            matched_by=h.matched_by,
            registry=h.registry,
            mortgages=[
                Mortgage(creditor=m.creditor, amount=m.amount, registered_on=m.registered_on)
                for m in h.mortgages
            ],
            seals=[
                Seal(
                    court=s.court,
                    case_number=s.case_number,
                    rank=s.rank,
                    sealed_on=s.sealed_on,
                    expires_on=s.expires_on,
                )
                for s in h.seals
            ],
            agency=Agency(instance=found.agency),
        )


@strawberry.type
class Sighting:
    at: dt.datetime
    place: str


@strawberry.type
class Vehicle:
    plate: str
    model: str
    matched_by: MatchKind
    sightings: list[Sighting]
    agency: Agency

    @classmethod
    def from_record(cls, found: service.Sourced[records.Vehicle]) -> Vehicle:
        v = found.record
        return cls(
            plate=v.plate,
            model=v.model,
            matched_by=v.matched_by,
            sightings=[Sighting(at=_instant(s.at), place=s.place) for s in v.sightings],
            agency=Agency(instance=found.agency),
        )


@strawberry.type
class Trip:
    date: dt.date
    mode: str
    origin: str
    destination: str


@strawberry.type
class Whereabouts:
    household_address: str | None
    residence: str | None
    travel: list[Trip]


@strawberry.type
class TaxRecord:
    year: int
    income: Decimal
    withholder_code: str | None
    arrears: Decimal


@strawberry.type
class TaxProfile:
    records: list[TaxRecord]
    arrears: Decimal


@strawberry.type
class EmploymentRecord:
    employer_name: str
    employer_code: str
    monthly_base: Decimal
    since: dt.date | None
    until: dt.date | None


@strawberry.type
class WageArrearsCase:
    employer_code: str
    workers: int
    amount: Decimal
    status: str


@strawberry.type
class CreditEntry:
    list_: str = strawberry.field(
        name="list", description="DISHONEST (失信) or CONSUMPTION_RESTRICTION (限高)."
    )
    court: str
    case_number: str
    listed_on: dt.date | None
    measures: list[str]


@strawberry.type
class CreditStatus:
    listed: bool
    entries: list[CreditEntry]


@strawberry.type
class SourceStatus:
    agency: Agency
    state: SourceState
    latency_ms: int
    attempts: int
    fetched_at: dt.datetime | None = strawberry.field(
        description="When the answer shown was fetched: now, or the snapshot's time if STALE."
    )
    message: str | None


@strawberry.type
class Dossier:
    result: strawberry.Private[service.DossierResult]

    @strawberry.field
    def subject(self, info: Info) -> Party:
        return Party.from_row(self.result.party, self.result.case, info)

    @strawberry.field(description="Holdings in every registry, merged.")
    def real_estate(self) -> list[RealEstateHolding]:
        return [RealEstateHolding.from_record(h) for h in self.result.real_estate]

    @strawberry.field(description="Holdings matched by ID number; name-only matches don't count.")
    def real_estate_count(self) -> int:
        return self.result.real_estate_count

    @strawberry.field
    def vehicles(self) -> list[Vehicle]:
        return [Vehicle.from_record(v) for v in self.result.vehicles]

    @strawberry.field
    def whereabouts(self) -> Whereabouts | None:
        w = self.result.whereabouts
        if w is None:
            return None
        trips = [
            Trip(date=t.date, mode=t.mode, origin=t.origin, destination=t.destination)
            for t in w.travel
        ]
        return Whereabouts(
            household_address=w.household_address, residence=w.residence, travel=trips
        )

    @strawberry.field
    def tax(self) -> TaxProfile | None:
        t = self.result.tax
        if t is None:
            return None
        rows = [
            TaxRecord(
                year=r.year, income=r.income, withholder_code=r.withholder_code, arrears=r.arrears
            )
            for r in t.records
        ]
        return TaxProfile(records=rows, arrears=t.arrears)

    @strawberry.field
    def employment(self) -> list[EmploymentRecord]:
        return [
            EmploymentRecord(
                employer_name=e.employer_name,
                employer_code=e.employer_code,
                monthly_base=e.monthly_base,
                since=e.since,
                until=e.until,
            )
            for e in self.result.employment
        ]

    @strawberry.field(description="Wage-arrears cases of an organization as an employer.")
    def wage_arrears(self) -> list[WageArrearsCase]:
        return [
            WageArrearsCase(
                employer_code=w.employer_code, workers=w.workers, amount=w.amount, status=w.status
            )
            for w in self.result.wage_arrears
        ]

    @strawberry.field
    def credit(self) -> CreditStatus | None:
        c = self.result.credit
        if c is None:
            return None
        entries = [
            CreditEntry(
                list_=e.list,
                court=e.court,
                case_number=e.case_number,
                listed_on=e.listed_on,
                measures=list(e.measures),
            )
            for e in c.entries
        ]
        return CreditStatus(listed=c.listed, entries=entries)

    @strawberry.field(description="One per agency consulted for the fields asked for.")
    def sources(self) -> list[SourceStatus]:
        return [
            SourceStatus(
                agency=Agency(instance=s.agency),
                state=s.state,
                latency_ms=s.latency_ms,
                attempts=s.attempts,
                fetched_at=local(s.fetched_at),
                message=s.message,
            )
            for s in self.result.sources
        ]


# -- resolvers -----------------------------------------------------------------------------------


def _fields(selections: Iterable[Selection]) -> Iterator[str]:
    for selection in selections:
        directives: dict[str, Any] = selection.directives or {}
        if directives.get("skip", {}).get("if") or directives.get("include", {}).get("if") is False:
            continue
        if isinstance(selection, SelectedField):
            yield selection.name
        else:  # fragments: their fields count as selected
            yield from _fields(selection.selections)


def selected_capabilities(info: Info) -> set[Capability]:
    """The capabilities the Dossier fields under the current field ask for."""
    wanted: set[Capability] = set()
    for selection in info.selected_fields:
        for name in _fields(selection.selections):
            capability = FIELD_CAPABILITIES.get(name)
            if capability is not None:
                wanted.add(capability)
    return wanted


def fetcher(info: Info) -> service.DossierFetcher:
    """The request's one fetcher, so every dossier in it shares its batches."""
    ctx = info.context
    found = ctx.scratch.get(FETCHER)
    if not isinstance(found, service.DossierFetcher):
        found = ctx.scratch[FETCHER] = service.DossierFetcher(ctx.hub, ctx.principal)
    return found


def report_partial(info: Info, errors: Iterable[UpstreamError]) -> None:
    """Queue an ``errors`` entry per failed agency, at the current field's path."""
    bucket: list[GraphQLError] = info.context.scratch.setdefault(PARTIAL_ERRORS, [])
    path = info.path.as_list()
    for error in errors:
        bucket.append(GraphQLError(error.message, path=path, original_error=error))


class PartialErrors(SchemaExtension):
    """Adds the errors resolvers queued with ``report_partial`` to the result."""

    def on_execute(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        queued = getattr(context, "scratch", {}).get(PARTIAL_ERRORS)
        result = self.execution_context.result
        if queued and result is not None:
            result.errors = [*(result.errors or []), *queued]


async def party_dossier(info: Info, party: PartyRow, case: CaseRow) -> Dossier:
    ctx = info.context
    result = await service.read_party_dossier(
        ctx.hub, ctx.principal, case, party, selected_capabilities(info), fetcher(info)
    )
    report_partial(info, result.errors)
    return Dossier(result=result)


@strawberry.type
class DossierQuery:
    @strawberry.field(
        description="Everything the agencies know of a party of the case, asked of them at once."
    )
    async def dossier(self, info: Info, case_number: str, id_number: str) -> Dossier:
        ctx = info.context
        result = await service.read_dossier(
            ctx.hub,
            ctx.principal,
            case_number,
            id_number,
            selected_capabilities(info),
            fetcher(info),
        )
        report_partial(info, result.errors)
        return Dossier(result=result)
