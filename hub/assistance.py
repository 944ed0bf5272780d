"""Assistance requests (协助执行): the closed loop between a court and an agency.

A request moves through one state machine; every move is a ``RequestEvent``
(who, when, why) and an audit entry, written in the same transaction::

    PENDING ──delivered──▶ DISPATCHED ──▶ ACKNOWLEDGED ──▶ COMPLETED
       │                      │                 └──────────▶ REJECTED
       │                      └────────────────────────────▶ REJECTED
       ├──budget spent──▶ FAILED ──resend──▶ PENDING
       └──▶ CANCELLED        (by the court, from any state before an answer)

Any other move is ``Conflict``. ``console`` agencies have no system to push
to: their requests start DISPATCHED, waiting in the console inbox. ``api``
agencies get an outbox row (``task="deliver"``) in the request's own
transaction; ``hub.dispatcher`` delivers it and agencies report progress by
callback (``hub.web.callbacks``) or when polled, both through ``apply_progress``.

``overdue`` is derived, never stored: due and still open.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from adapters.sdk.declare import ActionSpec, Effect
from adapters.sdk.records import DispatchReceipt, OrderProgress
from hub import (
    audit,
    clock,
    cursors,
    decisions,
    due,
    ownership,
    policy,
    prerequisites,
    read_audit,
    seals,
    watches,
)
from hub.agencies import Agency
from hub.cases import find_case
from hub.errors import BadUserInput, Conflict, NotFound
from hub.logs import current_request_id
from hub.models import (
    AssistanceRequest,
    Case,
    CaseEvent,
    OutboxEntry,
    Party,
    PropertyClue,
    RequestEvent,
    new_id,
    utcnow,
)
from hub.principal import Principal, Role
from hub.state import HubState
from hub.storage import Database
from hub.validation import normalize_case_number, require_text

WAKE_KEY = "dispatcher.wake"  # an asyncio.Event in hub.extras: new work for the dispatcher


class RequestStatus(StrEnum):
    PENDING = "PENDING"
    DISPATCHED = "DISPATCHED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


S = RequestStatus
OPEN: frozenset[str] = frozenset({S.PENDING, S.DISPATCHED, S.ACKNOWLEDGED})
ANSWERED: frozenset[str] = frozenset({S.COMPLETED, S.REJECTED})
FINAL: frozenset[str] = ANSWERED | {S.CANCELLED}

TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.DISPATCHED, S.FAILED, S.CANCELLED}),
    S.DISPATCHED: frozenset({S.ACKNOWLEDGED, S.REJECTED, S.CANCELLED}),
    S.ACKNOWLEDGED: frozenset({S.COMPLETED, S.REJECTED, S.CANCELLED}),
    # a failed delivery may have reached the agency after all: its report revives it
    S.FAILED: frozenset({S.PENDING, S.DISPATCHED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}

SEAL_RANKS = ("FIRST", "WAITING")
MAX_DETAILS_BYTES = 16 * 1024
DISPATCHER_ACTOR = "hub:dispatcher"


@dataclass(frozen=True)
class RequestData:
    case_number: str
    subject_id_number: str
    agency_id: str
    action: str
    document_number: str | None = None
    details: dict[str, Any] | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class RequestFilter:
    case_number: str | None = None
    agency_id: str | None = None
    status: str | None = None
    action: str | None = None
    overdue: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


@dataclass
class RequestPage:
    rows: list[AssistanceRequest]
    cursors: list[str]
    has_next: bool
    total: int


@dataclass(frozen=True)
class _Clean:
    """A validated ``RequestData``."""

    agency: Agency
    action: str
    spec: ActionSpec
    document_number: str | None
    details: dict[str, Any]
    key: str


@dataclass
class _Loaded:
    row: AssistanceRequest
    case: Case
    party: Party


def is_overdue(row: AssistanceRequest, now: datetime | None = None) -> bool:
    return row.status in OPEN and row.due_at < (now or utcnow())


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    return and_(AssistanceRequest.due_at < now, AssistanceRequest.status.in_(sorted(OPEN)))


def wake_dispatcher(hub: HubState) -> None:
    event = hub.extras.get(WAKE_KEY)
    if event is not None:
        event.set()


# -- creating -----------------------------------------------------------------------------------


def _validate(hub: HubState, data: RequestData) -> _Clean:
    agency = hub.agencies.get(data.agency_id.strip()) if data.agency_id else None
    if agency is None:
        raise BadUserInput("agencyId", "no such agency")
    spec = agency.action(str(data.action))
    if spec is None:
        raise BadUserInput("action", f"agency {agency.id} does not take {data.action}")
    document = data.document_number.strip() if data.document_number else None
    if spec.needs_document and not document:
        raise BadUserInput("documentNumber", f"{spec.name} needs the court's document number")
    if document is not None:
        document = require_text(document, field="documentNumber", max_length=100)
    details = data.details if data.details is not None else {}
    if not isinstance(details, dict):
        raise BadUserInput("details", "details must be a JSON object")
    try:
        encoded = json.dumps(details, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise BadUserInput("details", "details must be plain JSON") from exc
    if len(encoded.encode()) > MAX_DETAILS_BYTES:
        raise BadUserInput("details", "details are too large")
    plain = json.loads(encoded)
    if spec.details is not None:
        plain = checked(spec.details, plain, "details")
    key = (data.idempotency_key or "").strip()
    if data.idempotency_key is not None and not 1 <= len(key) <= 200:
        raise BadUserInput("idempotencyKey", "an idempotency key has 1 to 200 characters")
    return _Clean(
        agency=agency,
        action=spec.name,
        spec=spec,
        document_number=document,
        details=plain,
        key=key or str(uuid.uuid4()),
    )


def checked(model: type[BaseModel], data: dict[str, Any], field: str) -> dict[str, Any]:
    """``data`` as ``model`` reads it (JSON-ready), or ``BadUserInput`` naming the first bad
    key, e.g. ``details.amount``."""
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise BadUserInput(f"{field}.{where}" if where else field, first["msg"]) from exc
    dumped: dict[str, Any] = parsed.model_dump(mode="json", exclude_none=True)
    return dumped


def body_hash(case: Case, party: Party, clean: _Clean) -> str:
    """What "the same body" means for an idempotency key: the normalized fields."""
    body = {
        "case": case.number,
        "subject": party.id_number,
        "agency": clean.agency.id,
        "action": clean.action,
        "document": clean.document_number,
        "details": clean.details,
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


async def _by_key(session: AsyncSession, key: str, digest: str) -> AssistanceRequest | None:
    row = await session.scalar(
        select(AssistanceRequest).where(AssistanceRequest.idempotency_key == key)
    )
    if row is not None and row.body_hash != digest:
        raise Conflict("this idempotency key was used for another request")
    return row


async def _measure_acted_on(
    session: AsyncSession, case: Case, party: Party, clean: _Clean
) -> AssistanceRequest:
    """The completed measure (a seal, a freeze) a LIFT or RENEW acts on: named by its
    request (``details.seal_request_id``) or by the record it encumbers (the reference)."""
    spec = clean.spec
    ref = clean.details.get("seal_request_id") or clean.details.get("sealRequestId")
    reference = clean.details.get(spec.reference) if spec.reference else None
    measure: AssistanceRequest | None = None
    if isinstance(ref, str) and ref:
        measure = await session.get(AssistanceRequest, ref)
    elif isinstance(reference, str) and reference and spec.reference:
        candidates = await session.scalars(
            select(AssistanceRequest)
            .where(
                AssistanceRequest.case_id == case.id,
                AssistanceRequest.party_id == party.id,
                AssistanceRequest.agency_id == clean.agency.id,
                AssistanceRequest.action == spec.lifts,
                AssistanceRequest.status == S.COMPLETED,
            )
            .order_by(AssistanceRequest.created_at.desc())
        )
        measure = next((m for m in candidates if m.details.get(spec.reference) == reference), None)
    else:
        names = "details.seal_request_id" + (
            f" or details.{spec.reference}" if spec.reference else ""
        )
        raise BadUserInput("details", f"{spec.name} names the {spec.lifts} it acts on: {names}")
    if (
        measure is None
        or measure.action != spec.lifts
        or measure.status != S.COMPLETED
        or measure.case_id != case.id
        or measure.party_id != party.id
        or measure.agency_id != clean.agency.id
    ):
        raise BadUserInput(
            "details",
            f"{spec.name} must name a completed {spec.lifts} of this case, subject and agency",
        )
    lifted = await session.scalar(
        select(AssistanceRequest.id).where(
            AssistanceRequest.unseals_id == measure.id,
            AssistanceRequest.status == S.COMPLETED,
        )
    )
    if lifted is not None:
        raise Conflict(f"this {spec.lifts} has been lifted")
    if spec.effect is Effect.LIFT:
        lifting = await session.scalar(
            select(AssistanceRequest.id).where(
                AssistanceRequest.unseals_id == measure.id,
                AssistanceRequest.status.not_in([S.FAILED, S.CANCELLED, S.REJECTED]),
            )
        )
        if lifting is not None:
            raise Conflict("this seal is already being lifted")
    return measure


async def _create_in(
    session: AsyncSession,
    hub: HubState,
    principal: Principal,
    clean: _Clean,
    case: Case,
    party: Party,
    *,
    clue_id: int | None = None,
) -> tuple[AssistanceRequest, bool]:
    """The request, its events, audit and outbox row; ``(row, created)``."""
    digest = body_hash(case, party, clean)
    existing = await _by_key(session, clean.key, digest)
    if existing is not None:
        return existing, False
    await ownership.require_confirmed(session, clean.agency, clean.spec, case, party, clean.details)
    await prerequisites.require_met(session, clean.spec, case, clean.details)
    decisions.check_details(clean.spec, clean.details)
    details = dict(clean.details)
    unseals: str | None = None
    if clean.spec.effect in (Effect.LIFT, Effect.RENEW):
        measure = await _measure_acted_on(session, case, party, clean)
        if clean.spec.effect is Effect.LIFT:
            unseals = measure.id
        # the agency needs to know what to act on: the measure's own details, unless overridden
        details = {**measure.details, **details, "seal_request_id": measure.id}
    now = utcnow()
    agency = clean.agency
    row = AssistanceRequest(
        id=new_id(),
        case_id=case.id,
        party_id=party.id,
        agency_id=agency.id,
        action=clean.action,
        effect=clean.spec.effect.value,
        status=S.PENDING.value,
        document_number=clean.document_number,
        details=details,
        idempotency_key=clean.key,
        body_hash=digest,
        clue_id=clue_id,
        unseals_id=unseals,
        created_by=principal.actor,
        created_at=now,
        due_at=due.due_at(hub.settings.due_days, agency.config, clean.spec, now),
        urge_count=0,
        version=1,
        term_years=clean.spec.term_years,
    )
    session.add(row)
    await session.flush()
    await decisions.record(session, clean.spec, row, case, party, principal)
    session.add(
        RequestEvent(
            request_id=row.id,
            at=now,
            kind="CREATED",
            actor=principal.actor,
            note=f"{clean.spec.label}：{agency.config.name}",
        )
    )
    await audit.record(
        session,
        actor=principal,
        action="request.created",
        purpose=case.number,
        subject=party.id_number,
        target=row.id,
        detail={"agency": agency.id, "action": clean.action, "channel": agency.config.channel},
    )
    loaded = _Loaded(row, case, party)
    if agency.is_api:
        payload = {"request_id": current_request_id()}  # the delivery's log lines carry it
        session.add(
            OutboxEntry(request_id=row.id, task="deliver", payload=payload, available_at=now)
        )
    else:
        row.dispatched_at = now
        await _move(session, loaded, S.DISPATCHED, principal.actor, "waiting in the console inbox")
    return row, True


async def create_request(
    hub: HubState, principal: Principal, data: RequestData
) -> AssistanceRequest:
    """Create (or, for a known idempotency key and the same body, return) a request."""
    policy.require_court_officer(principal)
    clean = _validate(hub, data)
    try:
        async with hub.db.transaction() as session:
            case, party = await _case_and_party(session, principal, data)
            row, created = await _create_in(session, hub, principal, clean, case, party)
    except IntegrityError:
        # the same key, created concurrently: the other transaction won
        async with hub.db.session() as session:
            case, party = await _case_and_party(session, principal, data)
            existing = await _by_key(session, clean.key, body_hash(case, party, clean))
        if existing is None:
            raise
        return existing
    if created:
        wake_dispatcher(hub)
    return row


async def _case_and_party(
    session: AsyncSession, principal: Principal, data: RequestData
) -> tuple[Case, Party]:
    case = await find_case(session, data.case_number, field="caseNumber")
    if case is None:
        raise NotFound("no such case")
    policy.require_manage_case(principal, case)
    wanted = (data.subject_id_number or "").strip().upper()
    party = next((p for p in case.parties if p.id_number == wanted), None)
    if party is None:
        raise BadUserInput("subjectIdNumber", "the subject is not a party of this case")
    policy.require_respondent(party)
    return case, party


async def confirm_clue(
    hub: HubState,
    principal: Principal,
    clue_id: int,
    choices: list[int] | None,
    document_number: str | None = None,
) -> list[AssistanceRequest]:
    """Create the requests a property clue proposed (all, or the ``choices`` by index).

    Confirming the same proposal again returns its request: each proposal's
    idempotency key is derived from the clue.
    """
    policy.require_court_officer(principal)
    created: list[AssistanceRequest] = []
    async with hub.db.transaction() as session:
        clue = await session.get(PropertyClue, clue_id, with_for_update=True)
        case = await session.get(Case, clue.case_id) if clue is not None else None
        if clue is None or case is None or not policy.can_read_case(principal, case):
            raise NotFound("no such property clue")
        policy.require_manage_case(principal, case)
        party = await session.get(Party, clue.party_id)
        assert party is not None
        policy.require_respondent(party)
        proposals = list(clue.proposals or [])
        if not proposals:
            raise Conflict("this clue proposes no request")
        indexes = list(range(len(proposals))) if choices is None else list(choices)
        if not indexes:
            raise BadUserInput("choices", "choose at least one proposal")
        if len(set(indexes)) != len(indexes) or any(not 0 <= i < len(proposals) for i in indexes):
            raise BadUserInput("choices", "choices are distinct indexes into the proposals")
        for i in indexes:
            proposal = proposals[i]
            details = dict(proposal.get("details") or {})
            data = RequestData(
                case_number=case.number,
                subject_id_number=party.id_number,
                agency_id=str(proposal.get("agency_id")),
                action=str(proposal.get("action")),
                document_number=document_number or details.pop("document_number", None),
                details=details,
                idempotency_key=f"clue-{clue.id}-{i}",
            )
            row, _ = await _create_in(
                session, hub, principal, _validate(hub, data), case, party, clue_id=clue.id
            )
            created.append(row)
        if clue.status != "CONFIRMED":
            clue.status = "CONFIRMED"
            session.add(
                CaseEvent(
                    case_id=case.id,
                    kind="CLUE_CONFIRMED",
                    actor=principal.actor,
                    note=f"{len(created)} request(s) from clue {clue.id}",
                )
            )
    wake_dispatcher(hub)
    return created


# -- reading ------------------------------------------------------------------------------------


async def get_request(
    hub: HubState, principal: Principal, request_id: str
) -> tuple[AssistanceRequest, Case]:
    """The request and its case; ``NotFound`` also when it is outside the caller's scope."""
    async with hub.db.session() as session:
        row = await session.get(AssistanceRequest, request_id)
        case = await _case_with_parties(session, row.case_id) if row is not None else None
    if row is None or case is None or not policy.can_read_request(principal, row, case):
        raise NotFound("no such assistance request")
    await read_audit.requests_read(hub.db, principal, [row], answered=_answered([row]))
    return row, case


