"""Every graph change is a reviewed diff: the live schema must equal the checked-in SDL."""

from __future__ import annotations

from pathlib import Path

from graphql import build_schema as parse_sdl
from graphql import find_breaking_changes

from schema import build_schema

CHECKED_IN = Path(__file__).parents[2] / "schema" / "schema.graphql"


def live_sdl() -> str:
    return build_schema().as_str() + "\n"


def test_checked_in_schema_matches_live_schema() -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == live_sdl(), (
        "schema/schema.graphql is out of date: run `hub schema export > schema/schema.graphql` "
        "and review the diff"
    )


def test_no_breaking_change_against_checked_in_copy() -> None:
    # the federation directives (@link, @key) are imported by @link, not declared
    old = parse_sdl(CHECKED_IN.read_text(encoding="utf-8"), assume_valid_sdl=True)
    new = parse_sdl(live_sdl(), assume_valid_sdl=True)
    breaking = find_breaking_changes(old, new)
    assert not breaking, "breaking changes (update schema/schema.graphql on purpose): " + "; ".join(
        f"{c.type.name}: {c.description}" for c in breaking
    )


def test_production_schema_has_the_same_types() -> None:
    assert build_schema(production=True).as_str() == build_schema().as_str()
