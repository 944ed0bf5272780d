"""The one graph: domain modules composed into the root ``Query`` and ``Mutation``."""

from __future__ import annotations

from schema.build import Mutation, Query, build_schema

__all__ = ["Mutation", "Query", "build_schema"]