def _answered(rows: Sequence[AssistanceRequest]) -> set[str]:
    return {r.id for r in rows if r.status in ANSWERED and r.outcome is not None}


async def _case_with_parties(session: AsyncSession, case_id: int) -> Case | None:
    return await session.scalar(
        select(Case).where(Case.id == case_id).options(selectinload(Case.parties))
    )


async def cases_by_id(db: Database, case_ids: Iterable[int]) -> dict[int, Case]:
    """Cases (with parties) for rows already read: for the graph's and console's loaders."""
    ids = sorted(set(case_ids))
    async with db.session() as session:
        rows = await session.scalars(
            select(Case).where(Case.id.in_(ids)).options(selectinload(Case.parties))
        )
        return {c.id: c for c in rows}


def _scoped(stmt: Select[Any], principal: Principal) -> Select[Any]:
    if principal.role is Role.COURT_OFFICER:
        return stmt.where(Case.court_code == principal.scope)
    if principal.role is Role.AGENCY_OFFICER:
        return stmt.where(AssistanceRequest.agency_id == principal.scope)
    if principal.role is Role.OBSERVER:
        return stmt.where(Case.number.in_(sorted(principal.case_numbers)))
    if principal.role is Role.APPLICANT:
        return stmt.where(Case.number == principal.applicant_case)
    if principal.role is Role.ADMIN:
        return stmt
    return stmt.where(AssistanceRequest.id.is_(None))  # supervisors see figures, not requests


