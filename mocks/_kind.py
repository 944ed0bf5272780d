"""How a kind's mock joins ``hub mocks`` and ``hub demo``: one object, found by entry point.

A distribution that brings an agency kind may bring its mock too, declared in
the entry-point group ``hub.mocks``::

    [project.entry-points."hub.mocks"]
    securities = "hub_securities.mock:MOCK"

``MOCK`` is a ``MockKind``: ``create_app(world)`` builds the mock's app on the
shared world (the kind reads its own world keys, and may fall back on data of
its own), and ``agencies(world, base_url)`` gives the ``[[agencies]]`` entries
of ``hub.toml`` that work against it as it is (``hub mocks --write-config``).
The mocks of the built-in kinds are served first; the others take the next
ports, in the order of their names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from starlette.applications import Starlette

ENTRY_POINT_GROUP = "hub.mocks"


@dataclass(frozen=True)
class MockKind:
    kind: str
    create_app: Callable[[Mapping[str, Any] | None], Starlette]
    agencies: Callable[[Mapping[str, Any], str], list[dict[str, str]]]


def installed_mocks(exclude: frozenset[str] = frozenset()) -> list[MockKind]:
    """The mocks third-party distributions declare, sorted by kind; a broken one is skipped."""
    found: dict[str, MockKind] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in exclude or ep.name in found:
            continue
        try:
            mock = ep.load()
        except Exception:  # a broken plug-in must not take the others down
            continue
        if isinstance(mock, MockKind):
            found[ep.name] = mock
    return [found[name] for name in sorted(found)]
