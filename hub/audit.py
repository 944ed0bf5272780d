"""The audit chain: an append-only, hash-chained record of every personal-data
read, agency exchange, state change and sign-in.

Each entry's ``hash`` is SHA-256 over a canonical form of its fields and the
previous entry's hash, so changing, removing or reordering any entry breaks
every hash after it. ``record`` appends inside the caller's transaction (the
entry commits or rolls back with the work it describes); it first bumps the
one-row ``audit_head``, which makes concurrent appenders queue on that row
(PostgreSQL row lock, SQLite write lock) instead of forking the chain.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth import Principal
from hub.models import AuditEntry, AuditHead, utcnow
from hub.storage import Database

GENESIS = "0" * 64


def canonical(entry: AuditEntry) -> bytes:
    """The bytes an entry's hash covers (everything but the hash itself)."""
    at = entry.at
    assert isinstance(at, datetime)
    fields = {
        "id": entry.id,
        "at": at.isoformat(timespec="microseconds"),
        "principal_id": entry.principal_id,
        "actor": entry.actor,
        "action": entry.action,
        "purpose": entry.purpose,
        "subject": entry.subject,
        "target": entry.target,
        "detail": entry.detail or {},
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


async def record(
    session: AsyncSession,
    *,
    actor: Principal | str,
    action: str,
    purpose: str | None = None,
    subject: str | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in ``session``'s transaction."""
    head = (
        await session.execute(
            update(AuditHead)
            .where(AuditHead.id == 1)
            .values(seq=AuditHead.seq + 1)
            .returning(AuditHead.seq, AuditHead.last_hash)
        )
    ).one_or_none()
    if head is None:  # first entry ever: create the head (migrations normally have)
        session.add(AuditHead(id=1, seq=1, last_hash=GENESIS))
        await session.flush()
        seq, prev = 1, GENESIS
    else:
        seq, prev = head
    principal_id = actor.id if isinstance(actor, Principal) else None
    entry = AuditEntry(
        id=seq,
        at=utcnow(),
        principal_id=principal_id,
        actor=actor.actor if isinstance(actor, Principal) else actor,
        action=action,
        purpose=purpose,
        subject=subject,
        target=target,
        detail=detail or {},
        prev_hash=prev,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    await session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=entry.hash))
    return entry


async def verify_chain(db: Database, *, batch: int = 1000) -> tuple[int, int | None, str]:
    """Walk the chain in order: ``(entries checked, first broken id or None, why)``."""
    prev = GENESIS
    expected_id = 1
    count = 0
    async with db.session() as session:
        last_id = 0
        while True:
            rows = (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
                )
            ).all()
            if not rows:
                break
            for row in rows:
                if row.id != expected_id:
                    return count, expected_id, "entry missing"
                if row.prev_hash != prev:
                    return count, row.id, "does not follow the entry before it"
                if entry_hash(row) != row.hash:
                    return count, row.id, "content does not match its hash"
                prev = row.hash
                expected_id += 1
                count += 1
                last_id = row.id
        head = await session.get(AuditHead, 1)
    if head is not None and count and (head.seq != count or head.last_hash != prev):
        return count, count + 1 if head.seq > count else count, "chain head does not match the last entry"
    return count, None, ""
