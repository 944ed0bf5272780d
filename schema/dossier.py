"""The debtor's dossier in the graph: ``dossier(caseNumber, idNumber)`` and ``Party.dossier``.

Resolvers only translate: the fields a query selects become the capabilities
asked of agencies (``selected_capabilities``), ``hub.dossier`` does the rest,
and each agency that failed adds one entry to the response's ``errors``
(``UPSTREAM_UNAVAILABLE`` / ``UPSTREAM_TIMEOUT`` with ``extensions.agency``)
while the dossier itself is still returned (``PartialErrors``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.enum import has_enum_definition

from adapters.sdk.declare import CapabilitySpec
from hub import dossier as service
from hub import read_audit
from hub.errors import UpstreamError
from hub.fetcher import DossierFetcher
from hub.models import Case as CaseRow
from hub.models import Party as PartyRow
from hub.sources import SourceState
from hub.state import Slot, SlotStore
from schema.agencies import Agency
from schema.cases import Party
from schema.context import Info
from schema.display import local
from schema.kinds import Asset, capability_type
from schema.vocabulary import CAPABILITIES

# one request's fetcher (so every dossier in it shares its batches) and the agencies'
# failures its resolvers queue for the response's ``errors``
FETCHER: Slot[DossierFetcher] = Slot("dossier.fetcher")
PARTIAL_ERRORS: Slot[list[GraphQLError]] = Slot("dossier.partial_errors")

# The service's enum is the graph's (registered in place, once).
if not has_enum_definition(SourceState):
    strawberry.enum(SourceState, name="SourceState")


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


def _subject(self: Any, info: Info) -> Party:
    return Party.from_row(self.result.party, self.result.case, info)


def _sources(self: Any) -> list[SourceStatus]:
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


def _assets(self: Any) -> list[Asset]:
    return self.result.assets  # type: ignore[no-any-return]


def _values_of(capability: CapabilitySpec) -> Callable[[Any], Any]:
    def resolve(self: Any) -> Any:
        return self.result.value(capability)

    return resolve


def _count_of(capability: CapabilitySpec) -> Callable[[Any], int]:
    def resolve(self: Any) -> int:
        return self.result.count(capability)  # type: ignore[no-any-return]

    return resolve


def _dossier_type(capabilities: list[CapabilitySpec]) -> tuple[type, dict[str, CapabilitySpec]]:
    """The ``Dossier`` of the installed kinds, and which capability each of its fields needs."""
    needs: dict[str, CapabilitySpec] = {}
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__annotations__": {"result": strawberry.Private[service.DossierResult]},
        "subject": strawberry.field(resolver=_subject, graphql_type=Party),
    }
    for capability in capabilities:
        shown = capability_type(capability)
        needs[capability.field] = capability
        namespace[capability.field] = strawberry.field(
            name=capability.field,
            resolver=_values_of(capability),
            graphql_type=list[shown] if capability.many else shown | None,  # type: ignore[valid-type]
            description=capability.description or None,
        )
        if capability.asset is not None:
            count = f"{capability.field}Count"
            needs[count] = capability
            namespace[count] = strawberry.field(
                name=count,
                resolver=_count_of(capability),
                graphql_type=int,
                description="Matched by ID number; name-only matches don't count.",
            )
    namespace["assets"] = strawberry.field(
        resolver=_assets,
        graphql_type=list[Asset],
        description="Every asset of every installed kind, whatever its type.",
    )
    namespace["sources"] = strawberry.field(
        resolver=_sources,
        graphql_type=list[SourceStatus],
        description="One per agency consulted for the fields asked for.",
    )
    made = strawberry.type(type("Dossier", (), namespace), name="Dossier")
    return made, needs


# -- resolvers -----------------------------------------------------------------------------------


def _flag(node: SelectionNode, directive: str, variables: dict[str, Any]) -> bool | None:
    """``@skip``/``@include``'s ``if`` on ``node`` (a literal or a variable), None without it."""
    for used in node.directives or ():
        if used.name.value == directive:
            for argument in used.arguments or ():
                if argument.name.value == "if":
                    value = argument.value
                    if isinstance(value, VariableNode):
                        return bool(variables.get(value.name.value))
                    return isinstance(value, BooleanValueNode) and value.value
    return None


def _included(node: SelectionNode, variables: dict[str, Any]) -> bool:
    if not node.directives:
        return True
    skipped = _flag(node, "skip", variables) is True
    return not skipped and _flag(node, "include", variables) is not False


def _fields(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
) -> Iterator[str]:
    """The names of the fields selected directly in ``selection_set``, fragments' too."""
    for node in selection_set.selections if selection_set is not None else ():
        if not _included(node, variables):
            continue
        if isinstance(node, FieldNode):
            yield node.name.value
        elif isinstance(node, InlineFragmentNode):
            yield from _fields(node.selection_set, fragments, variables)
        elif isinstance(node, FragmentSpreadNode):
            fragment = fragments.get(node.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set, fragments, variables)


def selected_capabilities(info: Info) -> set[CapabilitySpec]:
    """The capabilities the Dossier fields under the current field ask for.

    Read off the query's syntax tree one level down (``info.selected_fields`` converts
    the whole subtree below, every record's every field, to ask this).
    """
    raw = info._raw_info
    wanted: set[CapabilitySpec] = set()
    for field_node in raw.field_nodes:
        for name in _fields(field_node.selection_set, raw.fragments, info.variable_values):
            capability = FIELD_CAPABILITIES.get(name)
            if capability is not None:
                wanted.add(capability)
            elif name == "assets":
                wanted.update(ASSET_CAPABILITIES)
    return wanted


def fetcher(info: Info) -> DossierFetcher:
    """The request's one fetcher, so every dossier in it shares its batches."""
    ctx = info.context
    # Committed once, at the operation's end, with its other audited reads, by AuditedReads
    # (whose batch is running then); without it, each dossier read commits its own writes.
    return ctx.setdefault(
        FETCHER,
        lambda: DossierFetcher(ctx.hub, ctx.principal, commit_at_end=read_audit.batching()),
    )


def report_partial(info: Info, errors: Iterable[UpstreamError]) -> None:
    """Queue an ``errors`` entry per failed agency, at the current field's path."""
    bucket = info.context.setdefault(PARTIAL_ERRORS, list)
    path = info.path.as_list()
    for error in errors:
        bucket.append(GraphQLError(error.message, path=path, original_error=error))


class PartialErrors(SchemaExtension):
    """Adds the errors resolvers queued with ``report_partial`` to the result."""

    def on_execute(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        queued = context.get(PARTIAL_ERRORS) if isinstance(context, SlotStore) else None
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


if TYPE_CHECKING:

    class Dossier:  # what type checkers see; the graph's type is composed below
        result: service.DossierResult

        def __init__(self, result: service.DossierResult) -> None: ...

    FIELD_CAPABILITIES: dict[str, CapabilitySpec]
else:
    Dossier, FIELD_CAPABILITIES = _dossier_type(CAPABILITIES)
ASSET_CAPABILITIES = frozenset(c for c in CAPABILITIES if c.asset is not None)
