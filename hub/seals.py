"""Seal lifecycle: a waiting seal (轮候) takes effect, and starts its term, when promoted.

Lifting the first seal on a record promotes the earliest waiting one (and so
does a deduction that takes all a first freeze held). The agency says which in
its answer to the lift (or deduction): ``result.promoted`` lists the
seals that took effect, each with the record's reference under the same key
the orders use (e.g. ``certificate``), the court and case number of the seal,
and the new term's end (``expires_on``) when the agency gives one. The hub's
own waiting measure on that record for that case becomes FIRST, its term
running to the agency's date or, when none is given, from today for the
action's ``term_years`` (kept on the request at creation).

A promotion the hub did not cause (another court lifted the first seal) is
learned from the dossier: ``promote_from_snapshots`` (run by the worker's
scheduler) looks up each waiting measure's record in the latest dossier
snapshot read after the measure, and promotes it when the record's nested
measures show this case's seal as FIRST.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sdk.declare import Effect
from adapters.sdk.records import Subject, SubjectKind
from adapters.sdk.standard import STANDARD_ACTIONS
from hub import clock
from hub.errors import BadUserInput
from hub.models import AssistanceRequest, Case, DossierSnapshot, Party, RequestEvent
from hub.sources import decode, screen
from hub.state import HubState
from hub.validation import normalize_case_number

PROMOTED = "PROMOTED"
SHANGHAI = clock.SHANGHAI


def local_today() -> date:
    """Terms are counted in the court's calendar days, as the agencies count them."""
    return clock.today()


def add_years(day: date, years: int) -> date:
    """``years`` after ``day``, the last day of February for the 29th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def term_end(start: date, term_years: int | None) -> date | None:
    """The end of a term of ``term_years`` starting ``start``, counted as the registries
    count it."""
    if not term_years:
        return None
    return add_years(start, term_years)


def _date(raw: object) -> date | None:
    try:
        return date.fromisoformat(str(raw)[:10]) if raw else None
    except ValueError:
        return None


def _same_case(a: str, b: object) -> bool:
    try:
        return normalize_case_number(str(b), field="case_number") == a
    except BadUserInput:  # a case number the agency wrote its own way: not ours
        return False


# what a promotion entry says about the seal rather than the record it is on
_SEAL_KEYS = frozenset(
    {"court", "case_number", "rank", "expires_on", "sealed_on", "promoted_on", "registry",
     "document_number", "renewed_on", "amount", "frozen_on"}
)  # fmt: skip


def _label(action: str) -> str:
    """The measure's name for people (查封, 冻结 ...), as the standard actions call it."""
    spec = STANDARD_ACTIONS.get(action)
    return spec.label if spec is not None else "措施"


def _names_record(entry: dict[str, Any], details: dict[str, Any]) -> bool:
    """The entry's record keys (``certificate`` ...) agree with the measure's details."""
    shared = [k for k in entry if k not in _SEAL_KEYS and k in details]
    return bool(shared) and all(str(entry[k]) == str(details[k]) for k in shared)


async def apply_promotions(
    session: AsyncSession, lift: AssistanceRequest, actor: str
) -> list[AssistanceRequest]:
    """The hub's waiting measures the lift's answer promoted, now FIRST with a term."""
    promoted = (lift.result or {}).get("promoted")
    if not isinstance(promoted, list) or not promoted:
        return []
    changed: list[AssistanceRequest] = []
    today = local_today()
    for entry in promoted:
        if not isinstance(entry, dict):
            continue
        rows = await session.execute(
            select(AssistanceRequest, Case)
            .join(Case, Case.id == AssistanceRequest.case_id)
            .where(
                AssistanceRequest.agency_id == lift.agency_id,
                AssistanceRequest.effect == Effect.ENCUMBER.value,
                AssistanceRequest.status == "COMPLETED",
                AssistanceRequest.seal_rank == "WAITING",
            )
            .order_by(AssistanceRequest.created_at)
        )
        for measure, case in rows.all():
            if not _names_record(entry, measure.details or {}):
                continue
            if entry.get("case_number") and not _same_case(case.number, entry["case_number"]):
                continue
            measure.seal_rank = "FIRST"
            measure.seal_expires_on = _date(entry.get("expires_on")) or term_end(
                today, measure.term_years
            )
            measure.version = (measure.version or 0) + 1
            shown = measure.seal_expires_on.isoformat() if measure.seal_expires_on else "未定"
            session.add(
                RequestEvent(
                    request_id=measure.id,
                    kind=PROMOTED,
                    actor=actor,
                    note=f"在先{_label(measure.action)}解除，本案轮候{_label(measure.action)}"
                    f"转为正式{_label(measure.action)}，期限至 {shown}",
                )
            )
            changed.append(measure)
    return changed


