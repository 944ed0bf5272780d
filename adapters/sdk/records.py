"""Hub-neutral records that adapters return and take.

Every adapter translates its agency's own style into these and back. Money is
``Decimal``, instants are timezone-aware ``datetime``. Records that belong to a
person or organization carry ``owner_id`` / ``owner_name`` as the agency gave
them and ``matched_by``: the hub never shows a record whose ``owner_id``
differs from the subject's, and flags ``NAME_ONLY`` ones for an officer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    """The standard action names (``adapters.sdk.standard`` declares them); a kind may
    declare actions of its own, and the graph's ``AssistanceAction`` lists every
    installed kind's."""

    QUERY = "QUERY"
    SEAL = "SEAL"
    UNSEAL = "UNSEAL"
    FREEZE = "FREEZE"
    LOCATE_PERSON = "LOCATE_PERSON"
    CONTROL_VEHICLE = "CONTROL_VEHICLE"
    DETAIN = "DETAIN"
    LIST_DISHONEST = "LIST_DISHONEST"
    RESTRICT_CONSUMPTION = "RESTRICT_CONSUMPTION"
    DELIST = "DELIST"
    TAX_ASSIST = "TAX_ASSIST"
    WAGE_ASSIST = "WAGE_ASSIST"
    UNFREEZE = "UNFREEZE"
    DEDUCT = "DEDUCT"
    RENEW_SEAL = "RENEW_SEAL"
    TRANSFER = "TRANSFER"
    WATCH = "WATCH"
    LIFT_RESTRICTION = "LIFT_RESTRICTION"


class MatchKind(StrEnum):
    ID_NUMBER = "ID_NUMBER"
    NAME_ONLY = "NAME_ONLY"


class SubjectKind(StrEnum):
    PERSON = "PERSON"
    ORGANIZATION = "ORGANIZATION"


@dataclass(frozen=True)
class Subject:
    """Whom a read is about: batch methods key their answers by ``id_number``."""

    id_number: str
    name: str
    kind: SubjectKind = SubjectKind.PERSON


def match_kind(subject: Subject, owner_id: str | None, owner_name: str | None) -> MatchKind | None:
    """How an agency record relates to ``subject``; ``None`` means: not theirs.

    A record with an ID number belongs to the subject only if the numbers are
    equal (same-name owners, 重名, are someone else). A record without one is
    a name-only match, for an officer to verify.
    """
    if owner_id:
        return MatchKind.ID_NUMBER if owner_id.upper() == subject.id_number.upper() else None
    if owner_name and owner_name == subject.name:
        return MatchKind.NAME_ONLY
    return None


@dataclass(frozen=True)
class Mortgage:
    creditor: str
    amount: Decimal | None = None
    registered_on: date | None = None


@dataclass(frozen=True)
class Seal:
    court: str
    case_number: str
    rank: str = field(metadata={"description": "FIRST (首封) or WAITING (轮候)."})
    sealed_on: date | None = None
    expires_on: date | None = None


@dataclass(frozen=True)
class RealEstateHolding:
    certificate_number: str
    address: str
    area_m2: Decimal
    usage: str
    owner_id: str | None
    owner_name: str
    matched_by: MatchKind = field(
        metadata={
            "description": "NAME_ONLY: the registry gave no ID number; an officer must verify it."
        }
    )
    registry: str = ""
    mortgages: tuple[Mortgage, ...] = ()
    seals: tuple[Seal, ...] = ()


@dataclass(frozen=True)
class Sighting:
    at: datetime
    place: str


@dataclass(frozen=True)
class Vehicle:
    plate: str
    model: str
    owner_id: str | None
    matched_by: MatchKind
    sightings: tuple[Sighting, ...] = ()


@dataclass(frozen=True)
class Trip:
    date: date
    mode: str
    origin: str
    destination: str


@dataclass(frozen=True)
class Whereabouts:
    household_address: str | None
    residence: str | None
    travel: tuple[Trip, ...] = ()


@dataclass(frozen=True)
class TaxRecord:
    year: int
    income: Decimal
    withholder_code: str | None
    arrears: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class TaxProfile:
    records: tuple[TaxRecord, ...]
    arrears: Decimal


@dataclass(frozen=True)
class EmploymentRecord:
    employer_name: str
    employer_code: str
    monthly_base: Decimal
    since: date | None
    until: date | None = None


@dataclass(frozen=True)
class WageArrearsCase:
    employer_code: str
    workers: int
    amount: Decimal
    status: str


@dataclass(frozen=True)
class CreditEntry:
    list: str = field(
        metadata={"description": "DISHONEST (失信) or CONSUMPTION_RESTRICTION (限高)."}
    )
    court: str
    case_number: str
    listed_on: date | None
    measures: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreditStatus:
    listed: bool
    entries: tuple[CreditEntry, ...] = ()


@dataclass(frozen=True)
class AssistanceOrder:
    """A court's work order as handed to ``Adapter.dispatch``."""

    request_id: str
    idempotency_key: str
    action: str  # an action name the adapter declares
    case_number: str
    court: str
    subject: Subject
    document_number: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    callback_url: str | None = None
    due_at: datetime | None = None


@dataclass(frozen=True)
class DispatchReceipt:
    """The agency took the order: its own reference, for polling and urging."""

    agency_ref: str
    status: str = "RECEIVED"


@dataclass(frozen=True)
class OrderProgress:
    """What an agency reports of an order, by callback or when polled.

    ``status`` is one of RECEIVED, ACKNOWLEDGED, COMPLETED, REJECTED.
    ``event_id`` makes a repeated report harmless.
    """

    agency_ref: str
    status: str
    outcome: str | None = None
    result: dict[str, Any] | None = None
    at: datetime | None = None
    request_id: str | None = None
    idempotency_key: str | None = None
    event_id: str | None = None


def __getattr__(name: str) -> Any:
    # ``Capability`` moved to ``adapters.sdk.standard`` when capabilities became open;
    # adapters written against the old module keep importing it from here.
    if name == "Capability":
        from adapters.sdk.standard import Capability

        return Capability
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
