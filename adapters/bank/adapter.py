"""``BankAdapter``: one commercial bank (商业银行), spoken to by file exchange.

Banks take enforcement inquiries as files: the court uploads a batch query
file (GBK CSV, at most 100 subjects) and fetches the result file once the bank
has written it; orders (freeze, unfreeze, deduct, renew) go the same way, one
order file each, named after its idempotency key so that a repeated upload is
the same file. Several banks may sit behind one server; each agency instance
names its own by ``bank = "icbc-zhangzhou"`` (code or name) in ``hub.toml``
and every path carries it: ``/banks/{bank}/inbox/{file}``,
``/banks/{bank}/outbox/{batch}``. The bank searches by ID number *or* by
name, so it returns same-name holders (重名) too; ``records.match_kind``
sorts them. Amounts in the files are fen; records and results carry yuan.
An unfreeze or a deduction that made a waiting freeze effective says so in its
result file (a ``promoted`` line after the order's); its result lists them under
``promoted`` keyed by ``account``, as the registry's unseal lists seals, so the
hub promotes its own waiting freeze at once (``hub.seals``). A promotion another
court caused is not told to us: a read of the account shows it.
Banks take no 催办 by file: ``urge`` is not offered.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import quote

from adapters.bank import _csv
from adapters.bank.actions import (
    AccountDetails,
    AmountDetails,
    DeductResult,
    FreezeResult,
    QueryResult,
    RenewResult,
    UnfreezeResult,
)
from adapters.bank.records import BANK_ACCOUNTS, BankAccount
from adapters.sdk.base import Adapter
from adapters.sdk.declare import CapabilitySpec
from adapters.sdk.errors import (
    BadUserInput,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from adapters.sdk.records import Action, AssistanceOrder, DispatchReceipt, OrderProgress, Subject

_HEADERS = {"Content-Type": _csv.CSV_TYPE, "Accept": "text/csv"}
# Between looks at the outbox: quick at first (small batches are answered at once), then
# gentler on a bank that is busy.
_FIRST_WAIT_S = 0.05
_MAX_WAIT_S = 0.5


class BankAdapter(Adapter):
    """Reads the accounts of subjects and freezes, unfreezes and deducts at one bank."""

    kind: ClassVar[str] = "bank"
    capabilities: ClassVar[frozenset[CapabilitySpec]] = frozenset({BANK_ACCOUNTS})
    actions: ClassVar[frozenset[Any]] = frozenset(
        {Action.QUERY, Action.FREEZE, Action.UNFREEZE, Action.DEDUCT, Action.RENEW_SEAL}
    )
    action_details = {
        "FREEZE": AmountDetails,
        "DEDUCT": AmountDetails,
        "UNFREEZE": AccountDetails,
        "RENEW_SEAL": AccountDetails,
    }
    action_results = {
        "QUERY": QueryResult,
        "FREEZE": FreezeResult,
        "UNFREEZE": UnfreezeResult,
        "DEDUCT": DeductResult,
        "RENEW_SEAL": RenewResult,
    }
    action_overrides = {
        "FREEZE": {"capability": "bank_accounts", "reference": "account", "term_years": 1},
        "DEDUCT": {"capability": "bank_accounts", "reference": "account"},
        "UNFREEZE": {"capability": "bank_accounts", "reference": "account"},
        "RENEW_SEAL": {
            "capability": "bank_accounts",
            "reference": "account",
            "lifts": "FREEZE",
            "label": "续行冻结",
        },
    }
    required_config: ClassVar[tuple[str, ...]] = ("bank",)
    batch_size: ClassVar[int] = 100
    default_auth: ClassVar[str] = "hmac:Bank"
    description: ClassVar[str] = (
        "Commercial bank (GBK CSV file exchange, HMAC-signed): accounts by ID number or name, "
        "freezes with rank first / waiting, deductions"
    )

    @property
    def bank(self) -> str:
        return str(self.config.extra("bank"))

    @property
    def _base(self) -> str:
        return f"/banks/{quote(self.bank, safe='')}"

    def _malformed(self, exc: ValueError) -> UpstreamUnavailable:
        return UpstreamUnavailable(self.agency_id, f"unreadable bank file: {exc}")

    # -- reads ----------------------------------------------------------------------------

    async def bank_accounts(self, subjects: Sequence[Subject]) -> dict[str, list[BankAccount]]:
        if not subjects:
            return {}
        deadline = self.connector.policy.deadline_s
        try:
            async with asyncio.timeout(deadline):
                content = await self._query(subjects)
        except TimeoutError as exc:
            raise UpstreamTimeout(
                self.agency_id, f"no result file within {deadline:.3g} s"
            ) from exc
        try:
            return _csv.parse_accounts(content, subjects, self.bank)
        except ValueError as exc:
            raise self._malformed(exc) from exc

    async def _query(self, subjects: Sequence[Subject]) -> bytes:
        # A fresh file name per batch: an upload repeated after a lost answer is the same file.
        name = f"CX{uuid.uuid4().hex}.csv"
        response = await self.connector.request(
            "PUT",
            f"{self._base}/inbox/{name}",
            content=_csv.query_file(subjects),
            headers=_HEADERS,
            idempotent=True,
        )
        try:
            batch = _csv.parse_receipt(response.content).agency_ref
        except ValueError as exc:
            raise self._malformed(exc) from exc
        wait = _FIRST_WAIT_S
        while True:
            result = await self.connector.request(
                "GET", f"{self._base}/outbox/{quote(batch, safe='')}", headers=_HEADERS
            )
            if result.status_code == 200:
                return result.content
            await asyncio.sleep(wait)  # 202: the bank has not written it yet
            wait = min(wait * 2, _MAX_WAIT_S)

    # -- orders ---------------------------------------------------------------------------

    @staticmethod
    def order_file_name(idempotency_key: str) -> str:
        """One name per key, so the bank sees a repeated delivery as the same file."""
        return f"KZ{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}.csv"

    async def dispatch(self, order: AssistanceOrder) -> DispatchReceipt:
        if order.action not in self.actions:
            raise BadUserInput("action", f"{self.agency_id} does not take {order.action}")
        response = await self.connector.request(
            "PUT",
            f"{self._base}/inbox/{self.order_file_name(order.idempotency_key)}",
            content=_csv.order_file(order),
            headers=_HEADERS,
            idempotency_key=order.idempotency_key,
        )
        try:
            return _csv.parse_receipt(response.content)
        except ValueError as exc:
            raise self._malformed(exc) from exc

    async def lookup(self, idempotency_key: str) -> DispatchReceipt | None:
        response = await self.connector.request(
            "GET",
            f"{self._base}/inbox/{self.order_file_name(idempotency_key)}",
            headers=_HEADERS,
            ok_statuses=frozenset({404}),
        )
        if response.status_code == 404:
            # Only "no such file" means "not received"; an unknown bank is a config fault.
            if _csv.error_code(response.content) != "NOT_FOUND":
                raise UpstreamRejected(self.agency_id, "bank refused the lookup (HTTP 404)")
            return None
        try:
            return _csv.parse_receipt(response.content)
        except ValueError as exc:
            raise self._malformed(exc) from exc

    async def poll(self, agency_ref: str) -> OrderProgress:
        response = await self.connector.request(
            "GET", f"{self._base}/outbox/{quote(agency_ref, safe='')}", headers=_HEADERS
        )
        try:
            if response.status_code == 202:
                return _csv.parse_pending(response.content, agency_ref)
            return _csv.parse_result(response.content, agency_ref)
        except ValueError as exc:
            raise self._malformed(exc) from exc
