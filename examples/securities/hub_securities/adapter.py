"""The registrar's API: JSON over HTTP, an API key in the ``X-Api-Key`` header.

``POST /v1/holdings/query {"id_numbers": [...]}`` answers the holdings of up to
100 people; orders go to ``/v1/orders`` (the SDK's ``JsonOrderApi``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from adapters.sdk import Action, JsonOrderApi, Subject
from adapters.sdk.declare import CapabilitySpec
from adapters.sdk.errors import UpstreamUnavailable
from adapters.sdk.records import AssistanceOrder, match_kind
from hub_securities.records import SECURITIES, SecuritiesHolding, ShareFreeze


class FreezeShares(BaseModel):
    """A freeze of shares in one account."""

    model_config = ConfigDict(extra="allow")

    account: str = Field(min_length=1, max_length=32, title="证券账户")
    security_code: str = Field(pattern=r"^\d{6}$", title="证券代码")
    shares: int = Field(gt=0, title="冻结股数")


class FreezeResult(BaseModel):
    model_config = ConfigDict(extra="allow")

    rank: str | None = Field(default=None, title="冻结顺位")
    shares: int | None = Field(default=None, title="冻结股数")
    expires_on: date | None = Field(default=None, title="冻结到期日")


class SecuritiesAdapter(JsonOrderApi):
    """Holdings by ID number; freezes of shares."""

    kind: ClassVar[str] = "securities"
    description: ClassVar[str] = "Securities registrar (证券登记结算): holdings, freezes of shares"
    capabilities: ClassVar[frozenset[CapabilitySpec]] = frozenset({SECURITIES})
    actions: ClassVar[frozenset[Any]] = frozenset({Action.QUERY, Action.FREEZE})
    action_details: ClassVar[dict[str, type[BaseModel]]] = {Action.FREEZE: FreezeShares}
    action_results: ClassVar[dict[str, type[BaseModel]]] = {Action.FREEZE: FreezeResult}
    action_overrides: ClassVar[dict[str, dict[str, Any]]] = {
        Action.FREEZE: {"capability": "securities", "reference": "account", "term_years": 3}
    }
    batch_size: ClassVar[int] = 100
    default_auth: ClassVar[str] = "api_key_header"
    orders_path: ClassVar[str] = "/v1/orders"

    async def securities(self, subjects: Sequence[Subject]) -> dict[str, list[SecuritiesHolding]]:
        found: dict[str, list[SecuritiesHolding]] = {s.id_number: [] for s in subjects}
        if not subjects:
            return found
        response = await self.connector.request(
            "POST",
            "/v1/holdings/query",
            json={"id_numbers": sorted(found)},
            idempotent=True,
        )
        rows = self.json_object(response).get("holdings")
        if not isinstance(rows, list):
            raise UpstreamUnavailable(self.agency_id, "answer lacks the holdings list")
        for row in rows:
            for subject in subjects:
                matched = match_kind(subject, row.get("owner_id"), row.get("owner_name"))
                if matched is not None:
                    found[subject.id_number].append(_holding(row, matched))
        return found

    def order_body(self, order: AssistanceOrder) -> dict[str, Any]:
        return {
            "request_id": order.request_id,
            "action": order.action,
            "case_number": order.case_number,
            "court": order.court,
            "document_number": order.document_number,
            "subject": {"id_number": order.subject.id_number, "name": order.subject.name},
            "details": order.details,
            "callback_url": order.callback_url,
        }


def _holding(row: dict[str, Any], matched: Any) -> SecuritiesHolding:
    shares = int(row.get("shares") or 0)
    price = Decimal(str(row.get("price") or "0"))
    return SecuritiesHolding(
        account=str(row.get("account") or ""),
        security_code=str(row.get("security_code") or ""),
        security_name=str(row.get("security_name") or ""),
        shares=shares,
        market_value=(price * shares).quantize(Decimal("0.01")),
        owner_id=row.get("owner_id"),
        owner_name=str(row.get("owner_name") or ""),
        matched_by=matched,
        frozen=tuple(
            ShareFreeze(
                court=str(f.get("court") or ""),
                case_number=str(f.get("case_number") or ""),
                shares=int(f.get("shares") or 0),
                rank=str(f.get("rank") or "FIRST"),
                expires_on=date.fromisoformat(f["expires_on"]) if f.get("expires_on") else None,
            )
            for f in row.get("frozen") or []
        ),
    )
