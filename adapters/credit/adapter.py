"""The credit adapter: batch JSON, requests signed with ``X-Credit-*`` HMAC headers.

``POST /batch/query`` answers at most 100 subjects per call; a larger batch is
split here. Orders (list as dishonest 失信, restrict consumption 限高, delist)
go to ``/orders`` in the agency's own field names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

from adapters.sdk.declare import CapabilitySpec
from adapters.sdk.errors import UpstreamUnavailable
from adapters.sdk.json_orders import ORDER_STATUSES, JsonOrderApi
from adapters.sdk.records import (
    Action,
    AssistanceOrder,
    CreditEntry,
    CreditStatus,
    Subject,
    match_kind,
)
from adapters.sdk.standard import Capability

AGENCY_MAX_BATCH = 100  # the agency refuses larger batches with a 400


class CreditAdapter(JsonOrderApi):
    kind: ClassVar[str] = "credit"
    description: ClassVar[str] = (
        "Public credit (信用): dishonest and consumption-restriction lists; list, restrict, delist"
    )
    capabilities: ClassVar[frozenset[CapabilitySpec]] = frozenset({Capability.CREDIT})
    actions: ClassVar[frozenset[Any]] = frozenset(
        {
            Action.QUERY,
            Action.LIST_DISHONEST,
            Action.RESTRICT_CONSUMPTION,
            Action.DELIST,
            Action.LIFT_RESTRICTION,
        }
    )
    batch_size: ClassVar[int] = AGENCY_MAX_BATCH
    default_auth: ClassVar[str] = "hmac:Credit"

    orders_path: ClassVar[str] = "/orders"
    reference_field: ClassVar[str] = "order_id"
    status_field: ClassVar[str] = "state"
    request_id_field: ClassVar[str] = "ref_no"
    status_map: ClassVar[Mapping[str, str]] = {s: s for s in ORDER_STATUSES}
    missing_reference: ClassVar[str] = "order answer lacks an order id"

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
            results = self.json_object(response).get("results")
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

    def order_body(self, order: AssistanceOrder) -> dict[str, Any]:
        return {
            "order_type": order.action,
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

    # -- translation --------------------------------------------------------------------------

    @staticmethod
    def fold_status(raw: object) -> str:
        return str(raw).upper()

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