def _filtered(stmt: Select[Any], f: RequestFilter, now: datetime) -> Select[Any]:
    if f.case_number:
        stmt = stmt.where(Case.number == normalize_case_number(f.case_number, field="caseNumber"))
    if f.agency_id:
        stmt = stmt.where(AssistanceRequest.agency_id == f.agency_id)
    if f.status:
        if f.status not in RequestStatus.__members__:
            raise BadUserInput("status", "unknown status")
        stmt = stmt.where(AssistanceRequest.status == f.status)
    if f.action:
        stmt = stmt.where(AssistanceRequest.action == f.action)
    if f.overdue is not None:
        late = overdue_clause(now)
        stmt = stmt.where(late if f.overdue else ~late)
    if f.created_from:
        stmt = stmt.where(AssistanceRequest.created_at >= _aware(f.created_from, "createdFrom"))
    if f.created_to:
        stmt = stmt.where(AssistanceRequest.created_at <= _aware(f.created_to, "createdTo"))
    return stmt


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise BadUserInput(name, "give the time with its UTC offset")
    return value


def _cursor_order(order: str, now: datetime) -> list[tuple[Any, bool]]:
    """The sort keys of a list of requests, ``(expression, descending)``; the id last."""
    if order == "inbox":
        pressing = and_(
            AssistanceRequest.status.in_(sorted(OPEN)),
            (AssistanceRequest.due_at < now) | (AssistanceRequest.urge_count > 0),
        )
        return [
            (case((pressing, 0), else_=1), False),
            (AssistanceRequest.due_at, False),
            (AssistanceRequest.created_at, False),
            (AssistanceRequest.id, False),
        ]
    return [(AssistanceRequest.created_at, True), (AssistanceRequest.id, True)]


