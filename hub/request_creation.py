"""Creating assistance requests: validating what the court asks (agency, action,
document, details), idempotency keys, the measure a LIFT or RENEW acts on, and the
outbox row an ``api`` agency's delivery starts from. ``console`` agencies have no
system to push to: their requests start DISPATCHED, waiting in the console inbox.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sdk.declare import ActionSpec, Effect
from hub import audit, decisions, due, ownership, policy, prerequisites
from hub.agencies import Agency
from hub.cases import find_cases, managed_respondent, respondent_in
from hub.errors import BadUserInput, Conflict, NotFound
from hub.group_commit import Check, Done, GroupCommit, Step
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
from hub.principal import Principal
from hub.request_measures import measure_acted_on
from hub.request_states import Loaded, S, move, wake_dispatcher
from hub.state import HubState, Slot
from hub.validation import parse_case_number, require_text

MAX_DETAILS_BYTES = 16 * 1024


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
class CleanRequest:
    """A validated ``RequestData`` (``validated``), ready to create."""

    agency: Agency
    action: str
    spec: ActionSpec
    document_number: str | None
    details: dict[str, Any]
    key: str
    key_given: bool = True  # False: the hub drew ``key`` itself, so no request can have it yet


def _validate(hub: HubState, data: RequestData) -> CleanRequest:
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
    return CleanRequest(
        agency=agency,
        action=spec.name,
        spec=spec,
        document_number=document,
        details=plain,
        key=key or str(uuid.uuid4()),
        key_given=bool(key),
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


def body_hash(case: Case, party: Party, clean: CleanRequest) -> str:
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


@dataclass(frozen=True)
class _Checked:
    """A creation that passed its checks: what ``_write`` turns into rows."""

    clean: CleanRequest
    case: Case
    party: Party
    digest: str
    details: dict[str, Any]
    unseals: str | None
    clue_id: int | None


async def _check(
    session: AsyncSession,
    clean: CleanRequest,
    case: Case,
    party: Party,
    *,
    clue_id: int | None = None,
) -> _Checked | AssistanceRequest:
    """Every check a creation passes, reading only: the request this idempotency key
    already made, or what to write. Refusals (``HubError``) are raised here."""
    digest = body_hash(case, party, clean)
    existing = await _by_key(session, clean.key, digest) if clean.key_given else None
    if existing is not None:
        return existing
    await ownership.require_confirmed(session, clean.agency, clean.spec, case, party, clean.details)
    await prerequisites.require_met(session, clean.spec, case, clean.details)
    decisions.check_details(clean.spec, clean.details)
    details = dict(clean.details)
    unseals: str | None = None
    if clean.spec.effect in (Effect.LIFT, Effect.RENEW):
        measure = await measure_acted_on(session, case, party, clean)
        if clean.spec.effect is Effect.LIFT:
            unseals = measure.id
        # the agency needs to know what to act on: the measure's own details, unless overridden
        details = {**measure.details, **details, "seal_request_id": measure.id}
    return _Checked(clean, case, party, digest, details, unseals, clue_id)


async def _write(
    session: AsyncSession,
    hub: HubState,
    principal: Principal,
    checked: _Checked,
    audits: list[audit.AuditRecord] | None = None,
    log_id: str | None = None,
) -> AssistanceRequest:
    """The request, its events, audit entry and outbox row. The entry is recorded now,
    or added to ``audits`` for the caller to record with others. ``log_id``: the id of
    the HTTP request that asked for it (the current one by default), which the
    delivery's log lines carry."""
    clean, case, party = checked.clean, checked.case, checked.party
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
        details=checked.details,
        idempotency_key=clean.key,
        body_hash=checked.digest,
        clue_id=checked.clue_id,
        unseals_id=checked.unseals,
        created_by=principal.actor,
        created_at=now,
        due_at=due.due_at(hub.settings.due_days, agency.config, clean.spec, now),
        urge_count=0,
        version=1,
        term_years=clean.spec.term_years,
    )
    session.add(row)
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
    entry = audit.AuditRecord(
        actor=principal,
        action="request.created",
        purpose=case.number,
        subject=party.id_number,
        target=row.id,
        detail={"agency": agency.id, "action": clean.action, "channel": agency.config.channel},
    )
    if audits is None:
        await audit.record_many(session, [entry])
    else:
        audits.append(entry)
    if agency.is_api:
        payload = {"request_id": log_id or current_request_id()}
        session.add(
            OutboxEntry(request_id=row.id, task="deliver", payload=payload, available_at=now)
        )
    else:
        row.dispatched_at = now
        loaded = Loaded(row, case, party)
        await move(session, loaded, S.DISPATCHED, principal.actor, "waiting in the console inbox")
    return row