def effective_term(rank: str | None, expires: date | None, term_years: int | None) -> date | None:
    """An effective measure's end: the agency's, or ``term_years`` from today when it gave
    none; a waiting one has none."""
    if rank == "WAITING":
        return None
    if expires is not None or rank is None:
        return expires
    return term_end(local_today(), term_years)


def _own_first(record: object, case: Case) -> object | None:
    """This case's effective measure among the record's nested ones (its seals, freezes)."""
    for f in dataclasses.fields(record):  # type: ignore[arg-type]
        for item in getattr(record, f.name) if isinstance(getattr(record, f.name), tuple) else ():
            if (
                getattr(item, "court", None) == case.court_code
                and getattr(item, "rank", None) == "FIRST"
                and _same_case(case.number, getattr(item, "case_number", ""))
            ):
                found: object = item
                return found
    return None


async def promote_from_snapshots(hub: HubState) -> int:
    """Waiting measures the latest dossier reads show as effective, promoted; how many."""
    promoted = 0
    async with hub.db.transaction() as session:
        rows = await session.execute(
            select(AssistanceRequest, Case, Party)
            .join(Case, Case.id == AssistanceRequest.case_id)
            .join(Party, Party.id == AssistanceRequest.party_id)
            .where(
                AssistanceRequest.effect == Effect.ENCUMBER.value,
                AssistanceRequest.status == "COMPLETED",
                AssistanceRequest.seal_rank == "WAITING",
            )
        )
        for measure, case, party in rows.all():
            agency = hub.agencies.get(measure.agency_id)
            spec = agency.action(measure.action) if agency is not None else None
            if agency is None or spec is None or spec.reference is None:
                continue
            capability = next((c for c in agency.capabilities if c.name == spec.capability), None)
            if capability is None or capability.asset is None:
                continue
            snapshot = await session.get(
                DossierSnapshot, (agency.id, capability.name, party.id_number)
            )
            answered = measure.answered_at
            if snapshot is None or (answered is not None and snapshot.fetched_at <= answered):
                continue  # nothing read since the agency said it waits
            subject = Subject(party.id_number, party.name, SubjectKind(party.kind))
            try:
                records = screen(capability, subject, decode(capability, snapshot.payload))
            except ValueError:
                continue
            reference = measure.details.get(spec.reference)
            attribute = capability.asset.reference
            record = next((r for r in records if getattr(r, attribute, None) == reference), None)
            first = _own_first(record, case) if record is not None else None
            if first is None:
                continue
            expires = getattr(first, "expires_on", None)
            measure.seal_rank = "FIRST"
            measure.seal_expires_on = (
                expires
                if isinstance(expires, date)
                else term_end(local_today(), measure.term_years)
            )
            measure.version = (measure.version or 0) + 1
            shown = measure.seal_expires_on.isoformat() if measure.seal_expires_on else "未定"
            session.add(
                RequestEvent(
                    request_id=measure.id,
                    kind=PROMOTED,
                    actor="hub:seals",
                    note=f"{agency.config.name}记载本案轮候{spec.label}已转为正式{spec.label}，"
                    f"期限至 {shown}",
                )
            )
            promoted += 1
    return promoted
