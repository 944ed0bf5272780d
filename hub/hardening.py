"""Limits on what one request may ask of the hub.

Any principal may send any query, so what it costs must be bounded before
anything runs: the token limit applies while parsing, the depth and alias
limits while validating, both before the first resolver. Their errors carry no
``original_error`` and so reach callers as ``BAD_USER_INPUT`` (``schema.errors``).
In production introspection is refused as well (field suggestions are switched
off by ``schema.build_schema``). Batching stays off: strawberry refuses a JSON
list body unless a ``batching_config`` is set, and the hub never sets one.

The per-principal limit on dossier reads lives with the reads
(``hub.ratelimit``), since it counts work, not request shape.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.extensions.query_depth_limiter import IgnoreContext

from hub.settings import Settings


def _introspection(context: IgnoreContext) -> bool:
    # the standard introspection query nests ``ofType`` deeper than any real query
    # needs; it is bounded by the token limit and refused outright in production
    return context.field_name.startswith("__")


def graph_limits(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Factories of the strawberry extensions enforcing ``settings``' limits.

    Factories, not instances: strawberry builds a fresh extension per request,
    so no request sees another's execution context.
    """
    factories: list[Callable[[], SchemaExtension]] = [
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(QueryDepthLimiter, max_depth=settings.max_depth, should_ignore=_introspection),
        partial(MaxAliasesLimiter, max_alias_count=settings.max_aliases),
    ]
    if settings.production:
        factories.append(partial(AddValidationRules, [NoSchemaIntrospectionCustomRule]))
    return factories