async def _create_in(
    session: AsyncSession,
    hub: HubState,
    principal: Principal,
    clean: CleanRequest,
    case: Case,
    party: Party,
    *,
    clue_id: int | None = None,
) -> tuple[AssistanceRequest, bool]:
    """The request, its events, audit and outbox row; ``(row, created)``."""
    checked = await _check(session, clean, case, party, clue_id=clue_id)
    if isinstance(checked, AssistanceRequest):
        return checked, False
    return await _write(session, hub, principal, checked), True


@dataclass(frozen=True)
class _Job:
    principal: Principal
    data: RequestData
    clean: CleanRequest
    log_id: str | None  # the asking HTTP request's id (the batch runs in a task of its own)


# (the request, its case, whether this job created it)
_Made = tuple[AssistanceRequest, Case, bool]


def _batcher(hub: HubState) -> GroupCommit[_Job, _Made]:
    async def open_batch(session: AsyncSession, jobs: list[_Job]) -> Check[_Job, _Made]:
        # the batch's cases in one statement; a number that does not parse is refused
        # by its own job's check, as ``managed_respondent`` refuses it
        numbers: dict[int, str] = {}
        for job in jobs:
            with contextlib.suppress(BadUserInput):
                numbers[id(job)] = parse_case_number(job.data.case_number).text
        cases = await find_cases(session, set(numbers.values()))

        async def check(job: _Job) -> Step[_Made]:
            number = numbers.get(id(job))
            if number is None:
                case, party = await _case_and_party(session, job.principal, job.data)
            else:
                case, party = respondent_in(
                    job.principal,
                    cases.get(number),
                    job.data.subject_id_number,
                    field="subjectIdNumber",
                )
            checked = await _check(session, job.clean, case, party)
            if isinstance(checked, AssistanceRequest):
                return Done((checked, case, False))

            async def write(audits: list[audit.AuditRecord]) -> _Made:
                row = await _write(session, hub, job.principal, checked, audits, job.log_id)
                return row, case, True

            return write

        return check

    return hub.setdefault(BATCHER, lambda: GroupCommit(hub.db, open_batch))


BATCHER: Slot[GroupCommit[_Job, _Made]] = Slot("request_creation.batcher")


async def create_request(
    hub: HubState, principal: Principal, data: RequestData
) -> AssistanceRequest:
    """Create (or, for a known idempotency key and the same body, return) a request."""
    row, _ = await create_request_of_case(hub, principal, data)
    return row


async def create_request_of_case(
    hub: HubState, principal: Principal, data: RequestData
) -> tuple[AssistanceRequest, Case]:
    """``create_request``, with the request's case (its parties loaded) for the answer."""
    policy.require_court_officer(principal)
    clean = _validate(hub, data)
    try:
        job = _Job(principal, data, clean, current_request_id())
        row, case, created = await _batcher(hub).submit(job)
    except IntegrityError:
        # the same key, created concurrently by another process: that transaction won
        async with hub.db.session() as session:
            case, party = await _case_and_party(session, principal, data)
            existing = await _by_key(session, clean.key, body_hash(case, party, clean))
        if existing is None:
            raise
        return existing, case
    if created:
        wake_dispatcher(hub)
    return row, case


async def _case_and_party(
    session: AsyncSession, principal: Principal, data: RequestData
) -> tuple[Case, Party]:
    return await managed_respondent(
        session, principal, data.case_number, data.subject_id_number, field="subjectIdNumber"
    )


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


def validated(hub: HubState, data: RequestData) -> CleanRequest:
    """``data`` checked as ``create_request`` checks it."""
    return _validate(hub, data)


async def create_in(
    session: AsyncSession,
    hub: HubState,
    principal: Principal,
    clean: CleanRequest,
    case: Case,
    party: Party,
) -> tuple[AssistanceRequest, bool]:
    """A request created inside the caller's transaction (the caller wakes the dispatcher)."""
    policy.require_respondent(party)
    return await _create_in(session, hub, principal, clean, case, party)
