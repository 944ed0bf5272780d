"""GraphQL types composed from the installed kinds' record declarations.

Each capability's record dataclass becomes an object type (``RealEstateHolding``,
``BankAccount``, a kind's own), and so does every dataclass nested in it
(``Seal``, ``Freeze``); list-valued capabilities' records also get their
``agency``; records of asset capabilities implement ``Asset``. The types are
*views*: they read the records' attributes as they are (money stays
``Decimal``, instants are shown in Asia/Shanghai), so serving a dossier copies
nothing.

Field names are the records' attributes in camelCase; descriptions come from
``dataclasses.field(metadata={"description": ...})``; attributes named in the
capability's ``hidden`` (the owner's ID number and name: matching data) are not
shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types.enum import has_enum_definition

from adapters.sdk.declare import CapabilitySpec
from adapters.sdk.records import MatchKind
from hub.dossier import Sourced
from schema.agencies import Agency
from schema.display import local

if not has_enum_definition(MatchKind):
    strawberry.enum(MatchKind, name="MatchKind")


@strawberry.interface(
    description="Every kind of property a debtor can hold, of any installed kind."
)
class Asset:
    @strawberry.field(description='The adapter kind that found it, e.g. "bank".')
    def kind(self, root: strawberry.Parent[Sourced]) -> str:
        return root.agency.kind

    @strawberry.field(description="One line for people.")
    def label(self, root: strawberry.Parent[Sourced]) -> str:
        view = root.capability.asset
        return view.label(root.record) if view is not None else ""

    @strawberry.field(description="Yuan, where the agency says or it can be derived.")
    def estimated_value(self, root: strawberry.Parent[Sourced]) -> Decimal | None:
        view = root.capability.asset
        return view.value(root.record) if view is not None and view.value is not None else None

    @strawberry.field(description="NAME_ONLY: found by name alone; an officer must verify it.")
    def matched_by(self, root: strawberry.Parent[Sourced]) -> MatchKind:
        return typing.cast(MatchKind, root.record.matched_by)

    @strawberry.field
    def agency(self, root: strawberry.Parent[Sourced]) -> Agency:
        return Agency(instance=root.agency)

    @classmethod
    def resolve_type(cls, obj: Any, info: Any, type_: Any) -> str:
        return TYPE_NAMES[obj.capability.name]


# capability name -> the GraphQL type its records show as
TYPE_NAMES: dict[str, str] = {}
_BUILT: dict[str, type] = {}  # GraphQL type name -> the type made for it
_ORIGINS: dict[str, object] = {}  # ... and what it was made from, to catch clashes


def _name_of(type_name: str, origin: object) -> None:
    seen = _ORIGINS.get(type_name)
    if seen is not None and seen is not origin:
        raise TypeError(f"two installed kinds declare different GraphQL types named {type_name}")
    _ORIGINS[type_name] = origin


def _enum(cls: type[Enum]) -> Any:
    if not has_enum_definition(cls):
        _name_of(cls.__name__, cls)
        strawberry.enum(cls)
    return cls


def _local_instant(name: str) -> Callable[..., Any]:
    def resolve(root: Any) -> dt.datetime | None:
        return local(getattr(root, name))

    return resolve


def _graphql_type(hint: Any, hidden: frozenset[str]) -> tuple[Any, bool]:
    """The GraphQL type for a record attribute's type hint; and whether it is an instant."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        inner, instant = _graphql_type(args[0] if len(args) == 1 else Any, hidden)
        return (inner | None if len(args) == 1 else JSON | None), instant
    if origin in (tuple, list, frozenset, set):
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        inner, _ = _graphql_type(args[0] if args else Any, hidden)
        return list[inner], False  # type: ignore[valid-type]
    if hint is dt.datetime:
        return dt.datetime, True
    if hint in (str, int, bool, float, Decimal, dt.date):
        return hint, False
    if isinstance(hint, type) and issubclass(hint, Enum):
        return _enum(hint), False
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return record_type(hint, hidden), False
    return JSON, False


def record_type(
    record: type,
    hidden: frozenset[str] = frozenset(),
    *,
    name: str | None = None,
    capability: CapabilitySpec | None = None,
) -> type:
    """The GraphQL type for a record dataclass (made once per type name)."""
    type_name = name or record.__name__
    built = _BUILT.get(type_name)
    if built is not None:
        _name_of(type_name, record)
        return built
    _name_of(type_name, record)
    hints = typing.get_type_hints(record)
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__module__": __name__, "__annotations__": annotations}
    is_asset = capability is not None and capability.asset is not None
    for f in dataclasses.fields(record):
        if f.name in hidden or (is_asset and f.name == "matched_by"):
            continue
        gql, instant = _graphql_type(hints[f.name], hidden)
        description = f.metadata.get("description")
        if instant:
            namespace[f.name] = strawberry.field(
                resolver=_local_instant(f.name), graphql_type=gql, description=description
            )
        else:
            annotations[f.name] = gql
            namespace[f.name] = strawberry.field(description=description)
    if capability is not None and capability.many and not is_asset:
        namespace["agency"] = strawberry.field(
            resolver=_agency_of, graphql_type=Agency, description="The agency that holds it."
        )
    bases: tuple[type, ...] = ()
    if is_asset:
        assert capability is not None
        bases = (Asset,)
        owner = capability.name
        namespace["is_type_of"] = classmethod(
            lambda cls, obj, info: isinstance(obj, Sourced) and obj.capability.name == owner
        )
    cls = type(type_name, bases, namespace)
    made = strawberry.type(cls, name=type_name)
    _BUILT[type_name] = made
    return made


def _agency_of(root: Any) -> Agency:
    return Agency(instance=root.agency)


def capability_type(capability: CapabilitySpec) -> type:
    """The type a capability's records show as, registered under its name."""
    made = record_type(
        capability.record,
        capability.hidden,
        name=capability.graphql_type,
        capability=capability,
    )
    TYPE_NAMES[capability.name] = capability.graphql_type
    return made
