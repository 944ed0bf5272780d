"""``TaxAdapter``: the provincial tax bureau's JSON API (HMAC-signed, paginated).

Records come a page at a time from ``GET /v2/taxpayers/records`` with an
opaque ``next_page_token``; the adapter follows tokens to the end, bounded by
``max_pages`` so a misbehaving server cannot keep it looping. The bureau
rate-limits (429 + ``Retry-After``); the connector waits and retries those.
Orders live under ``/v2/assistance``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from adapters.sdk.base import Adapter
from adapters.sdk.config import AgencyConfig
from adapters.sdk.connector import RetryPolicy
from adapters.sdk.declare import CapabilitySpec
from adapters.sdk.errors import UpstreamUnavailable
from adapters.sdk.records import (
    Action,
    AssistanceOrder,
    DispatchReceipt,
    OrderProgress,
    Subject,
    TaxProfile,
    TaxRecord,
)
from adapters.sdk.standard import Capability

RECORDS_PATH = "/v2/taxpayers/records"
ORDERS_PATH = "/v2/assistance"
MAX_PAGE_SIZE = 100  # the bureau's own ceiling


def _money(value: Any) -> Decimal:
    if isinstance(value, float):  # money arrives as strings; a float would already be rounded
        raise ValueError("money given as a binary float")
    try:
        amount = Decimal(str(value if value is not None else "0"))
    except InvalidOperation as exc:
        raise ValueError("malformed amount") from exc
    if not amount.is_finite():
        raise ValueError("malformed amount")
    return amount.quantize(Decimal("0.01"))


def _record(item: Mapping[str, Any]) -> TaxRecord:
    year = item["year"]
    if isinstance(year, bool) or not isinstance(year, int | str):
        raise ValueError("malformed year")
    return TaxRecord(
        year=int(year),
        income=_money(item.get("income")),
        withholder_code=item.get("withholder_code") or None,
        arrears=_money(item.get("arrears")),
    )


def profiles(
    items: Sequence[Mapping[str, Any]], subjects: Sequence[Subject]
) -> dict[str, TaxProfile | None]:
    """Group raw items by taxpayer: records sorted by year, arrears summed; None when none."""
    wanted = {s.id_number.upper(): s.id_number for s in subjects}
    grouped: dict[str, list[TaxRecord]] = defaultdict(list)
    for item in items:
        key = wanted.get(str(item.get("taxpayer_id", "")).upper())
        if key is not None:  # records of taxpayers not asked about are not ours to show
            grouped[key].append(_record(item))
    answer: dict[str, TaxProfile | None] = {}
    for subject in subjects:
        records = sorted(
            grouped.get(subject.id_number, []), key=lambda r: (r.year, r.withholder_code or "")
        )
        arrears = sum((r.arrears for r in records), Decimal("0.00"))
        answer[subject.id_number] = (
            TaxProfile(records=tuple(records), arrears=arrears) if records else None
        )
    return answer


def progress(data: Mapping[str, Any]) -> OrderProgress:
    """The bureau's order document → ``OrderProgress`` (statuses upper-cased)."""
    if not data.get("reference") or not data.get("status"):
        raise ValueError("order document lacks reference or status")
    result = data.get("result")
    updated = data.get("updated_at")
    at = datetime.fromisoformat(updated) if isinstance(updated, str) and updated else None
    return OrderProgress(
        agency_ref=str(data["reference"]),
        status=str(data["status"]).upper(),
        outcome=data.get("outcome"),
        result=result if isinstance(result, dict) else None,
        # A bureau clock without an offset is read as UTC rather than local time.
        at=at.replace(tzinfo=UTC) if at and at.tzinfo is None else at,
        request_id=data.get("request_id"),
        idempotency_key=data.get("idempotency_key"),
    )


