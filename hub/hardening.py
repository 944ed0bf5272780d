"""Limits on what one request may ask of the hub.

Any principal may send any query, so what it costs is bounded before anything
runs: the token limit applies while parsing, the depth and alias limits while
validating, both before the first resolver. Depth is counted as strawberry
does, as nesting below the root field (``{ a { b { c } } }`` is 2). These
errors carry no ``original_error`` and so reach callers as ``BAD_USER_INPUT``
(``schema.errors``). In production introspection is refused as well (field
suggestions are switched off by ``schema.build_schema``). Batching stays off:
strawberry refuses a JSON list body unless a ``batching_config`` is set, and
the hub never sets one.

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

from hub.cost import query_cost
from hub.settings import Settings


def graph_limits(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Factories of the strawberry extensions enforcing ``settings``' limits.

    Factories, not instances: strawberry builds a fresh extension per request,
    so no request sees another's execution context. The depth and alias rules
    are built once, here, and handed to every request's ``AddValidationRules``:
    the limiters build a new rule class per instance, and a new class per
    request would make every validation unique, defeating the validation
    cache (``schema.build_schema``).
    """
    # introspection fields are exempt (their ``ofType`` chains run deep); the token
    # limit bounds them, and production refuses them outright
    rules = [
        *QueryDepthLimiter(max_depth=settings.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    if settings.production:
        rules.append(NoSchemaIntrospectionCustomRule)
    return [
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(AddValidationRules, rules),
        query_cost(settings),
    ]
