"""The credit adapter: batch JSON, requests signed with ``X-Credit-*`` HMAC headers.

``POST /batch/query`` answers at most 100 subjects per call; a larger batch is
split here. Orders (list as dishonest 失信, restrict consumption 限高, delist)
go to ``/orders`` in the agency's own field names.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, ClassVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from adapters.sdk.base import Adapter
from adapters.sdk.records import (
    Action,
    AssistanceOrder,
    Capability,
    CreditEntry,
    CreditStatus,
    DispatchReceipt,
    OrderProgress,
    Subject,
    match_kind,
)
from hub.errors import BadUserInput, UpstreamUnavailable

AGENCY_MAX_BATCH = 100  # the agency refuses larger batches with a 400
SHANGHAI = ZoneInfo("Asia/Shanghai")
_STATUSES = frozenset({"RECEIVED", "ACKNOWLEDGED", "COMPLETED", "REJECTED"})


class CreditAdapter(Adapter):
    kind: ClassVar[str] = "credit"
    description: ClassVar[str] = (
        "Public credit (信用): dishonest and consumption-restriction lists; list, restrict, delist"
    )
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.CREDIT})
    actions: ClassVar[frozenset[Action]] = frozenset(
        {Action.QUERY, Action.LIST_DISHONEST, Action.RESTRICT_CONSUMPTION, Action.DELIST}
    )
    batch_size: ClassVar[int] = AGENCY_MAX_BATCH
    default_auth: ClassVar[str] = "hmac:Credit"

    # -- reads --------------------------------------------------------------------------------

    async def credit(self, subjects: Sequence[Subject]) -> dict[str, CreditStatus]:
        entries: dict[str, list[CreditEntry]] = {s.id_number: [] for s in subjects}
        unique = list({s.id_number: s for s in subjects}.values())
        size = max(1, min(self.max_batch, AGENCY_MAX_BATCH))
        for start in range(0, len(unique), size):
            chunk = unique[start : start + size]
            response = await self.connector.request(
                "POST",
                "/batch/query",
                json={"subjects": [s.id_number for s in chunk]},
                idempotent=True,
            )
            results = self._json(response).get("results")
            if not isinstance(results, list):
                raise UpstreamUnavailable(self.agency_id, "answer lacks the results list")
            for raw in results:
                if not isinstance(raw, dict):
                    continue
                for subject in chunk:
                    if match_kind(subject, raw.get("subject_id"), None) is not None:
                        entries[subject.id_number].extend(
                            self._entry(e) for e in raw.get("entries") or [] if isinstance(e, dict)
                        )
        return {
            key: CreditStatus(listed=bool(found), entries=tuple(found))
            for key, found in entries.items()
        }

    # -- orders -------------------------------------------------------------------------------

    async def dispatch(self, order: AssistanceOrder) -> DispatchReceipt:
        if order.action not in self.actions:
            raise BadUserInput("action", f"{self.agency_id} does not take {order.action.value}")
        body = {
            "order_type": order.action.value,
            "ref_no": order.request_id,
            "court_code": order.court,
            "case_no": order.case_number,
            "doc_no": order.document_number,
            "subject": {
                "subject_id": order.subject.id_number,
                "subject_name": order.subject.name,
                "subject_type": order.subject.kind.value,
            },
            "params": order.details,
            "callback_url": order.callback_url,
            "due_date": order.due_at.isoformat() if order.due_at else None,
        }
        response = await self.connector.request(
            "POST", "/orders", json=body, idempotency_key=order.idempotency_key
        )
        return self._receipt(self._json(response))

    async def lookup(self, idempotency_key: str) -> DispatchReceipt | None:
        response = await self.connector.request(
            "GET", "/orders", params={"idempotency_key": idempotency_key}, ok_statuses={404}
        )
        if response.status_code == 404:
            return None
        return self._receipt(self._json(response))

    async def poll(self, agency_ref: str) -> OrderProgress:
        data = self._json(await self.connector.request("GET", f"/orders/{_segment(agency_ref)}"))
        result = data.get("result")
        return OrderProgress(
            agency_ref=str(data.get("order_id") or agency_ref),
            status=self._status(data.get("state")),
            outcome=data.get("outcome"),
            result=result if isinstance(result, dict) else None,
            at=_instant(data.get("updated_at")),
            request_id=data.get("ref_no"),
            idempotency_key=data.get("idempotency_key"),
        )

    async def urge(self, agency_ref: str, note: str | None) -> None:
        await self.connector.request(
            "POST", f"/orders/{_segment(agency_ref)}/urge", json={"note": note}
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

    def _status(self, raw: object) -> str:
        status = str(raw).upper()
        if status not in _STATUSES:
            raise UpstreamUnavailable(self.agency_id, "unknown order status in answer")
        return status

    def _receipt(self, data: dict[str, Any]) -> DispatchReceipt:
        if not data.get("order_id"):
            raise UpstreamUnavailable(self.agency_id, "order answer lacks an order id")
        return DispatchReceipt(str(data["order_id"]), self._status(data.get("state")))

    @staticmethod
    def _entry(raw: dict[str, Any]) -> CreditEntry:
        measures = raw.get("measures") or []
        return CreditEntry(
            list=str(raw.get("list") or ""),
            court=str(raw.get("court") or ""),
            case_number=str(raw.get("case_number") or ""),
            listed_on=_day(raw.get("listed_on")),
            measures=tuple(str(m) for m in measures) if isinstance(measures, list) else (),
        )


def _day(raw: object) -> date | None:
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw[:10])
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
