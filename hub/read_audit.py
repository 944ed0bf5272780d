"""Audited reads, batched per request.

Reading personal data leaves an audit entry: a court officer reading a case's
full ID numbers, an agency officer reading the requests (and answers)
addressed to it. One GraphQL operation may read dozens of them; its reads are
collected (``batched``) and written together when it ends, in one
transaction of one insert. Outside a batch (the console, scripts) a read is
recorded at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import select

from hub import audit
from hub.audit import AuditRecord
from hub.models import AssistanceRequest, Case, Party
from hub.principal import Principal, Role
from hub.storage import Database

_batch: ContextVar[dict[tuple[object, ...], AuditRecord] | None] = ContextVar(
    "audited_reads", default=None
)


@contextmanager
def batched() -> Iterator[dict[tuple[object, ...], AuditRecord]]:
    """Collect the reads made inside (in this task and the tasks it starts)."""
    reads: dict[tuple[object, ...], AuditRecord] = {}
    token = _batch.set(reads)
    try:
        yield reads
    finally:
        _batch.reset(token)


def batching() -> bool:
    """Whether a batch is running here (and will be written when it ends)."""
    return _batch.get() is not None


async def flush(db: Database, reads: dict[tuple[object, ...], AuditRecord]) -> None:
    if reads:
        records = list(reads.values())
        reads.clear()
        async with db.transaction() as session:
            await audit.record_many(session, records)


def _key(r: AuditRecord) -> tuple[object, ...]:
    actor = r.actor.id if isinstance(r.actor, Principal) else r.actor
    return (actor, r.action, r.purpose, r.subject, r.target)


def note(record: AuditRecord) -> bool:
    """Add a read to the running batch (the same read twice is one entry); False when
    no batch is running and the caller must record it itself."""
    reads = _batch.get()
    if reads is None:
        return False
    reads.setdefault(_key(record), record)
    return True


async def note_all(db: Database, records: Sequence[AuditRecord]) -> None:
    """``note`` each, or record them at once when no batch is running."""
    if not records:
        return
    if _batch.get() is None:
        async with db.transaction() as session:
            await audit.record_many(session, records)
        return
    for record in records:
        note(record)


def full_id_read(principal: Principal, case_number: str, id_number: str) -> None:
    """A party's full ID number was shown (GraphQL only: the console is batched too)."""
    note(
        AuditRecord(
            actor=principal,
            action="case.read",
            purpose=case_number,
            subject=id_number,
            detail={"field": "idNumber"},
        )
    )


async def parties_read(db: Database, principal: Principal, case: Case, *, via: str) -> None:
    """Every party's full ID number of ``case`` was shown (a console page)."""
    await note_all(
        db,
        [
            AuditRecord(
                actor=principal,
                action="case.read",
                purpose=case.number,
                subject=p.id_number,
                detail={"field": "idNumber", "via": via},
            )
            for p in case.parties
        ],
    )


async def requests_read(
    db: Database, principal: Principal, rows: Sequence[AssistanceRequest], *, answered: set[str]
) -> None:
    """An agency officer read these requests (``answered``: those whose answer is shown)."""
    if principal.role is not Role.AGENCY_OFFICER or not rows:
        return
    ids = [r.id for r in rows]
    async with db.session() as session:
        found = {
            request_id: (number, id_number)
            for request_id, number, id_number in await session.execute(
                select(AssistanceRequest.id, Case.number, Party.id_number)
                .join(Case, Case.id == AssistanceRequest.case_id)
                .join(Party, Party.id == AssistanceRequest.party_id)
                .where(AssistanceRequest.id.in_(ids))
            )
        }
    await note_all(
        db,
        [
            AuditRecord(
                actor=principal,
                action="request.read",
                purpose=found[r.id][0],
                subject=found[r.id][1],
                target=r.id,
                detail={"agency": r.agency_id, "answer": r.id in answered},
            )
            for r in rows
            if r.id in found
        ],
    )
