"""Assistance orders over a JSON REST resource: the plumbing most agencies share.

An agency that takes orders as ``POST {orders_path}`` (with an
``Idempotency-Key``), finds them again by ``GET {orders_path}?{key}=...``
(404 when unknown), reports on ``GET {orders_path}/{ref}`` and takes 催办 on
``POST {orders_path}/{ref}/urge`` needs only to name its fields::

    class CustomsAdapter(JsonOrderApi):
        orders_path = "/orders"
        reference_field = "order_id"
        status_field = "state"
        request_id_field = "ref_no"

        def order_body(self, order: AssistanceOrder) -> dict[str, Any]:
            return {"ref_no": order.request_id, ...}
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from adapters.sdk.base import Adapter
from adapters.sdk.errors import BadUserInput, UpstreamUnavailable
from adapters.sdk.records import AssistanceOrder, DispatchReceipt, OrderProgress

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the agencies' clock, when they omit an offset
ORDER_STATUSES = ("RECEIVED", "ACKNOWLEDGED", "COMPLETED", "REJECTED")


class JsonOrderApi(Adapter):
    """``dispatch``, ``lookup``, ``poll`` and ``urge`` from the agency's conventions."""

    orders_path: ClassVar[str] = "/orders"
    reference_field: ClassVar[str] = "reference"  # the agency's order reference
    status_field: ClassVar[str] = "status"
    request_id_field: ClassVar[str] = "request_id"  # the hub's request id, echoed back
    idempotency_param: ClassVar[str] = "idempotency_key"  # lookup's query parameter
    # The agency's status, folded by ``fold_status``, to the hub's.
    status_map: ClassVar[Mapping[str, str]] = {s.lower(): s for s in ORDER_STATUSES}
    missing_reference: ClassVar[str] = "order answer lacks a reference"

    def order_body(self, order: AssistanceOrder) -> dict[str, Any]:
        """The order in the agency's own field names."""
        raise self._missing("order_body")

    async def dispatch(self, order: AssistanceOrder) -> DispatchReceipt:
        if order.action not in self.actions:
            raise BadUserInput("action", f"{self.agency_id} does not take {order.action}")
        response = await self.connector.request(
            "POST",
            self.orders_path,
            json=self.order_body(order),
            idempotency_key=order.idempotency_key,
        )
        return self.receipt(self.json_object(response))

    async def lookup(self, idempotency_key: str) -> DispatchReceipt | None:
        response = await self.connector.request(
            "GET",
            self.orders_path,
            params={self.idempotency_param: idempotency_key},
            ok_statuses={404},
        )
        if response.status_code == 404:
            return None
        return self.receipt(self.json_object(response))

    async def poll(self, agency_ref: str) -> OrderProgress:
        response = await self.connector.request(
            "GET", f"{self.orders_path}/{path_segment(agency_ref)}"
        )
        data = self.json_object(response)
        result = data.get("result")
        return OrderProgress(
            agency_ref=str(data.get(self.reference_field) or agency_ref),
            status=self.order_status(data.get(self.status_field)),
            outcome=data.get("outcome"),
            result=result if isinstance(result, dict) else None,
            at=parse_instant(data.get("updated_at")),
            request_id=data.get(self.request_id_field),
            idempotency_key=data.get("idempotency_key"),
        )

    async def urge(self, agency_ref: str, note: str | None) -> None:
        await self.connector.request(
            "POST", f"{self.orders_path}/{path_segment(agency_ref)}/urge", json={"note": note}
        )

    # -- translation --------------------------------------------------------------------------

    def json_object(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise UpstreamUnavailable(self.agency_id, "answer is not a JSON object")
        return data

    @staticmethod
    def fold_status(raw: object) -> str:
        return str(raw).lower()

    def order_status(self, raw: object) -> str:
        status = self.status_map.get(self.fold_status(raw))
        if status is None:
            raise UpstreamUnavailable(self.agency_id, "unknown order status in answer")
        return status

    def receipt(self, data: dict[str, Any]) -> DispatchReceipt:
        if not data.get(self.reference_field):
            raise UpstreamUnavailable(self.agency_id, self.missing_reference)
        return DispatchReceipt(
            str(data[self.reference_field]), self.order_status(data.get(self.status_field))
        )


def parse_instant(raw: object) -> datetime | None:
    """An ISO instant; one without an offset is Asia/Shanghai time."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI)


def path_segment(value: str) -> str:
    """``value`` as one URL path segment (a reference never splits the path)."""
    return quote(value, safe="")
