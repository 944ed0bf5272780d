"""The adapter interface: what the hub asks of every agency kind.

An adapter speaks one agency kind's own protocol and hands the hub
hub-neutral records (``adapters.sdk.records``). It knows no database and no
GraphQL. Subclasses declare, at class level::

    kind = "police"                                   # the entry-point name
    capabilities = frozenset({Capability.VEHICLES, Capability.WHEREABOUTS})
    actions = frozenset({Action.LOCATE_PERSON, Action.CONTROL_VEHICLE})
    batch_size = 50                                   # most subjects per upstream call
    default_auth = "bearer"                           # connector auth style

and implement the batch method named by each declared capability:

    async def vehicles(self, subjects: Sequence[Subject]) -> dict[str, list[Vehicle]]

Batch methods take up to ``batch_size`` subjects (the hub chunks larger
batches) and return **one entry per subject**, keyed by ``id_number``: an
empty list (or ``None`` for single-valued capabilities) when the agency knows
nothing, never a missing key, never an error. Records found by name alone
carry ``matched_by = NAME_ONLY``; records of another ID number are dropped
(``records.match_kind`` decides).

Failures raise ``hub.errors.UpstreamError`` subclasses naming the agency,
never the citizen; the connector does that for HTTP. Writes are dispatched
with the order's idempotency key so a repeated delivery has no second effect.

A method the adapter does not provide raises ``NotImplementedError`` naming
it. ``aclose`` releases connections.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

import httpx

from adapters.sdk.config import AgencyConfig
from adapters.sdk.connector import Connector, RetryPolicy
from adapters.sdk.records import (
    Action,
    AssistanceOrder,
    Capability,
    CreditStatus,
    DispatchReceipt,
    EmploymentRecord,
    OrderProgress,
    RealEstateHolding,
    Subject,
    TaxProfile,
    Vehicle,
    WageArrearsCase,
    Whereabouts,
)


class Adapter:
    kind: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    actions: ClassVar[frozenset[Action]] = frozenset()
    batch_size: ClassVar[int] = 50
    default_auth: ClassVar[str] = "bearer"
    description: ClassVar[str] = ""

    def __init__(
        self,
        config: AgencyConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.config = config
        self.connector = Connector(
            config,
            transport=transport,
            policy=policy,
            auth=config.auth or self.default_auth,
        )

    @property
    def agency_id(self) -> str:
        return self.config.id

    @property
    def max_batch(self) -> int:
        return self.config.batch_size or self.batch_size

    def _missing(self, name: str) -> NotImplementedError:
        return NotImplementedError(
            f"{type(self).__name__} ({self.kind!r}) does not implement {name}"
        )

    # -- reads: one entry per subject ---------------------------------------------------------

    async def real_estate(self, subjects: Sequence[Subject]) -> dict[str, list[RealEstateHolding]]:
        raise self._missing("real_estate")

    async def vehicles(self, subjects: Sequence[Subject]) -> dict[str, list[Vehicle]]:
        raise self._missing("vehicles")

    async def whereabouts(self, subjects: Sequence[Subject]) -> dict[str, Whereabouts | None]:
        raise self._missing("whereabouts")

    async def tax(self, subjects: Sequence[Subject]) -> dict[str, TaxProfile | None]:
        raise self._missing("tax")

    async def employment(self, subjects: Sequence[Subject]) -> dict[str, list[EmploymentRecord]]:
        raise self._missing("employment")

    async def wage_arrears(self, subjects: Sequence[Subject]) -> dict[str, list[WageArrearsCase]]:
        raise self._missing("wage_arrears")

    async def credit(self, subjects: Sequence[Subject]) -> dict[str, CreditStatus]:
        raise self._missing("credit")

    async def fetch(self, capability: Capability, subjects: Sequence[Subject]) -> dict[str, Any]:
        """Call the batch method named by ``capability``."""
        if capability not in self.capabilities:
            raise self._missing(capability.value)
        method = getattr(self, capability.value)
        result: dict[str, Any] = await method(subjects)
        return result

    # -- assistance orders --------------------------------------------------------------------

    async def dispatch(self, order: AssistanceOrder) -> DispatchReceipt:
        """Deliver ``order``; sent with ``Idempotency-Key: order.idempotency_key``."""
        raise self._missing("dispatch")

    async def lookup(self, idempotency_key: str) -> DispatchReceipt | None:
        """The agency's receipt for an order sent earlier with this key, if it has one.

        The dispatcher asks before re-sending an order whose earlier attempt
        may have reached the agency (a crash or a timeout), so that the agency
        sees each order once.
        """
        raise self._missing("lookup")

    async def poll(self, agency_ref: str) -> OrderProgress:
        """The order's progress, for agencies whose callbacks do not come."""
        raise self._missing("poll")

    async def urge(self, agency_ref: str, note: str | None) -> None:
        """Tell the agency the court is waiting (催办)."""
        raise self._missing("urge")

    def parse_callback(self, body: bytes) -> OrderProgress:
        """Read a verified callback body; the default is the hub's own format.

        ``{"event_id", "timestamp", "agency_ref", "request_id", "idempotency_key",
        "status", "outcome", "result"}``. Raises ``ValueError`` when malformed.
        """
        data = json.loads(body)
        if not isinstance(data, dict) or not data.get("agency_ref") or not data.get("status"):
            raise ValueError("callback body lacks agency_ref or status")
        at = data.get("timestamp")
        result = data.get("result")
        return OrderProgress(
            agency_ref=str(data["agency_ref"]),
            status=str(data["status"]).upper(),
            outcome=data.get("outcome"),
            result=result if isinstance(result, dict) else None,
            at=datetime.fromisoformat(at) if isinstance(at, str) else None,
            request_id=data.get("request_id"),
            idempotency_key=data.get("idempotency_key"),
            event_id=data.get("event_id"),
        )

    async def aclose(self) -> None:
        await self.connector.aclose()
