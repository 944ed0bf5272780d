"""The HR adapter: reads are asynchronous jobs, bearer token.

A read submits a job (``POST /jobs`` → 202 + job id) and polls ``GET /jobs/{id}``
with short, growing sleeps until it is done; the whole read, submission and
polls, stays within the connector policy's deadline (``UpstreamTimeout``
after it). Orders go to ``/assistance`` in the agency's own field names.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from adapters.sdk.base import Adapter
from adapters.sdk.records import (
    Action,
    AssistanceOrder,
    Capability,
    DispatchReceipt,
    EmploymentRecord,
    OrderProgress,
    Subject,
    WageArrearsCase,
    match_kind,
)
from hub.errors import BadUserInput, UpstreamTimeout, UpstreamUnavailable

SHANGHAI = ZoneInfo("Asia/Shanghai")
_STATUSES = {s.lower(): s for s in ("RECEIVED", "ACKNOWLEDGED", "COMPLETED", "REJECTED")}


class HrAdapter(Adapter):
    kind: ClassVar[str] = "hr"
    description: ClassVar[str] = (
        "HR and social insurance (人社): employment, employers' wage arrears; wage assistance"
    )
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.EMPLOYMENT, Capability.WAGE_ARREARS}
    )
    actions: ClassVar[frozenset[Action]] = frozenset({Action.QUERY, Action.WAGE_ASSIST})
    batch_size: ClassVar[int] = 50
    default_auth: ClassVar[str] = "bearer"

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
        job_id = self._json(submitted).get("job_id")
        if not job_id:
            raise UpstreamUnavailable(self.agency_id, "job answer lacks a job id")
        location = submitted.headers.get("location", "")
        path = location if location.startswith("/") else f"/jobs/{_segment(str(job_id))}"
        pause = self.poll_first_s
        while True:
            job = self._json(await self.connector.request("GET", path))
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

    async def dispatch(self, order: AssistanceOrder) -> DispatchReceipt:
        if order.action not in self.actions:
            raise BadUserInput("action", f"{self.agency_id} does not take {order.action.value}")
        body = {
            "reference_no": order.request_id,
            "category": order.action.value,
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
        response = await self.connector.request(
            "POST", "/assistance", json=body, idempotency_key=order.idempotency_key
        )
        return self._receipt(self._json(response))

    async def lookup(self, idempotency_key: str) -> DispatchReceipt | None:
        response = await self.connector.request(
            "GET", "/assistance", params={"idempotency_key": idempotency_key}, ok_statuses={404}
        )
        if response.status_code == 404:
            return None
        return self._receipt(self._json(response))

    async def poll(self, agency_ref: str) -> OrderProgress:
        response = await self.connector.request("GET", f"/assistance/{_segment(agency_ref)}")
        data = self._json(response)
        result = data.get("result")
        return OrderProgress(
            agency_ref=str(data.get("ref") or agency_ref),
            status=self._status(data.get("state")),
            outcome=data.get("outcome"),
            result=result if isinstance(result, dict) else None,
            at=_instant(data.get("updated_at")),
            request_id=data.get("reference_no"),
            idempotency_key=data.get("idempotency_key"),
        )

    async def urge(self, agency_ref: str, note: str | None) -> None:
        await self.connector.request(
            "POST", f"/assistance/{_segment(agency_ref)}/urge", json={"note": note}
        )

    # -- translation --------------------------------------------------------------------------

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise UpstreamUnavailable(self.agency_id, "answer is not a JSON object")
        return data

    def _items(self, body: dict[str, Any], key: str) -> list[dict[str, Any]]:
        items = body.get(key, [])
        if not isinstance(items, list):
            raise UpstreamUnavailable(self.agency_id, f"job result's {key} is not a list")
        return [item for item in items if isinstance(item, dict)]

    def _status(self, raw: object) -> str:
        status = _STATUSES.get(str(raw).lower())
        if status is None:
            raise UpstreamUnavailable(self.agency_id, "unknown order status in answer")
        return status

    def _receipt(self, data: dict[str, Any]) -> DispatchReceipt:
        if not data.get("ref"):
            raise UpstreamUnavailable(self.agency_id, "order answer lacks a reference")
        return DispatchReceipt(str(data["ref"]), self._status(data.get("state")))

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


def _instant(raw: object) -> datetime | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI)


def _segment(value: str) -> str:
    """``value`` as one URL path segment (a reference never splits the path)."""
    return quote(value, safe="")
