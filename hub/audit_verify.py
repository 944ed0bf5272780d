"""Checking the audit log, as a third party would: the walk, checkpoints, proofs.

``verify_log`` rereads every sequenced entry in order and checks that
positions run 1, 2, 3 … without gaps, that each entry follows the one before
it, that its content still matches its leaf hash, and that the Merkle tree
rebuilt from the leaves has, at every size the hub signed, the root it
signed. A checkpoint kept outside the database (``hub audit checkpoint``)
catches what a database writer can do without the key: drop the end of the
log, or rewrite its tail with fresh hashes and delete the checkpoints after.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select

from hub import audit
from hub.audit_keys import Checkpoint, Signer
from hub.merkle import Frontier, inclusion_path
from hub.models import AuditCheckpoint, AuditEntry
from hub.storage import Database


@dataclass(frozen=True)
class Verdict:
    checked: int
    broken: int | None  # the first bad position (1-based), None when all holds
    reason: str = ""
    entry_id: int | None = None  # the bad entry's id, when it is still there
    pending: int = 0  # entries not yet sequenced


def stored_checkpoint(row: AuditCheckpoint) -> Checkpoint:
    from hub.audit_keys import ORIGIN

    return Checkpoint(
        origin=ORIGIN,
        tree_size=row.tree_size,
        root_hash=row.root_hash,
        timestamp=row.timestamp,
        key_id=row.key_id,
        public_key=row.public_key,
        signature=row.signature,
    )


async def latest_checkpoint(db: Database, signer: Signer) -> Checkpoint:
    """The newest signed checkpoint (an empty log's is signed on the spot)."""
    async with db.session() as session:
        row = await session.scalar(
            select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1)
        )
    if row is None:
        return signer.sign(0, Frontier().root())
    return stored_checkpoint(row)


async def verify_log(
    db: Database,
    *,
    trusted: Ed25519PublicKey | None = None,
    checkpoint: Checkpoint | None = None,
    batch: int = 1000,
) -> Verdict:
    """Walk the log; ``trusted`` is the hub's public key (else each checkpoint's own)."""
    if checkpoint is not None and not checkpoint.verify(trusted):
        return Verdict(0, 0, "the checkpoint's signature does not verify")
    async with db.session() as session:
        if db.is_postgres:  # one snapshot: sequencing during the walk must not look like gaps
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        stored = [
            stored_checkpoint(row)
            for row in await session.scalars(
                select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size)
            )
        ]
        pending = int(
            await session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.seq.is_(None))
            )
            or 0
        )
        walk = _Walk(stored, trusted, checkpoint)
        # the log as it was when the walk began: what is sequenced meanwhile (SQLite
        # reads are no snapshot) waits for the next walk
        bound = max(
            stored[-1].tree_size if stored else 0, checkpoint.tree_size if checkpoint else 0
        )
        last_seq = 0
        while True:
            rows = (
                await session.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.seq > last_seq, AuditEntry.seq <= bound)
                    .order_by(AuditEntry.seq)
                    .limit(batch)
                )
            ).all()
            if not rows:
                break
            for row in rows:
                if (bad := walk.step(row)) is not None:
                    return bad
            last_seq = rows[-1].seq or last_seq
        verdict = walk.finish(pending)
        if verdict.broken is not None:
            return verdict
        # entries past the last checkpoint were sequenced by no one who could sign: the
        # sequencer writes positions and their checkpoint in one transaction (and one
        # statement reads both, consistently)
        sequenced, signed = (
            await session.execute(
                select(
                    select(func.max(AuditEntry.seq)).scalar_subquery(),
                    select(func.max(AuditCheckpoint.tree_size)).scalar_subquery(),
                )
            )
        ).one()
        if (sequenced or 0) > (signed or 0):
            why = "entry not covered by a signed checkpoint"
            return Verdict(verdict.checked, (signed or 0) + 1, why, pending=pending)
    return verdict


