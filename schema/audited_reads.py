"""One audit write per operation for the personal data it read (hub/read_audit.py).

An operation that read dossiers commits them here too: its fetcher (made
``commit_at_end``) writes the snapshots, the agencies' exchanges, the dossier
reads and these reads in one transaction, before the answer goes out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension

from hub import read_audit
from hub.state import SlotStore
from schema.dossier import FETCHER


class AuditedReads(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        with read_audit.batched() as reads:
            context = self.execution_context.context
            try:
                yield
            except BaseException:
                # cancelled or failed: what the agencies were asked is written all the same
                fetcher = context.pop(FETCHER) if isinstance(context, SlotStore) else None
                if fetcher is not None:
                    fetcher.release()
                raise
            fetcher = context.pop(FETCHER) if isinstance(context, SlotStore) else None
            if fetcher is not None:
                records = list(reads.values())
                reads.clear()
                await fetcher.close(records)
                return
            hub = getattr(context, "hub", None)
            if hub is not None:
                await read_audit.flush(hub.db, reads)
