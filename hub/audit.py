"""The audit log: an append-only record of every personal-data read, agency
exchange, state change and sign-in, kept as an RFC 6962 Merkle log.

``record`` appends inside the caller's transaction (the entry commits or rolls
back with the work it describes) and touches no shared row: the entry's id
comes from the database's sequence and its ``hash`` (the Merkle leaf hash)
covers its own content only. A sequencer (hub/audit_sequencer.py) later gives
committed entries their position in the log, links each to the one before
it and signs a checkpoint of the tree; hub/audit_verify.py checks all that.
``record_many`` appends several entries in one statement.

Nothing in the application changes or removes an entry: the ORM refuses to
(``_refuse_changes``), and verification finds it when someone does so behind
the application's back. Administrators read the log with ``search``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Select, Table, event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from hub import clock, cursors, policy
from hub.errors import BadUserInput
from hub.merkle import leaf_hash
from hub.models import AuditEntry, utcnow
from hub.principal import Principal
from hub.storage import Database
from hub.validation import normalize_case_number

GENESIS = "0" * 64  # what the first entry follows
_TABLE = cast(Table, AuditEntry.__table__)
# what a writer sets; ``seq`` and ``prev_hash`` are the sequencer's
_INSERTED = [
    "id",
    "at",
    "principal_id",
    "actor",
    "action",
    "purpose",
    "subject",
    "target",
    "detail",
]
_INSERTED.append("hash")
SHANGHAI = clock.SHANGHAI


def canonical(entry: AuditEntry) -> bytes:
    """The bytes an entry's leaf hash covers: its content (its position is the tree's)."""
    at = entry.at
    assert isinstance(at, datetime)
    fields = {
        "id": entry.id,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "principal_id": entry.principal_id,
        "actor": entry.actor,
        "action": entry.action,
        "purpose": entry.purpose,
        "subject": entry.subject,
        "target": entry.target,
        "detail": entry.detail or {},
    }
    return json.dumps(
        fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    ).encode()


def entry_hash(entry: AuditEntry) -> str:
    """The entry's RFC 6962 leaf hash, hex."""
    return leaf_hash(canonical(entry)).hex()


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

    Two statements whatever their number: ids drawn from the sequence, one
    insert. Appenders do not wait for one another; the sequencer orders them.
    """
    if not entries:
        return []
    ids = await _allocate_ids(session, len(entries))
    rows: list[AuditEntry] = []
    for entry_id, item in zip(ids, entries, strict=True):
        actor = item.actor
        row = AuditEntry(
            id=entry_id,
            at=utcnow(),
            principal_id=actor.id if isinstance(actor, Principal) else None,
            # columns are bounded; a long principal name must not make the work it records fail
            actor=(actor.actor if isinstance(actor, Principal) else actor)[:100],
            action=item.action,
            purpose=item.purpose,
            subject=item.subject,
            target=item.target[:200] if item.target else item.target,
            detail=item.detail or {},
        )
        row.hash = entry_hash(row)
        rows.append(row)
    # a plain insert (the rows stay out of the session: nothing may change them later),
    # one statement for any number of them
    await session.execute(insert(_TABLE), [{c: getattr(row, c) for c in _INSERTED} for row in rows])
    session.sync_session.info[_APPENDED] = True
    return rows


async def _allocate_ids(session: AsyncSession, count: int) -> list[int]:
    if session.get_bind().dialect.name == "postgresql":
        # a sequence hands out ids without a lock held to commit
        result = await session.scalars(
            text("SELECT nextval('audit_log_id_seq') FROM generate_series(1, :n)"), {"n": count}
        )
        return sorted(result.all())
    # SQLite: the transaction already holds the database's one write lock
    last = await session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0)))
    return list(range(int(last or 0) + 1, int(last or 0) + 1 + count))


# The sequencer wants to hear of new entries as soon as they commit, not at its next poll.
_APPENDED = "audit_appended"
AppendListener = Callable[[Any], None]
_listeners: list[AppendListener] = []


def on_append(listener: AppendListener) -> Callable[[], None]:
    """Call ``listener(engine)`` after each commit that appended entries; returns an unsubscribe."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


@event.listens_for(Session, "after_commit")
def _appended(session: Session) -> None:
    if session.info.pop(_APPENDED, False):
        for listener in list(_listeners):
            listener(session.bind)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_APPENDED, None)


async def verify_chain(db: Database, *, batch: int = 1000) -> tuple[int, int | None, str]:
    """Walk the log in order: ``(entries checked, first bad position or None, why)``.

    Checkpoints are checked against the key they name; ``hub audit verify``
    checks them against the hub's own key (hub/audit_verify.py).
    """
    from hub.audit_verify import verify_log

    verdict = await verify_log(db, batch=batch)
    return verdict.checked, verdict.broken, verdict.reason


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