class _Walk:
    def __init__(
        self,
        stored: list[Checkpoint],
        trusted: Ed25519PublicKey | None,
        external: Checkpoint | None,
    ) -> None:
        self.frontier = Frontier()
        self.previous = audit.GENESIS
        self.stored = stored
        self.next_stored = 0
        self.trusted = trusted
        self.external = external
        # the last size where a checkpoint one may trust (signed no later than the
        # external one) still matched: a rewrite starts after it
        self.good = 0

    def step(self, row: AuditEntry) -> Verdict | None:
        position = self.frontier.size + 1
        if row.seq != position:
            return Verdict(self.frontier.size, position, "entry missing")
        if row.prev_hash != self.previous:
            return self._bad(row, "does not follow the entry before it")
        if audit.entry_hash(row) != row.hash:
            return self._bad(row, "content does not match its hash")
        self.frontier.append(bytes.fromhex(row.hash))
        self.previous = row.hash
        return self._checkpoints()

    def _bad(self, row: AuditEntry, reason: str) -> Verdict:
        return Verdict(self.frontier.size, row.seq, reason, row.id)

    def _checkpoints(self) -> Verdict | None:
        size, root = self.frontier.size, None
        while (
            self.next_stored < len(self.stored) and self.stored[self.next_stored].tree_size <= size
        ):
            signed = self.stored[self.next_stored]
            self.next_stored += 1
            if signed.tree_size < size:  # sizes only grow; one the walk skipped was not there
                continue
            root = root or self.frontier.root()
            if not signed.verify(self.trusted):
                return self._mismatch(f"checkpoint of size {size} is not signed by the hub's key")
            if signed.root != root:
                return self._mismatch(f"do not match the hub's signed checkpoint of size {size}")
            if self.external is None or signed.timestamp <= self.external.timestamp:
                self.good = size
        if self.external is not None and self.external.tree_size == size:
            if (root or self.frontier.root()) != self.external.root:
                return self._mismatch(f"do not match the checkpoint of size {size}")
            self.good = size
        return None

    def _mismatch(self, why: str) -> Verdict:
        first, last = self.good + 1, self.frontier.size
        span = f"entry {first}" if first == last else f"entries {first}–{last}"
        return Verdict(self.frontier.size, first, f"{span} {why}")

    def finish(self, pending: int) -> Verdict:
        size = self.frontier.size
        largest = self.stored[-1].tree_size if self.stored else 0
        if largest > size:
            return Verdict(size, size + 1, "entry missing", pending=pending)
        if self.external is not None and self.external.tree_size > size:
            kept = self.external.tree_size
            why = f"entry missing: the log has {size} entries, the checkpoint {kept}"
            return Verdict(size, size + 1, why, pending=pending)
        if largest < size:
            return Verdict(
                size, largest + 1, "entry not covered by a signed checkpoint", pending=pending
            )
        return Verdict(size, None, "", pending=pending)


@dataclass(frozen=True)
class InclusionProof:
    entry_id: int
    leaf_index: int  # 0-based, as RFC 6962 counts
    leaf: str  # the bytes the leaf hash covers (canonical JSON)
    leaf_hash: str
    path: list[str]  # sibling hashes, hex, leaf level first
    checkpoint: Checkpoint


async def inclusion_proof(db: Database, signer: Signer, entry_id: int) -> InclusionProof | None:
    """A proof that entry ``entry_id`` is in the tree of the latest checkpoint (None: no
    such entry, or not sequenced yet)."""
    async with db.session() as session:
        entry = await session.get(AuditEntry, entry_id)
        if entry is None or entry.seq is None:
            return None
        row = await session.scalar(
            select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1)
        )
        if row is None or row.tree_size < entry.seq:
            return None
        # the path needs the subtrees beside the leaf: every leaf of the signed tree
        leaves = [
            bytes.fromhex(h)
            for h in await session.scalars(
                select(AuditEntry.hash)
                .where(AuditEntry.seq <= row.tree_size)
                .order_by(AuditEntry.seq)
            )
        ]
    index = entry.seq - 1
    return InclusionProof(
        entry_id=entry.id,
        leaf_index=index,
        leaf=audit.canonical(entry).decode(),
        leaf_hash=entry.hash,
        path=[p.hex() for p in inclusion_path(index, leaves)],
        checkpoint=stored_checkpoint(row),
    )