def encode_cursor(order: str, row: AssistanceRequest, now: datetime) -> str:
    """The keyset cursor after ``row``: its sort key in ``order``, as of ``now``."""
    if order == "inbox":
        rank = 0 if is_overdue(row, now) or (row.status in OPEN and row.urge_count > 0) else 1
        return cursors.encode("req.inbox", [rank, row.due_at, row.created_at, row.id])
    return cursors.encode("req", [row.created_at, row.id])


def decode_cursor(order: str, cursor: str) -> list[Any]:
    if order == "inbox":
        return cursors.decode("req.inbox", cursor, [int, datetime, datetime, str])
    return cursors.decode("req", cursor, [datetime, str])


async def list_requests(
    hub: HubState,
    principal: Principal,
    f: RequestFilter,
    first: int,
    after: str | None,
    *,
    order: str = "newest",
) -> RequestPage:
    """Requests the caller may see, filtered; ``order="inbox"``: overdue and urged
    first, then the oldest due first (what an agency officer works through)."""
    if not 0 <= first <= 500:
        raise BadUserInput("first", "first must be between 0 and 500")
    if order not in ("newest", "inbox"):
        raise BadUserInput("order", "order is newest or inbox")
    now = utcnow()
    base = select(AssistanceRequest).join(Case, Case.id == AssistanceRequest.case_id)
    base = _filtered(_scoped(base, principal), f, now)
    keys = _cursor_order(order, now)
    stmt = base.order_by(*(e.desc() if desc else e for e, desc in keys)).limit(first + 1)
    if after:
        stmt = stmt.where(cursors.after(keys, decode_cursor(order, after)))
    async with hub.db.session() as session:
        rows = list((await session.scalars(stmt)).all())
        total = await session.scalar(select(func.count()).select_from(base.subquery())) or 0
    has_next = len(rows) > first
    rows = rows[:first]
    await read_audit.requests_read(hub.db, principal, rows, answered=_answered(rows))
    return RequestPage(rows, [encode_cursor(order, r, now) for r in rows], has_next, total)


