"""Rows that belong to a case and name one of its parties, loaded for many cases at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select

from hub.models import Party
from hub.storage import Database

Row = TypeVar("Row", bound=Any)


async def by_case_with_party(
    db: Database, model: type[Row], case_ids: Sequence[int]
) -> dict[int, list[tuple[Row, Party]]]:
    """Each case's ``model`` rows, oldest first, with the party each is about
    (``model`` has ``case_id`` and ``party_id``)."""
    found: dict[int, list[tuple[Row, Party]]] = {i: [] for i in case_ids}
    if not case_ids:
        return found
    async with db.session() as session:
        rows = await session.execute(
            select(model, Party)
            .join(Party, Party.id == model.party_id)
            .where(model.case_id.in_(list(case_ids)))
            .order_by(model.id)
        )
        for row, party in rows.all():
            found[row.case_id].append((row, party))
    return found
