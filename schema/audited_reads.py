"""One audit write per operation for the personal data it read (hub/read_audit.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension

from hub import read_audit


class AuditedReads(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        with read_audit.batched() as reads:
            yield
            context = self.execution_context.context
            hub = getattr(context, "hub", None)
            if hub is not None:
                await read_audit.flush(hub.db, reads)