async def request_events(db: Database, request_ids: Sequence[str]) -> dict[str, list[RequestEvent]]:
    out: dict[str, list[RequestEvent]] = {rid: [] for rid in request_ids}
    async with db.session() as session:
        rows = await session.scalars(
            select(RequestEvent)
            .where(RequestEvent.request_id.in_(list(request_ids)))
            .order_by(RequestEvent.id)
        )
        for row in rows:
            out[row.request_id].append(row)
    return out


async def requests_for_cases(
    db: Database, case_ids: Sequence[int]
) -> dict[int, list[AssistanceRequest]]:
    """Every request of these cases (callers have already checked the cases are theirs)."""
    out: dict[int, list[AssistanceRequest]] = {cid: [] for cid in case_ids}
    async with db.session() as session:
        rows = await session.scalars(
            select(AssistanceRequest)
            .where(AssistanceRequest.case_id.in_(list(case_ids)))
            .order_by(AssistanceRequest.created_at, AssistanceRequest.id)
        )
        for row in rows:
            out[row.case_id].append(row)
    return out


async def status_counts(
    db: Database, case_ids: Sequence[int]
) -> dict[int, dict[str, tuple[int, int]]]:
    """Per case: status → (requests, of which overdue)."""
    now = utcnow()
    late = case((overdue_clause(now), 1), else_=0)
    out: dict[int, dict[str, tuple[int, int]]] = {cid: {} for cid in case_ids}
    async with db.session() as session:
        rows = await session.execute(
            select(
                AssistanceRequest.case_id,
                AssistanceRequest.status,
                func.count(),
                func.coalesce(func.sum(late), 0),
            )
            .where(AssistanceRequest.case_id.in_(list(case_ids)))
            .group_by(AssistanceRequest.case_id, AssistanceRequest.status)
        )
        for case_id, status, count, overdue in rows:
            out[case_id][status] = (int(count), int(overdue))
    return out


