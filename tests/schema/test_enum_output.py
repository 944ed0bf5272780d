"""Enum members are named by a lookup (schema.build): the same names strawberry gives."""

from __future__ import annotations

import pytest
from graphql import GraphQLError
from strawberry.schema.schema_converter import CustomGraphQLEnumType

from schema import build_schema


def test_every_member_of_every_enum_is_named_as_strawberry_names_it() -> None:
    graph = build_schema()._schema
    enums = [t for t in graph.type_map.values() if isinstance(t, CustomGraphQLEnumType)]
    assert len(enums) > 10
    named = 0
    for enum_type in enums:
        for member in enum_type.wrapped_cls:
            ours = enum_type.coerce_output_value(member)
            assert ours == CustomGraphQLEnumType.coerce_output_value(enum_type, member)
            assert enum_type.serialize(member) == ours
            named += 1
    assert named > 50


def test_a_value_outside_the_enum_is_still_refused() -> None:
    graph = build_schema()._schema
    state = graph.get_type("SourceState")
    assert isinstance(state, CustomGraphQLEnumType)
    with pytest.raises(GraphQLError, match="cannot represent"):
        state.coerce_output_value("NO_SUCH_STATE")
