"""``RealEstateAdapter``: one real-estate registry (不动产登记中心), spoken to in XML.

Several registries may run behind one server; each agency instance names its
own by ``registry = "350600"`` in ``hub.toml`` and every path carries it:
``/registries/{code}/query``, ``/registries/{code}/orders[/{ref}[/urge]]``.
The registry searches by ID number *or* by name, so it returns same-name
owners (重名) and owner-less records too; ``records.match_kind`` sorts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import BaseModel

from adapters.realestate import _xml, orders
from adapters.sdk.base import Adapter
from adapters.sdk.declare import CapabilitySpec
from adapters.sdk.errors import UpstreamRejected, UpstreamUnavailable
from adapters.sdk.records import (
    Action,
    AssistanceOrder,
    DispatchReceipt,
    OrderProgress,
    RealEstateHolding,
    Subject,
)
from adapters.sdk.standard import Capability

_XML_HEADERS = {"Content-Type": _xml.XML_CONTENT_TYPE, "Accept": "application/xml"}


class RealEstateAdapter(Adapter):
    """Reads holdings of subjects and places seals (查封) with one registry."""

    kind: ClassVar[str] = "realestate"
    capabilities: ClassVar[frozenset[CapabilitySpec]] = frozenset({Capability.REAL_ESTATE})
    actions: ClassVar[frozenset[Any]] = frozenset(
        {Action.QUERY, Action.SEAL, Action.UNSEAL, Action.RENEW_SEAL, Action.TRANSFER}
    )
    action_details: ClassVar[dict[str, type[BaseModel]]] = {
        Action.SEAL: orders.PropertyDetails,
        Action.UNSEAL: orders.UnsealDetails,
        Action.RENEW_SEAL: orders.PropertyDetails,
        Action.TRANSFER: orders.TransferDetails,
    }
    action_results: ClassVar[dict[str, type[BaseModel]]] = {
        Action.SEAL: orders.SealResult,
        Action.RENEW_SEAL: orders.SealResult,
        Action.TRANSFER: orders.TransferResult,
    }
    action_overrides: ClassVar[dict[str, dict[str, Any]]] = {
        name: {"capability": Capability.REAL_ESTATE.name, "reference": "certificate"}
        for name in (Action.SEAL, Action.UNSEAL, Action.RENEW_SEAL, Action.TRANSFER)
    }
    action_overrides[Action.SEAL]["term_years"] = 3
    action_overrides[Action.RENEW_SEAL]["term_years"] = 3
    required_config: ClassVar[tuple[str, ...]] = ("registry",)
    batch_size: ClassVar[int] = 50
    default_auth: ClassVar[str] = "basic"
    description: ClassVar[str] = (
        "Real-estate registry (XML over HTTP, Basic auth): holdings by ID number or name, "
        "seals with rank first / waiting"
    )

    @property
    def registry(self) -> str:
        return str(self.config.extra("registry"))

    @property
    def _base(self) -> str:
        return f"/registries/{quote(self.registry, safe='')}"

    def _malformed(self, exc: ValueError) -> UpstreamUnavailable:
        return UpstreamUnavailable(self.agency_id, f"unreadable registry answer: {exc}")

    # -- reads ----------------------------------------------------------------------------

    async def real_estate(self, subjects: Sequence[Subject]) -> dict[str, list[RealEstateHolding]]:
        if not subjects:
            return {}
        response = await self.connector.request(
            "POST",
            f"{self._base}/query",
            content=_xml.query_request(subjects),
            headers=_XML_HEADERS,
            idempotent=True,  # a search sent as POST: safe to repeat
        )
        try:
            return _xml.parse_query_response(response.content, subjects, self.registry)
        except ValueError as exc:
            raise self._malformed(exc) from exc

    # -- orders ---------------------------------------------------------------------------

    async def dispatch(self, order: AssistanceOrder) -> DispatchReceipt:
        if order.action not in self.actions:
            raise ValueError(f"agency {self.agency_id!r} does not take {order.action}")
        response = await self.connector.request(
            "POST",
            f"{self._base}/orders",
            content=_xml.order_request(order),
            headers=_XML_HEADERS,
            idempotency_key=order.idempotency_key,
        )
        try:
            return _xml.parse_receipt(response.content)
        except ValueError as exc:
            raise self._malformed(exc) from exc

    async def lookup(self, idempotency_key: str) -> DispatchReceipt | None:
        response = await self.connector.request(
            "GET",
            f"{self._base}/orders",
            params={"idempotencyKey": idempotency_key},
            headers={"Accept": "application/xml"},
            ok_statuses=frozenset({404}),
        )
        if response.status_code == 404:
            # Only "no such order" means "not received"; an unknown registry is a config fault.
            if _xml.error_text(response.content) != "NOT_FOUND":
                raise UpstreamRejected(self.agency_id, "registry refused the lookup (HTTP 404)")
            return None
        try:
            progress = _xml.parse_order_status(response.content)
        except ValueError as exc:
            raise self._malformed(exc) from exc
        return DispatchReceipt(agency_ref=progress.agency_ref, status=progress.status)

    async def poll(self, agency_ref: str) -> OrderProgress:
        response = await self.connector.request(
            "GET",
            f"{self._base}/orders/{quote(agency_ref, safe='')}",
            headers={"Accept": "application/xml"},
        )
        try:
            return _xml.parse_order_status(response.content)
        except ValueError as exc:
            raise self._malformed(exc) from exc

    async def urge(self, agency_ref: str, note: str | None) -> None:
        await self.connector.request(
            "POST",
            f"{self._base}/orders/{quote(agency_ref, safe='')}/urge",
            content=_xml.urge_request(note),
            headers=_XML_HEADERS,
        )