async def expiring_seals(
    hub: HubState, principal: Principal, within_days: int
) -> list[AssistanceRequest]:
    """Completed seals lapsing within ``within_days`` (and not lifted): renew (续封) in time."""
    if not 0 <= within_days <= 3650:
        raise BadUserInput("withinDays", "withinDays must be between 0 and 3650")
    today = clock.today()
    unseal = aliased(AssistanceRequest)
    lifted = exists().where(unseal.unseals_id == AssistanceRequest.id, unseal.status == S.COMPLETED)
    stmt = (
        select(AssistanceRequest)
        .join(Case, Case.id == AssistanceRequest.case_id)
        .where(
            AssistanceRequest.effect == Effect.ENCUMBER.value,
            AssistanceRequest.status == S.COMPLETED,
            # a waiting seal (轮候) has no term of its own until it is promoted
            or_(AssistanceRequest.seal_rank.is_(None), AssistanceRequest.seal_rank != "WAITING"),
            AssistanceRequest.seal_expires_on >= today,
            AssistanceRequest.seal_expires_on <= today + timedelta(days=within_days),
            ~lifted,
        )
        .order_by(AssistanceRequest.seal_expires_on, AssistanceRequest.id)
    )
    async with hub.db.session() as session:
        return list((await session.scalars(_scoped(stmt, principal))).all())


# -- moving -------------------------------------------------------------------------------------


