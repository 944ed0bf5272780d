"""The HR adapter: reads are asynchronous jobs, bearer token.

A read submits a job (``POST /jobs`` → 202 + job id) and polls ``GET /jobs/{id}``
with short, growing sleeps until it is done; the whole read, submission and
polls, stays within the connector policy's deadline (``UpstreamTimeout``
after it). Orders go to ``/assistance`` in the agency's own field names.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from adapters.sdk.declare import CapabilitySpec
from adapters.sdk.errors import UpstreamTimeout, UpstreamUnavailable
from adapters.sdk.json_orders import JsonOrderApi, path_segment
from adapters.sdk.records import (
    Action,
    AssistanceOrder,
    EmploymentRecord,
    Subject,
    WageArrearsCase,
    match_kind,
)
from adapters.sdk.standard import Capability


class HrAdapter(JsonOrderApi):
    kind: ClassVar[str] = "hr"
    description: ClassVar[str] = (
        "HR and social insurance (人社): employment, employers' wage arrears; wage assistance"
    )
    capabilities: ClassVar[frozenset[CapabilitySpec]] = frozenset(
        {Capability.EMPLOYMENT, Capability.WAGE_ARREARS}
    )
    actions: ClassVar[frozenset[Any]] = frozenset({Action.QUERY, Action.WAGE_ASSIST})
    batch_size: ClassVar[int] = 50
    default_auth: ClassVar[str] = "bearer"

    orders_path: ClassVar[str] = "/assistance"
    reference_field: ClassVar[str] = "ref"
    status_field: ClassVar[str] = "state"
    request_id_field: ClassVar[str] = "reference_no"

    # Sleeps between job polls: the first is short (jobs take tens of ms), then doubling.
    poll_first_s: ClassVar[float] = 0.01
    poll_max_s: ClassVar[float] = 0.5

    # -- reads --------------------------------------------------------------------------------

    async def employment(self, subjects: Sequence[Subject]) -> dict[str, list[EmploymentRecord]]:
        found: dict[str, list[EmploymentRecord]] = {s.id_number: [] for s in subjects}
        if not subjects:
            return found
        unique = _unique(subjects)
        result = await self._run_job("employment", unique)
        for raw in self._items(result, "records"):
            for subject in unique:
                if match_kind(subject, raw.get("person_id"), None) is not None:
                    found[subject.id_number].append(self._employment(raw))
        return found

    async def wage_arrears(self, subjects: Sequence[Subject]) -> dict[str, list[WageArrearsCase]]:
        """Wage-arrears cases of employers, asked by unified social credit code."""
        found: dict[str, list[WageArrearsCase]] = {s.id_number: [] for s in subjects}
        if not subjects:
            return found
        unique = _unique(subjects)
        result = await self._run_job("wage_arrears", unique)
        for raw in self._items(result, "cases"):
            for subject in unique:
                if match_kind(subject, raw.get("employer_code"), None) is not None:
                    found[subject.id_number].append(self._arrears(raw))
        return found

    async def _run_job(self, job_type: str, subjects: Sequence[Subject]) -> dict[str, Any]:
        deadline = self.connector.policy.deadline_s
        try:
            async with asyncio.timeout(deadline):
                return await self._job(job_type, [s.id_number for s in subjects])
        except TimeoutError as exc:
            raise UpstreamTimeout(
                self.agency_id, f"{job_type} job not done within {deadline:.3g} s"
            ) from exc

    async def _job(self, job_type: str, ids: list[str]) -> dict[str, Any]:
        submitted = await self.connector.request(
            "POST", "/jobs", json={"type": job_type, "subjects": ids}, idempotent=True
        )
        job_id = self.json_object(submitted).get("job_id")
        if not job_id:
            raise UpstreamUnavailable(self.agency_id, "job answer lacks a job id")
        location = submitted.headers.get("location", "")
        path = location if location.startswith("/") else f"/jobs/{path_segment(str(job_id))}"
        pause = self.poll_first_s
        while True:
            job = self.json_object(await self.connector.request("GET", path))
            status = str(job.get("status") or "").lower()
            if status == "done":
                result = job.get("result")
                return result if isinstance(result, dict) else {}
            if status == "failed":
                raise UpstreamUnavailable(self.agency_id, f"{job_type} job failed")
            if status not in ("queued", "running"):
                raise UpstreamUnavailable(self.agency_id, "unknown job status in answer")
            await asyncio.sleep(pause)
            pause = min(pause * 2, self.poll_max_s)

    # -- orders -------------------------------------------------------------------------------

    def order_body(self, order: AssistanceOrder) -> dict[str, Any]:
        return {
            "reference_no": order.request_id,
            "category": order.action,
            "case": {"number": order.case_number, "court": order.court},
            "document_no": order.document_number,
            "subject": {
                "id": order.subject.id_number,
                "name": order.subject.name,
                "type": order.subject.kind.value,
            },
            "details": order.details,
            "callback": order.callback_url,
            "due": order.due_at.isoformat() if order.due_at else None,
        }

    # -- translation --------------------------------------------------------------------------

    def _items(self, body: dict[str, Any], key: str) -> list[dict[str, Any]]:
        items = body.get(key, [])
        if not isinstance(items, list):
            raise UpstreamUnavailable(self.agency_id, f"job result's {key} is not a list")
        return [item for item in items if isinstance(item, dict)]

    def _money(self, raw: object) -> Decimal:
        try:
            return Decimal(str(raw)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError) as exc:
            raise UpstreamUnavailable(self.agency_id, "malformed amount in answer") from exc

    def _employment(self, raw: dict[str, Any]) -> EmploymentRecord:
        return EmploymentRecord(
            employer_name=str(raw.get("employer_name") or ""),
            employer_code=str(raw.get("employer_code") or ""),
            monthly_base=self._money(raw.get("monthly_base")),
            since=_month(raw.get("from")),
            until=_month(raw.get("to")),
        )

    def _arrears(self, raw: dict[str, Any]) -> WageArrearsCase:
        try:
            workers = int(raw.get("workers") or 0)
        except (TypeError, ValueError) as exc:
            raise UpstreamUnavailable(self.agency_id, "malformed worker count") from exc
        return WageArrearsCase(
            employer_code=str(raw.get("employer_code") or ""),
            workers=workers,
            amount=self._money(raw.get("amount")),
            status=str(raw.get("status") or ""),
        )


def _unique(subjects: Sequence[Subject]) -> list[Subject]:
    return list({s.id_number: s for s in subjects}.values())


def _month(raw: object) -> date | None:
    """ "2020-01" (the agency's month precision) or a full date."""
    if not isinstance(raw, str) or not raw:
        return None
    text = raw if len(raw) > 7 else f"{raw}-01"
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None
