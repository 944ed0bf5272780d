"""The adapter interface: what the hub asks of every agency kind.

An adapter speaks one agency kind's own protocol and hands the hub
hub-neutral records. It knows no database and no GraphQL. Subclasses
declare, at class level (``adapters.sdk.declare`` says what each means)::

    kind = "bank"                                     # the entry-point name
    capabilities = frozenset({BANK_ACCOUNTS})         # CapabilitySpecs it can read
    actions = frozenset({Action.FREEZE, Action.DEDUCT, MY_OWN_ACTION_SPEC})
    action_details = {"FREEZE": FreezeDetails}        # pydantic models, checked at creation
    action_results = {"FREEZE": FreezeResult}         # the answer's shape
    action_overrides = {"FREEZE": {"reference": "account", "term_years": 1}}
    batch_size = 50                                   # most subjects per upstream call
    default_auth = "bearer"                           # connector auth style

and implement the batch method named by each declared capability:

    async def bank_accounts(self, subjects: Sequence[Subject]) -> dict[str, list[BankAccount]]

Batch methods take up to ``batch_size`` subjects (the hub chunks larger
batches) and return **one entry per subject**, keyed by ``id_number``: an
empty list (or ``None`` for single-valued capabilities) when the agency knows
nothing, never a missing key, never an error. Records found by name alone
carry ``matched_by = NAME_ONLY``; records of another ID number are dropped
(``records.match_kind`` decides, and the hub checks again).

Failures raise ``adapters.sdk.errors.UpstreamError`` subclasses naming the
agency, never the citizen; the connector does that for HTTP. Writes are
dispatched with the order's idempotency key so a repeated delivery has no
second effect. Whatever the agency reports of an order — by callback or when
polled — reaches the hub only through ``parse_callback`` / ``poll``, so the
adapter translates it (its units, its codes) in one place.

A method the adapter does not provide raises ``NotImplementedError`` naming
it. ``aclose`` releases connections.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel

from adapters.sdk.config import AgencyConfig
from adapters.sdk.connector import Connector, RetryPolicy
from adapters.sdk.declare import ActionSpec, CapabilitySpec, resolve_actions
from adapters.sdk.records import AssistanceOrder, DispatchReceipt, OrderProgress, Subject
from adapters.sdk.standard import STANDARD_ACTIONS


class Adapter:
    kind: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[CapabilitySpec]] = frozenset()
    actions: ClassVar[frozenset[Any]] = frozenset()  # names (str) and ActionSpecs
    action_details: ClassVar[dict[str, type[BaseModel]]] = {}
    action_results: ClassVar[dict[str, type[BaseModel]]] = {}
    action_overrides: ClassVar[dict[str, dict[str, Any]]] = {}
    batch_size: ClassVar[int] = 50
    default_auth: ClassVar[str] = "bearer"
    description: ClassVar[str] = ""
    # adapter-specific keys every agency of this kind must set in hub.toml (a registry's
    # code, a bank's): checked before any connection is opened
    required_config: ClassVar[tuple[str, ...]] = ()
    # what ``actions`` declares, resolved once per class: the spec of each action by name
    action_specs: ClassVar[dict[str, ActionSpec]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = cls.__dict__.get("actions", cls.actions)
        specs = resolve_actions(
            cls.__name__,
            declared,
            STANDARD_ACTIONS,
            cls.action_details,
            cls.action_results,
            cls.action_overrides,
        )
        cls.action_specs = specs
        # ``actions`` reads as the names, so ``"SEAL" in adapter.actions`` holds
        cls.actions = frozenset(specs)
        for capability in cls.capabilities:
            if not isinstance(capability, CapabilitySpec):
                raise TypeError(
                    f"{cls.__name__}: capabilities holds {capability!r}, not a CapabilitySpec"
                )

    def __init__(
        self,
        config: AgencyConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        for key in self.required_config:
            if not config.extra(key):
                raise ValueError(f"agency {config.id!r} ({self.kind}) needs a {key!r} in hub.toml")
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

    async def fetch(
        self, capability: CapabilitySpec, subjects: Sequence[Subject]
    ) -> dict[str, Any]:
        """Call the batch method named by ``capability``."""
        method = getattr(self, capability.name, None) if capability in self.capabilities else None
        if method is None:
            raise self._missing(capability.name)
        result: dict[str, Any] = await method(subjects)
        return result

    def action_spec(self, name: str) -> ActionSpec | None:
        return self.action_specs.get(name)

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