async def _move(
    session: AsyncSession,
    loaded: _Loaded,
    to: RequestStatus,
    actor: Principal | str,
    note: str | None,
    *,
    kind: str | None = None,
    audit_action: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """One transition: the status, its timestamp, an event and an audit entry."""
    row = loaded.row
    if to not in TRANSITIONS[row.status]:
        raise Conflict(f"a {row.status} request cannot become {to.value}")
    now = utcnow()
    previous = row.status
    row.status = to.value
    row.version = (row.version or 0) + 1
    if to is S.DISPATCHED and row.dispatched_at is None:
        row.dispatched_at = now
    elif to is S.ACKNOWLEDGED:
        row.acknowledged_at = now
    elif to in ANSWERED:
        row.answered_at = now
    kind = kind or to.value
    name = actor.actor if isinstance(actor, Principal) else actor
    session.add(RequestEvent(request_id=row.id, at=now, kind=kind, actor=name, note=note))
    await audit.record(
        session,
        actor=actor,
        action=audit_action or f"request.{kind.lower()}",
        purpose=loaded.case.number,
        subject=loaded.party.id_number,
        target=row.id,
        detail={"from": previous, "to": to.value, **(detail or {})},
    )


async def _load(session: AsyncSession, principal: Principal | None, request_id: str) -> _Loaded:
    """The request locked for update (PostgreSQL) and re-read, with its case and subject.

    Re-read even when the session holds it already: another transaction may have
    moved it between that read and this lock.
    """
    row = await session.get(
        AssistanceRequest, request_id, with_for_update=True, populate_existing=True
    )
    case = await session.get(Case, row.case_id) if row is not None else None
    if row is None or case is None:
        raise NotFound("no such assistance request")
    if principal is not None and not policy.can_read_request(principal, row, case):
        raise NotFound("no such assistance request")
    party = await session.get(Party, row.party_id)
    assert party is not None
    return _Loaded(row, case, party)


async def load_for_update(session: AsyncSession, request_id: str) -> _Loaded:
    """For the dispatcher and callbacks, which act for the agency, not a principal."""
    return await _load(session, None, request_id)


def _measure_fields(
    result: dict[str, Any] | None, *, strict: bool
) -> tuple[str | None, date | None]:
    """A measure's rank and expiry from an answer; agencies' bad values are dropped, users'
    refused."""
    result = result or {}
    rank_raw, expiry_raw = result.get("rank"), result.get("expires_on")
    rank: str | None = None
    expires: date | None = None
    if rank_raw is not None:
        rank = str(rank_raw).strip().upper()
        if rank not in SEAL_RANKS:
            if strict:
                raise BadUserInput("result.rank", "a seal ranks FIRST or WAITING")
            rank = None
    if expiry_raw is not None:
        try:
            expires = date.fromisoformat(str(expiry_raw)[:10])
        except ValueError as exc:
            if strict:
                raise BadUserInput("result.expires_on", "expires_on is a date, YYYY-MM-DD") from exc
    if rank == "WAITING":
        expires = None  # a waiting seal runs no term until it is promoted
    return rank, expires


async def _complete(
    session: AsyncSession,
    loaded: _Loaded,
    outcome: str,
    result: dict[str, Any] | None,
    actor: Principal | str,
    *,
    strict: bool,
) -> None:
    row = loaded.row
    effect = row.effect or Effect.NONE.value
    rank, expires = _measure_fields(result, strict=strict)
    if row.status == S.DISPATCHED:  # an answer implies the order was taken
        await _move(session, loaded, S.ACKNOWLEDGED, actor, "acknowledged with the answer")
    await _move(session, loaded, S.COMPLETED, actor, outcome, detail={"outcome": outcome})
    row.outcome = outcome
    row.result = result
    if effect == Effect.ENCUMBER:
        row.seal_rank = rank
        row.seal_expires_on = seals.effective_term(rank, expires, row.term_years)
    elif effect == Effect.LIFT:
        # lifting a first seal promotes the earliest waiting one: ours, if it is
        await seals.apply_promotions(session, row, actor if isinstance(actor, str) else actor.actor)
    elif effect == Effect.RENEW:
        # a renewal keeps the measure's rank and extends its term
        measure_id = row.details.get("seal_request_id")
        measure = await session.get(AssistanceRequest, measure_id) if measure_id else None
        if measure is not None and expires is not None:
            measure.seal_expires_on = expires
            measure.version = (measure.version or 0) + 1


async def _reject(
    session: AsyncSession, loaded: _Loaded, reason: str, actor: Principal | str
) -> None:
    await _move(session, loaded, S.REJECTED, actor, reason)
    loaded.row.outcome = reason
    loaded.row.result = None


async def acknowledge(hub: HubState, principal: Principal, request_id: str) -> AssistanceRequest:
    async with hub.db.transaction() as session:
        loaded = await _load(session, principal, request_id)
        policy.require_answer_request(principal, loaded.row)
        await _move(session, loaded, S.ACKNOWLEDGED, principal, None)
    return loaded.row


async def answer(
    hub: HubState,
    principal: Principal,
    request_id: str,
    outcome: str,
    result: dict[str, Any] | None,
) -> AssistanceRequest:
    """The agency's answer (an empty result is an answer); a SEAL's rank and expiry are kept."""
    outcome = require_text(outcome, field="outcome", max_length=200)
    if result is not None and not isinstance(result, dict):
        raise BadUserInput("result", "result must be a JSON object")
    async with hub.db.transaction() as session:
        loaded = await _load(session, principal, request_id)
        policy.require_answer_request(principal, loaded.row)
        if loaded.row.status not in (S.DISPATCHED, S.ACKNOWLEDGED):
            raise Conflict(f"a {loaded.row.status} request cannot be answered")
        agency = hub.agencies.get(loaded.row.agency_id)
        spec = agency.action(loaded.row.action) if agency is not None else None
        if spec is not None and spec.result is not None:
            result = checked(spec.result, result or {}, "result")
        await _complete(session, loaded, outcome, result, principal, strict=True)
    return loaded.row


async def reject(
    hub: HubState, principal: Principal, request_id: str, reason: str
) -> AssistanceRequest:
    reason = require_text(reason, field="reason", max_length=2000)
    async with hub.db.transaction() as session:
        loaded = await _load(session, principal, request_id)
        policy.require_answer_request(principal, loaded.row)
        await _reject(session, loaded, reason, principal)
    return loaded.row


async def urge(
    hub: HubState, principal: Principal, request_id: str, note: str | None
) -> AssistanceRequest:
    """催办: counted; pushed to an api agency's system, highlighted in a console inbox."""
    if note is not None:
        note = require_text(note, field="note", max_length=2000)
    async with hub.db.transaction() as session:
        loaded = await _load(session, principal, request_id)
        row = loaded.row
        policy.require_manage_case(principal, loaded.case)
        if row.status in FINAL or row.status == S.FAILED:
            raise Conflict(f"a {row.status} request cannot be urged")
        now = utcnow()
        row.urge_count = (row.urge_count or 0) + 1
        row.last_urged_at = now
        row.version = (row.version or 0) + 1
        session.add(
            RequestEvent(request_id=row.id, at=now, kind="URGED", actor=principal.actor, note=note)
        )
        await audit.record(
            session,
            actor=principal,
            action="request.urged",
            purpose=loaded.case.number,
            subject=loaded.party.id_number,
            target=row.id,
            detail={"urge_count": row.urge_count},
        )
        agency = hub.agencies.get(row.agency_id)
        if agency is not None and agency.is_api:
            payload = {"note": note, "request_id": current_request_id()}
            session.add(
                OutboxEntry(request_id=row.id, task="urge", payload=payload, available_at=now)
            )
    wake_dispatcher(hub)
    return row


async def evaluate(
    hub: HubState, principal: Principal, request_id: str, rating: int, comment: str | None
) -> AssistanceRequest:
    """The court's rating of the agency's answer: once, 1 to 5, only after an answer."""
    if not 1 <= rating <= 5:
        raise BadUserInput("rating", "rating is 1 to 5")
    if comment is not None:
        comment = require_text(comment, field="comment", max_length=2000)
    async with hub.db.transaction() as session:
        loaded = await _load(session, principal, request_id)
        row = loaded.row
        policy.require_manage_case(principal, loaded.case)
        if row.status not in ANSWERED:
            raise Conflict("a request is evaluated only after its answer")
        if row.rating is not None:
            raise Conflict("this request is already evaluated")
        row.rating, row.comment = rating, comment
        row.version = (row.version or 0) + 1
        session.add(
            RequestEvent(
                request_id=row.id, kind="EVALUATED", actor=principal.actor, note=f"{rating}/5"
            )
        )
        await audit.record(
            session,
            actor=principal,
            action="request.evaluated",
            purpose=loaded.case.number,
            subject=loaded.party.id_number,
            target=row.id,
            detail={"rating": rating},
        )
    return row


async def cancel(
    hub: HubState, principal: Principal, request_id: str, reason: str
) -> AssistanceRequest:
    reason = require_text(reason, field="reason", max_length=2000)
    async with hub.db.transaction() as session:
        loaded = await _load(session, principal, request_id)
        policy.require_manage_case(principal, loaded.case)
        await _move(session, loaded, S.CANCELLED, principal, reason)
        await session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.request_id == request_id, OutboxEntry.done_at.is_(None))
            .values(done_at=utcnow(), last_error="cancelled")
        )
    return loaded.row


