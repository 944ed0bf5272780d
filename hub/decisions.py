"""The court's own decisions that agencies publish (effect ``DECISION``): 失信, 限高.

Listing a debtor as dishonest or restricting its spending is a decision of
the court (决定书: document number, measures, term). The hub records it when
the court makes it and pushes it to the agency that publishes it; the
agency's answer does not make or unmake the decision. A revoking decision
names what it revokes by its action's ``lifts`` (移出失信名单 revokes 纳入失信
名单 and nothing else: 限高 stays in force until it is lifted in its own
right). The hub names no action here: only effects and specs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sdk.declare import ActionSpec, Effect
from hub import audit
from hub.errors import BadUserInput
from hub.models import AssistanceRequest, Case, CaseEvent, CourtDecision, Party, utcnow
from hub.principal import Principal
from hub.storage import Database

MAX_TERM_MONTHS = 120


def check_details(spec: ActionSpec, details: dict[str, Any]) -> None:
    """A decision's measures (a list of codes) and term (months), when given."""
    if spec.effect is not Effect.DECISION:
        return
    measures = details.get("measures")
    if measures is not None and (
        not isinstance(measures, list)
        or not all(isinstance(m, str) and 0 < len(m) <= 64 for m in measures)
    ):
        raise BadUserInput("details.measures", "惩戒措施须为措施代码的列表")
    term = details.get("term_months")
    if term is not None and (
        not isinstance(term, int) or isinstance(term, bool) or not 0 < term <= MAX_TERM_MONTHS
    ):
        raise BadUserInput("details.term_months", f"期限为 1 至 {MAX_TERM_MONTHS} 个月")


async def in_force(session: AsyncSession, case: Case, party: Party) -> list[CourtDecision]:
    rows = await session.scalars(
        select(CourtDecision)
        .where(
            CourtDecision.case_id == case.id,
            CourtDecision.party_id == party.id,
            CourtDecision.revoked_at.is_(None),
        )
        .order_by(CourtDecision.id)
    )
    return list(rows)


async def record(
    session: AsyncSession,
    spec: ActionSpec,
    request: AssistanceRequest,
    case: Case,
    party: Party,
    principal: Principal,
) -> None:
    """The decision ``request`` pushes, recorded with it (in its transaction)."""
    if spec.effect is not Effect.DECISION:
        return
    now = utcnow()
    document = request.document_number or ""
    if spec.lifts:
        revoked = [d for d in await in_force(session, case, party) if d.action == spec.lifts]
        for decision in revoked:
            decision.revoked_at = now
            decision.revoked_by_request_id = request.id
        kind, action = "DECISION_REVOKED", "decision.revoked"
        detail: dict[str, Any] = {"revokes": spec.lifts, "decisions": [d.id for d in revoked]}
    else:
        details = request.details or {}
        session.add(
            CourtDecision(
                case_id=case.id,
                party_id=party.id,
                agency_id=request.agency_id,
                action=spec.name,
                document_number=request.document_number,
                measures=list(details.get("measures") or []),
                term_months=details.get("term_months"),
                decided_by=principal.actor,
                decided_at=now,
                request_id=request.id,
            )
        )
        kind, action = "DECISION", "decision.recorded"
        detail = {"action": spec.name}
    session.add(
        CaseEvent(
            case_id=case.id,
            at=now,
            kind=kind,
            actor=principal.actor,
            note=f"{spec.label}（{party.name}，决定书 {document}）",
        )
    )
    await audit.record(
        session,
        actor=principal,
        action=action,
        purpose=case.number,
        subject=party.id_number,
        target=request.id,
        detail={**detail, "document": document},
    )


async def decisions_for_cases(
    db: Database, case_ids: Sequence[int]
) -> dict[int, list[tuple[CourtDecision, Party]]]:
    found: dict[int, list[tuple[CourtDecision, Party]]] = {i: [] for i in case_ids}
    if not case_ids:
        return found
    async with db.session() as session:
        rows = await session.execute(
            select(CourtDecision, Party)
            .join(Party, Party.id == CourtDecision.party_id)
            .where(CourtDecision.case_id.in_(list(case_ids)))
            .order_by(CourtDecision.id)
        )
        for decision, party in rows.all():
            found[decision.case_id].append((decision, party))
    return found
