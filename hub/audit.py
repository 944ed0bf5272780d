"""The audit chain: an append-only, hash-chained record of every personal-data
read, agency exchange, state change and sign-in.

Each entry's ``hash`` is SHA-256 over a canonical form of its fields and the
previous entry's hash, so changing, removing or reordering any entry breaks
every hash after it. ``record`` appends inside the caller's transaction (the
entry commits or rolls back with the work it describes); it first bumps the
one-row ``audit_head``, which makes concurrent appenders queue on that row
(PostgreSQL row lock, SQLite write lock) instead of forking the chain.
``record_many`` appends several entries behind one bump.

Nothing in the application changes or removes an entry: the ORM refuses to
(``_refuse_changes``), and ``verify_chain`` finds it when someone does so
behind the application's back. Administrators read the log with ``search``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from hub import clock, cursors, policy
from hub.auth import Principal
from hub.errors import BadUserInput
from hub.models import AuditEntry, AuditHead, utcnow
from hub.storage import Database
from hub.validation import normalize_case_number

GENESIS = "0" * 64
SHANGHAI = clock.SHANGHAI


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
    return json.dumps(
        fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    ).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


@dataclass(frozen=True)
class AuditRecord:
    """What one entry says: ``record``'s keyword arguments, for ``record_many``."""

    actor: Principal | str
    action: str
    purpose: str | None = None
    subject: str | None = None
    target: str | None = None
    detail: dict[str, Any] | None = None


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
    entry = AuditRecord(actor, action, purpose, subject, target, detail)
    return (await record_many(session, [entry]))[0]


async def record_many(session: AsyncSession, entries: Sequence[AuditRecord]) -> list[AuditEntry]:
    """Append ``entries``, in order, in ``session``'s transaction.

    The chain is the same as from one ``record`` per entry, but the head is
    bumped (and locked) once for all of them: three statements in all, not
    three per entry.
    """
    if not entries:
        return []
    count = len(entries)
    head = (
        await session.execute(
            update(AuditHead)
            .where(AuditHead.id == 1)
            .values(seq=AuditHead.seq + count)
            .returning(AuditHead.seq, AuditHead.last_hash)
        )
    ).one_or_none()
    if head is None:  # first entry ever: create the head (migrations normally have)
        session.add(AuditHead(id=1, seq=count, last_hash=GENESIS))
        await session.flush()
        last, prev = count, GENESIS
    else:
        last, prev = head
    rows: list[AuditEntry] = []
    for seq, item in enumerate(entries, start=last - count + 1):
        actor = item.actor
        row = AuditEntry(
            id=seq,
            at=utcnow(),
            principal_id=actor.id if isinstance(actor, Principal) else None,
            # columns are bounded; a long principal name must not make the work it records fail
            actor=(actor.actor if isinstance(actor, Principal) else actor)[:100],
            action=item.action,
            purpose=item.purpose,
            subject=item.subject,
            target=item.target[:200] if item.target else item.target,
            detail=item.detail or {},
            prev_hash=prev,
        )
        row.hash = prev = entry_hash(row)
        rows.append(row)
    session.add_all(rows)
    await session.flush()
    await session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev))
    return rows


async def verify_chain(db: Database, *, batch: int = 1000) -> tuple[int, int | None, str]:
    """Walk the chain in order: ``(entries checked, first broken id or None, why)``."""
    prev = GENESIS
    expected_id = 1
    count = 0
    async with db.session() as session:
        if db.is_postgres:  # one snapshot: appends during the walk must not look like gaps
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        last_id = 0
        while True:
            rows = (
                await session.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.id > last_id)
                    .order_by(AuditEntry.id)
                    .limit(batch)
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
    # the head remembers how long the chain was: removing its tail (or all of it),
    # or appending behind the application's back, shows here
    if head is None:
        return (count, 1, "chain head missing") if count else (0, None, "")
    if head.seq > count:
        return count, count + 1, "entry missing"
    if head.seq < count:
        return count, head.seq + 1, "entry appended outside the chain"
    if head.last_hash != prev:
        return count, count, "chain head does not match the last entry"
    return count, None, ""


