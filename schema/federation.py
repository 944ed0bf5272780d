"""The same graph as an Apollo Federation 2 subgraph, for a province's supergraph.

``Case`` is an entity keyed by ``number`` and ``Party`` one keyed by ``id``;
``Query._service`` gives the subgraph SDL and ``Query._entities`` resolves
references with the same services and the same rules as ``case(number:)``.
The hub serves it at ``/graphql/federation`` (bearer token as on
``/graphql``, which stays the plain schema)::

    rover subgraph introspect http://hub:8000/graphql/federation \\
        --header "Authorization: Bearer $TOKEN" > hub.graphql

The keys exist only in this schema: the plain schema's types carry no
federation directives. While the federation schema is built the key
directives are put on the shared type definitions and taken off again; the
built schema keeps copies of the keyed definitions for printing its SDL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from copy import copy
from typing import Any

from graphql import GraphQLError
from starlette.types import Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.federation import Schema as StrawberryFederationSchema
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Key
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionContext
from strawberry.types.base import StrawberryObjectDefinition

from hub import cases as case_service
from hub import dossier as dossier_service
from hub.errors import BadUserInput, HubError
from hub.state import HubState
from schema.audited_reads import AuditedReads
from schema.build import Mutation, Query
from schema.cases import Case, Party
from schema.context import Info
from schema.dossier import PartialErrors
from schema.hygiene import InputHygiene

ENTITY_KEYS: dict[type, str] = {Case: "number", Party: "id"}


class FederationSchema(StrawberryFederationSchema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None  # classified and logged once, in schema.errors, as on /graphql

    async def entities_resolver(  # type: ignore[override]
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        """``Case``/``Party`` for each ``{__typename, number | id}``; errors stay per item."""
        resolved: list[Any] = []
        for representation in representations:
            try:
                resolved.append(await _entity(info, dict(representation)))  # type: ignore[call-overload]
            except HubError as exc:
                resolved.append(exc)
        return resolved


async def _entity(info: Info, representation: dict[str, Any]) -> Any:
    ctx = info.context
    typename = representation.get("__typename")
    if typename == "Case":
        row = await case_service.get_case(ctx.hub.db, ctx.principal, str(representation["number"]))
        return Case(row=row) if row is not None else None
    if typename == "Party":
        try:
            party_id = int(str(representation["id"]))
        except (KeyError, ValueError) as exc:
            raise BadUserInput("representations", "a Party is referenced by its id") from exc
        party, case = await dossier_service.find_party(ctx.hub, ctx.principal, party_id)
        return Party.from_row(party, case, info)
    raise BadUserInput("representations", f"{typename!r} is not an entity of this subgraph")


@contextmanager
def _keys_on_entities() -> Iterator[dict[str, StrawberryObjectDefinition]]:
    """Put the key directives on the entity types for as long as a schema is being built."""
    saved: dict[type, list[object] | None] = {}
    keyed: dict[str, StrawberryObjectDefinition] = {}
    try:
        for cls, fields in ENTITY_KEYS.items():
            definition: StrawberryObjectDefinition = cls.__strawberry_definition__  # type: ignore[attr-defined]
            saved[cls] = definition.directives  # type: ignore[assignment]
            definition.directives = [*(definition.directives or ()), Key(fields=fields)]  # type: ignore[arg-type]
            keyed[definition.name] = copy(definition)
        yield keyed
    finally:
        for cls, directives in saved.items():
            cls.__strawberry_definition__.directives = directives  # type: ignore[attr-defined]


def build_federation_schema(
    *,
    production: bool = False,
    extensions: list[type[SchemaExtension] | SchemaExtension] | None = None,
) -> FederationSchema:
    """The subgraph schema; same extensions as ``build_schema`` takes."""
    config = StrawberryConfig(disable_field_suggestions=production)
    exts: list[Any] = [InputHygiene, AuditedReads, *(extensions or []), PartialErrors]
    with _keys_on_entities() as keyed:
        schema = FederationSchema(query=Query, mutation=Mutation, config=config, extensions=exts)
    for name, definition in keyed.items():
        graphql_type = schema._schema.type_map[name]
        backref = GraphQLCoreConverter.DEFINITION_BACKREF
        graphql_type.extensions = {**(graphql_type.extensions or {}), backref: definition}
    return schema


class FederationEndpoint:
    """``/graphql/federation``: built on its first request, so a hub nobody federates
    never pays for a second schema."""

    def __init__(self, hub: HubState, extensions: Callable[[], list[Any]]) -> None:
        self.hub = hub
        self.extensions = extensions
        self._app: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._app is None:
            from hub.graphql_http import GraphQLEndpoint

            schema = build_federation_schema(
                production=self.hub.settings.production, extensions=self.extensions()
            )
            self._app = GraphQLEndpoint(schema, self.hub)
        await self._app(scope, receive, send)
