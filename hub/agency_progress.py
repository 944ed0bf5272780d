"""What the agency reports, for the dispatcher and callbacks: a delivery that failed
(deliveries taken are recorded in bulk, ``hub.receipts``), and progress (by
callback or when polled), applied idempotently."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sdk.declare import Effect
from adapters.sdk.records import OrderProgress
from hub import watches
from hub.request_answers import record_completion, record_rejection
from hub.request_states import DISPATCHER_ACTOR, FINAL, Loaded, S, move


async def record_failure(
    session: AsyncSession, loaded: Loaded, reason: str, *, attempts: int
) -> bool:
    """Delivery budget spent: FAILED with the reason, for the court to re-send."""
    if loaded.row.status != S.PENDING:
        return False
    await move(session, loaded, S.FAILED, DISPATCHER_ACTOR, reason, detail={"attempts": attempts})
    loaded.row.failure = reason
    return True


async def apply_progress(
    session: AsyncSession, loaded: Loaded, progress: OrderProgress, actor: str
) -> bool:
    """Apply what the agency reports, idempotently; ``True`` when anything changed.

    A report may skip steps (COMPLETED for a DISPATCHED request passes through
    ACKNOWLEDGED); a stale or repeated one changes nothing.
    """
    row = loaded.row
    status = progress.status.upper()
    if status not in ("RECEIVED", "ACKNOWLEDGED", "COMPLETED", "REJECTED"):
        return False
    if row.status in FINAL:
        return False
    changed = False
    if row.effect == Effect.WATCH and status != "REJECTED":
        # a standing watch: its reports are events, not moves (hub.watches)
        if status == "COMPLETED":
            status = "ACKNOWLEDGED"
        changed = await watches.record_reports(session, loaded, progress, actor)
    if progress.agency_ref and not row.agency_ref:
        row.agency_ref = progress.agency_ref
        changed = True
    if row.status in (S.PENDING, S.FAILED):
        await move(session, loaded, S.DISPATCHED, actor, "reported by the agency")
        row.failure = None
        changed = True
    if status in ("ACKNOWLEDGED", "COMPLETED") and row.status == S.DISPATCHED:
        await move(session, loaded, S.ACKNOWLEDGED, actor, None)
        changed = True
    if status == "COMPLETED" and row.status == S.ACKNOWLEDGED:
        outcome = (progress.outcome or "completed")[:200]
        await record_completion(session, loaded, outcome, progress.result, actor, strict=False)
        changed = True
    if status == "REJECTED" and row.status in (S.DISPATCHED, S.ACKNOWLEDGED):
        await record_rejection(
            session, loaded, (progress.outcome or "rejected by the agency")[:2000], actor
        )
        changed = True
    return changed