class AuditTampering(RuntimeError):
    """Application code tried to change or remove an audit entry: a bug, masked as INTERNAL."""


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEntry):
            raise AuditTampering("audit entries are append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
        m.class_ is AuditEntry for m in state.all_mappers
    ):
        raise AuditTampering("audit entries are append-only")


# ------------------------------------------------------------------ reading


@dataclass(frozen=True)
class AuditFilter:
    """What an administrator looks for; every given criterion must match.

    ``action`` matches exactly, or as a prefix when it ends with ``.``
    (``auth.`` finds sign-ins and token uses). ``since`` is inclusive,
    ``until`` exclusive; a time without an offset is Beijing time.
    """

    case_number: str | None = None
    subject: str | None = None
    principal_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass
class AuditPage:
    rows: list[AuditEntry]
    has_next: bool
    cursors: list[str]


def encode_cursor(entry_id: int) -> str:
    return cursors.encode("audit", [entry_id])


def decode_cursor(cursor: str) -> int:
    (value,) = cursors.decode("audit", cursor, [int])
    return int(value)


def _filtered(stmt: Select[AuditEntry], f: AuditFilter) -> Select[AuditEntry]:
    if f.case_number:
        stmt = stmt.where(
            AuditEntry.purpose == normalize_case_number(f.case_number, field="caseNumber")
        )
    if f.subject:
        stmt = stmt.where(AuditEntry.subject == f.subject.strip().upper())
    if f.principal_id is not None:
        stmt = stmt.where(AuditEntry.principal_id == f.principal_id)
    if f.action:
        action = f.action.strip()
        if action.endswith("."):
            stmt = stmt.where(func.substr(AuditEntry.action, 1, len(action)) == action)
        else:
            stmt = stmt.where(AuditEntry.action == action)
    if f.since is not None:
        stmt = stmt.where(AuditEntry.at >= f.since)
    if f.until is not None:
        stmt = stmt.where(AuditEntry.at < f.until)
    return stmt


async def search(
    db: Database, principal: Principal, f: AuditFilter, first: int = 50, after: str | None = None
) -> AuditPage:
    """Entries matching ``f``, newest first; administrators only.

    Looking is itself recorded (``audit.searched``): who searched whose trail
    is as telling as the trail. The subject searched for is the entry's
    subject; the case goes into the detail, since no case is its purpose.
    """
    policy.require_admin(principal)
    if first < 0 or first > 500:
        raise BadUserInput("first", "first must be between 0 and 500")
    # people type local times: without an offset a time is Beijing time
    f = replace(
        f,
        since=f.since.replace(tzinfo=SHANGHAI) if f.since and not f.since.tzinfo else f.since,
        until=f.until.replace(tzinfo=SHANGHAI) if f.until and not f.until.tzinfo else f.until,
    )
    case_number = (
        normalize_case_number(f.case_number, field="caseNumber") if f.case_number else None
    )
    subject = f.subject.strip().upper() if f.subject else None
    if subject is not None and len(subject) > 18:
        raise BadUserInput("subject", "an ID number or credit code has 18 characters")
    stmt = _filtered(select(AuditEntry), f).order_by(AuditEntry.id.desc()).limit(first + 1)
    if after:
        stmt = stmt.where(AuditEntry.id < decode_cursor(after))
    async with db.transaction() as session:
        rows = list((await session.scalars(stmt)).all())
        await record(
            session,
            actor=principal,
            action="audit.searched",
            subject=subject,
            detail={
                "case_number": case_number,
                "principal_id": f.principal_id,
                "action": f.action,
                "from": f.since.isoformat() if f.since else None,
                "to": f.until.isoformat() if f.until else None,
            },
        )
    has_next = len(rows) > first
    rows = rows[:first]
    return AuditPage(rows, has_next, [encode_cursor(r.id) for r in rows])
