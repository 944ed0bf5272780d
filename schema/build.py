"""Root types and the schema factory."""

from __future__ import annotations

from functools import partial
from typing import Any, Literal

import strawberry
from graphql import GraphQLEnumType, GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema_converter import CustomGraphQLEnumType
from strawberry.types import ExecutionContext

from schema.agencies import AgencyQuery
from schema.assistance import AssistanceMutation, AssistanceQuery
from schema.audit import AuditQuery
from schema.audited_reads import AuditedReads
from schema.cases import CaseMutation, CaseQuery
from schema.dossier import DossierQuery, PartialErrors
from schema.funds import FundsMutation, FundsQuery
from schema.hygiene import InputHygiene
from schema.indicators import IndicatorsQuery
from schema.principal import PrincipalQuery
from schema.rules import RulesMutation, RulesQuery
from schema.tickets import TicketMutation, TicketQuery

QUERY_CACHE = 256  # distinct query texts remembered


@strawberry.type
class Query(
    CaseQuery,
    PrincipalQuery,
    AuditQuery,
    AssistanceQuery,
    DossierQuery,
    AgencyQuery,
    FundsQuery,
    IndicatorsQuery,
    TicketQuery,
    RulesQuery,
):
    pass


@strawberry.type
class Mutation(CaseMutation, AssistanceMutation, TicketMutation, FundsMutation, RulesMutation):
    pass


# The graph is also an Apollo Federation subgraph (``schema.federation``). v2.9 is
# the newest link version both Apollo's and The Guild's composers accept.
FEDERATION_VERSION: Literal["2.9"] = "2.9"


class HubSchema(strawberry.federation.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # logged once, where they are classified (schema.errors); expected errors are not noise
        return None


def build_schema(
    *,
    production: bool = False,
    extensions: list[type[SchemaExtension] | SchemaExtension] | None = None,
) -> strawberry.Schema:
    config = StrawberryConfig(disable_field_suggestions=production)
    # PartialErrors is innermost, so outer extensions (metrics) see the errors it adds.
    # Parsing and validating a query cost more than running a small one: both are
    # cached by query text (and rules), bounded, across requests.
    caches = [
        partial(ParserCache, maxsize=QUERY_CACHE),
        partial(ValidationCache, maxsize=QUERY_CACHE),
    ]
    exts: list[Any] = [*caches, InputHygiene, AuditedReads, *(extensions or []), PartialErrors]
    schema = HubSchema(
        query=Query,
        mutation=Mutation,
        config=config,
        extensions=exts,
        federation_version=FEDERATION_VERSION,
    )
    _enum_names_by_lookup(schema)
    return schema


def _enum_names_by_lookup(schema: strawberry.Schema) -> None:
    """An enum member shown by one lookup of its value's name.

    strawberry names a member by comparing it with every value of its enum in turn,
    and a full dossier shows a few hundred (states, capabilities, actions, match
    kinds); graphql-core's own coercion looks the value up in a dict. The member's
    value is handed to that: the same name, or the same error for a stranger.
    """
    for named in schema._schema.type_map.values():
        if isinstance(named, CustomGraphQLEnumType):
            named.coerce_output_value = partial(_enum_name, named)  # type: ignore[method-assign]


def _enum_name(enum_type: CustomGraphQLEnumType, output_value: Any) -> str:
    if isinstance(output_value, enum_type.wrapped_cls):
        output_value = output_value.value
    return GraphQLEnumType.coerce_output_value(enum_type, output_value)
