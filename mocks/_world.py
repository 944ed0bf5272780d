"""The mocks' world: the agency kinds, their dev secrets and the world document.

``mocks/world.json`` holds every agency's records (persons, properties, tax,
employment, credit); each mock starts from a deep copy of it, or of the world
a test passes in.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

KINDS: tuple[str, ...] = ("police", "realestate", "tax", "hr", "credit", "bank")
DEV_SECRETS: dict[str, str] = {kind: f"dev-{kind}-secret" for kind in KINDS}
WORLD_PATH = Path(__file__).with_name("world.json")


def load_world(path: Path | str | None = None) -> dict[str, Any]:
    """The world document at ``path`` (default: ``mocks/world.json``)."""
    text = Path(path or WORLD_PATH).read_text(encoding="utf-8")
    world = json.loads(text)
    if not isinstance(world, dict):
        raise ValueError("a world document is a JSON object")
    return world


def utcnow() -> datetime:
    return datetime.now(UTC)
