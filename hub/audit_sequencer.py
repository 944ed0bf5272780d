"""The audit sequencer: gives committed entries their place in the Merkle log.

Writers only insert (hub/audit.py). One sequencer at a time — on PostgreSQL
whoever holds the advisory lock, whichever process that is; on SQLite the
database's single write lock — takes the entries not yet sequenced, in id
order, gives each its position and the hash of the entry before it, extends
the tree from the last checkpoint's frontier and signs a new checkpoint, all
in one transaction. Many entries, one transaction: the shared row of old is
touched once per batch instead of once per write.

Every serving or working process runs a ``Sequencer`` loop, woken as soon as
one of its own transactions appends (after ``audit_sequence_linger_s``, so
that a busy hub signs one checkpoint for many entries) and otherwise every
``audit_sequence_interval_s``; readers that must see positions (the audit log,
proofs, ``hub audit``) call ``sequence`` first.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, cast

import structlog
from sqlalchemy import Table, bindparam, select, text, update

from hub import audit
from hub.audit_keys import Signer, load_signer
from hub.merkle import Frontier
from hub.models import AuditCheckpoint, AuditEntry
from hub.state import HubState, Slot
from hub.storage import Database

log = structlog.get_logger("hub.audit")

ADVISORY_LOCK = 0x61756469  # "audi": pg_try_advisory_xact_lock key of the sequencer
_TABLE = cast(Table, AuditEntry.__table__)
# A statement on the table, not the mapped class: the ORM's append-only guard
# (hub/audit.py) keeps application code off entries; their position is set once, here.
_SET_POSITION = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("entry_id"))
    .values(seq=bindparam("position"), prev_hash=bindparam("previous"))
)


class Sequencer:
    def __init__(
        self,
        db: Database,
        signer: Signer,
        *,
        batch: int = 1000,
        interval_s: float = 1.0,
        linger_s: float = 0.2,
    ) -> None:
        self.db = db
        self.signer = signer
        self.batch = batch
        self.interval_s = interval_s
        self.linger_s = linger_s
        self._turn = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Any = None

    async def sequence(self) -> int:
        """Sequence everything committed so far; how many entries this call took in."""
        total = 0
        while True:
            taken = await self._sequence_batch()
            total += taken
            if taken < self.batch:
                return total

    async def _sequence_batch(self) -> int:
        async with self.db.session() as session:  # no lock to find there is nothing to do
            waiting = await session.scalar(
                select(AuditEntry.id).where(AuditEntry.seq.is_(None)).limit(1)
            )
        if waiting is None:
            return 0
        async with self._turn, self.db.transaction() as session:
            if self.db.is_postgres:
                locked = await session.scalar(
                    text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK}
                )
                if not locked:  # another process is sequencing; it takes these too
                    return 0
            last = await session.scalar(
                select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1)
            )
            frontier = Frontier.from_hex(last.tree_size, last.frontier) if last else Frontier()
            previous = audit.GENESIS
            if frontier.size:
                previous = (
                    await session.scalar(
                        select(AuditEntry.hash).where(AuditEntry.seq == frontier.size)
                    )
                ) or audit.GENESIS
            rows = (
                await session.execute(
                    select(AuditEntry.id, AuditEntry.hash)
                    .where(AuditEntry.seq.is_(None))
                    .order_by(AuditEntry.id)
                    .limit(self.batch)
                )
            ).all()
            if not rows:
                return 0
            positions = []
            for entry_id, leaf in rows:
                frontier.append(bytes.fromhex(leaf))
                positions.append(
                    {"entry_id": entry_id, "position": frontier.size, "previous": previous}
                )
                previous = leaf
            await session.execute(_SET_POSITION, positions)
            signed = self.signer.sign(frontier.size, frontier.root())
            session.add(
                AuditCheckpoint(
                    tree_size=signed.tree_size,
                    root_hash=signed.root_hash,
                    frontier=frontier.to_hex(),
                    timestamp=signed.timestamp,
                    key_id=signed.key_id,
                    public_key=signed.public_key,
                    signature=signed.signature,
                )
            )
        return len(rows)

    # -- the loop

    async def start(self) -> None:
        engine = self.db.engine.sync_engine

        def appended(bind: Any) -> None:
            if bind is engine:
                self._wake.set()

        self._unsubscribe = audit.on_append(appended)
        self._task = asyncio.create_task(self._run(), name="audit-sequencer")

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
                # woken by a commit: let the commits right behind it join the batch
                await asyncio.sleep(self.linger_s)
            self._wake.clear()
            try:
                await self.sequence()
            except Exception:  # the next round retries; writers are never held up by this
                log.exception("audit sequencing failed")


_SEQUENCER: Slot[Sequencer] = Slot("audit_sequencer")


def sequencer_for(hub: HubState) -> Sequencer:
    """This process's sequencer for the hub's database (made on first use)."""
    settings = hub.settings
    return hub.setdefault(
        _SEQUENCER,
        lambda: Sequencer(
            hub.db,
            load_signer(settings),
            batch=settings.audit_sequence_batch,
            interval_s=settings.audit_sequence_interval_s,
            linger_s=settings.audit_sequence_linger_s,
        ),
    )
