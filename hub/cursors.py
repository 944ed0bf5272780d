"""The one cursor codec of every connection, and the keyset condition it feeds.

A cursor is the sort key of the last row a page returned (never an offset),
tagged with the list it belongs to: ``["req", "2026-12-06T01:02:03+00:00", "id"]``
as url-safe base64 of JSON. The next page starts strictly after that key, so
rows inserted, answered or removed between two pages never shift the rest: no
row that keeps its place in the order is skipped or shown twice.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_

from hub.errors import BadUserInput

Key = str | int | datetime | None


def encode(kind: str, key: Sequence[Key]) -> str:
    values = [v.isoformat() if isinstance(v, datetime) else v for v in key]
    raw = json.dumps([kind, *values], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(kind: str, cursor: str, types: Sequence[type]) -> list[Any]:
    """The key in ``cursor`` with each value of the type given; ``BadUserInput`` on
    ``after`` when it is not a cursor of this list."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(data, list) or data[:1] != [kind] or len(data) != len(types) + 1:
            raise ValueError(cursor)
        return [_typed(value, t) for value, t in zip(data[1:], types, strict=True)]
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error) as exc:
        raise BadUserInput("after", "not a cursor from this list") from exc


def _typed(value: Any, t: type) -> Any:
    if t is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError(value)
        return parsed
    if not isinstance(value, t) or isinstance(value, bool):
        raise TypeError(value)
    return value


def after(order: Sequence[tuple[Any, bool]], key: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``key`` in ``order`` (``(expression, descending)`` pairs, the
    last of them unique; columns or SQL expressions): ``a > ka OR (a = ka AND b > kb) OR ...``."""
    clauses: list[ColumnElement[bool]] = []
    for i, (expression, descending) in enumerate(order):
        beyond = expression < key[i] if descending else expression > key[i]
        ties = [order[j][0] == key[j] for j in range(i)]
        clauses.append(and_(*ties, beyond) if ties else beyond)
    return or_(*clauses) if clauses else false()
