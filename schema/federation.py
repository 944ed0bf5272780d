"""The graph as an Apollo Federation 2 subgraph, for a province's supergraph.

``Case`` is an entity keyed by ``number`` and ``Party`` one keyed by ``id``
(declared with ``strawberry.federation.type(keys=...)`` in ``schema.cases``);
``Query._service`` gives the subgraph SDL and ``Query._entities`` resolves
references through each entity's ``resolve_reference``, with the same
services and the same rules as ``case(number:)``. The one schema
(``schema.build_schema``, a ``strawberry.federation.Schema`` linking
Federation v2.9, with the parser and validation caches) is served at
``/graphql`` and, for gateways configured with the older address, at
``/graphql/federation`` (bearer token on both)::

    rover subgraph introspect http://hub:8000/graphql \\
        --header "Authorization: Bearer $TOKEN" > hub.graphql

v2.9 rather than the newest: The Guild's composer (Hive Gateway, GraphQL
Mesh) refuses link versions it does not know, and v2.9 composes with both
it and Apollo's (``tests/schema/test_composition.py`` checks both).
"""

from __future__ import annotations

from typing import Any

from strawberry.extensions import SchemaExtension

from schema.build import FEDERATION_VERSION, build_schema

ENTITY_KEYS = {"Case": "number", "Party": "id"}


def build_federation_schema(
    *,
    production: bool = False,
    extensions: list[type[SchemaExtension] | SchemaExtension] | None = None,
) -> Any:
    """The subgraph schema: the graph itself (kept for callers of the older name)."""
    return build_schema(production=production, extensions=extensions)


__all__ = ["ENTITY_KEYS", "FEDERATION_VERSION", "build_federation_schema"]