async def resend(hub: HubState, principal: Principal, request_id: str) -> AssistanceRequest:
    """A FAILED request goes out again, with its idempotency key (the agency dedupes)."""
    async with hub.db.transaction() as session:
        loaded = await _load(session, principal, request_id)
        policy.require_manage_case(principal, loaded.case)
        if loaded.row.status != S.FAILED:
            raise Conflict(f"a {loaded.row.status} request cannot be re-sent")
        agency = hub.agencies.get(loaded.row.agency_id)
        if agency is None or not agency.is_api:
            raise Conflict("this agency is no longer reachable by the hub")
        await _move(session, loaded, S.PENDING, principal, None, kind="RESENT")
        loaded.row.failure = None
        # an earlier attempt may have reached the agency: ask before sending
        session.add(
            OutboxEntry(
                request_id=request_id,
                task="deliver",
                payload={"lookup_first": True, "request_id": current_request_id()},
                available_at=utcnow(),
            )
        )
    wake_dispatcher(hub)
    return loaded.row


# -- what the agency reports (dispatcher and callbacks) -------------------------------------------


async def record_dispatch(
    session: AsyncSession, loaded: _Loaded, receipt: DispatchReceipt, *, attempts: int
) -> bool:
    """The agency took the order; ``False`` when the request had moved on meanwhile."""
    row = loaded.row
    if not row.agency_ref:
        row.agency_ref = receipt.agency_ref
    if row.status not in (S.PENDING, S.FAILED):
        return False
    await _move(
        session,
        loaded,
        S.DISPATCHED,
        DISPATCHER_ACTOR,
        f"delivered to {row.agency_id} as {receipt.agency_ref}",
        audit_action="agency.dispatch",
        detail={"attempts": attempts, "agency_ref": receipt.agency_ref},
    )
    row.failure = None
    return True


async def record_failure(
    session: AsyncSession, loaded: _Loaded, reason: str, *, attempts: int
) -> bool:
    """Delivery budget spent: FAILED with the reason, for the court to re-send."""
    if loaded.row.status != S.PENDING:
        return False
    await _move(session, loaded, S.FAILED, DISPATCHER_ACTOR, reason, detail={"attempts": attempts})
    loaded.row.failure = reason
    return True


async def apply_progress(
    session: AsyncSession, loaded: _Loaded, progress: OrderProgress, actor: str
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
        await _move(session, loaded, S.DISPATCHED, actor, "reported by the agency")
        row.failure = None
        changed = True
    if status in ("ACKNOWLEDGED", "COMPLETED") and row.status == S.DISPATCHED:
        await _move(session, loaded, S.ACKNOWLEDGED, actor, None)
        changed = True
    if status == "COMPLETED" and row.status == S.ACKNOWLEDGED:
        outcome = (progress.outcome or "completed")[:200]
        await _complete(session, loaded, outcome, progress.result, actor, strict=False)
        changed = True
    if status == "REJECTED" and row.status in (S.DISPATCHED, S.ACKNOWLEDGED):
        await _reject(session, loaded, (progress.outcome or "rejected by the agency")[:2000], actor)
        changed = True
    return changed


# -- for the services built on requests (credit repair, re-checks) -------------------------------


def validated(hub: HubState, data: RequestData) -> _Clean:
    """``data`` checked as ``create_request`` checks it."""
    return _validate(hub, data)


async def create_in(
    session: AsyncSession,
    hub: HubState,
    principal: Principal,
    clean: _Clean,
    case: Case,
    party: Party,
) -> tuple[AssistanceRequest, bool]:
    """A request created inside the caller's transaction (the caller wakes the dispatcher)."""
    policy.require_respondent(party)
    return await _create_in(session, hub, principal, clean, case, party)