class TaxAdapter(Adapter):
    """Tax records of persons and organizations, and tax assistance (协助征税) orders."""

    kind: ClassVar[str] = "tax"
    capabilities: ClassVar[frozenset[CapabilitySpec]] = frozenset({Capability.TAX})
    actions: ClassVar[frozenset[Any]] = frozenset({Action.QUERY, Action.TAX_ASSIST})
    batch_size: ClassVar[int] = 50
    default_auth: ClassVar[str] = "hmac:Tax"
    description: ClassVar[str] = (
        "Tax bureau (JSON, HMAC-signed, paginated, rate-limited): income and arrears by year"
    )

    def __init__(
        self,
        config: AgencyConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        page_size = int(config.extra("page_size", 50))
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"agency {config.id!r} (tax): page_size must be 1..{MAX_PAGE_SIZE}")
        self.page_size = page_size
        self.max_pages = int(config.extra("max_pages", 100))
        super().__init__(config, transport=transport, policy=policy)

    def _malformed(self, what: str) -> UpstreamUnavailable:
        return UpstreamUnavailable(self.agency_id, f"unreadable tax bureau answer: {what}")

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise self._malformed("not JSON") from exc

    # -- reads ----------------------------------------------------------------------------

    async def tax(self, subjects: Sequence[Subject]) -> dict[str, TaxProfile | None]:
        if not subjects:
            return {}
        params: dict[str, str] = {
            "taxpayer_id": ",".join(s.id_number for s in subjects),
            "page_size": str(self.page_size),
        }
        items: list[Mapping[str, Any]] = []
        for _ in range(self.max_pages):
            response = await self.connector.request("GET", RECORDS_PATH, params=params)
            page = self._json(response)
            if not isinstance(page, dict) or not isinstance(page.get("items"), list):
                raise self._malformed("no items")
            items.extend(item for item in page["items"] if isinstance(item, dict))
            token = page.get("next_page_token")
            if not token:
                break
            params = {**params, "page_token": str(token)}
        else:
            raise UpstreamUnavailable(
                self.agency_id, f"records did not end within {self.max_pages} pages"
            )
        try:
            return profiles(items, subjects)
        except (KeyError, ValueError) as exc:
            raise self._malformed(type(exc).__name__) from exc

    # -- orders ---------------------------------------------------------------------------

    async def dispatch(self, order: AssistanceOrder) -> DispatchReceipt:
        if order.action not in self.actions:
            raise ValueError(f"agency {self.agency_id!r} does not take {order.action}")
        body = {
            "request_id": order.request_id,
            "action": order.action,
            "case_number": order.case_number,
            "court": order.court,
            "document_number": order.document_number,
            "subject": {
                "id_number": order.subject.id_number,
                "name": order.subject.name,
                "kind": order.subject.kind.value,
            },
            "details": dict(order.details),
            "callback_url": order.callback_url,
            "due_at": order.due_at.isoformat() if order.due_at else None,
        }
        response = await self.connector.request(
            "POST", ORDERS_PATH, json=body, idempotency_key=order.idempotency_key
        )
        data = self._json(response)
        if not isinstance(data, dict) or not data.get("reference"):
            raise self._malformed("receipt without reference")
        return DispatchReceipt(
            agency_ref=str(data["reference"]), status=str(data.get("status", "received")).upper()
        )

    async def lookup(self, idempotency_key: str) -> DispatchReceipt | None:
        response = await self.connector.request(
            "GET",
            ORDERS_PATH,
            params={"idempotency_key": idempotency_key},
            ok_statuses=frozenset({404}),
        )
        if response.status_code == 404:
            return None
        found = await self._order(response)
        return DispatchReceipt(agency_ref=found.agency_ref, status=found.status)

    async def poll(self, agency_ref: str) -> OrderProgress:
        response = await self.connector.request(
            "GET", f"{ORDERS_PATH}/{quote(agency_ref, safe='')}"
        )
        return await self._order(response)

    async def urge(self, agency_ref: str, note: str | None) -> None:
        await self.connector.request(
            "POST", f"{ORDERS_PATH}/{quote(agency_ref, safe='')}/urge", json={"note": note}
        )

    async def _order(self, response: httpx.Response) -> OrderProgress:
        data = self._json(response)
        try:
            if not isinstance(data, dict):
                raise ValueError("not an object")
            return progress(data)
        except ValueError as exc:
            raise self._malformed("order document") from exc
