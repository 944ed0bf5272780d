"""What the registrar reports: holdings of listed shares, and the capability that reads them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from adapters.sdk.declare import AssetView, CapabilitySpec
from adapters.sdk.records import MatchKind


@dataclass(frozen=True)
class ShareFreeze:
    court: str
    case_number: str
    shares: int
    rank: str = field(metadata={"description": "FIRST or WAITING, as a seal."})
    expires_on: date | None = None


@dataclass(frozen=True)
class SecuritiesHolding:
    account: str = field(metadata={"description": "The securities account (证券账户)."})
    security_code: str
    security_name: str
    shares: int
    market_value: Decimal = field(metadata={"description": "Yuan, at the last close."})
    owner_id: str | None
    owner_name: str
    matched_by: MatchKind
    frozen: tuple[ShareFreeze, ...] = ()


def _label(h: SecuritiesHolding) -> str:
    return f"{h.security_name}（{h.security_code}）{h.shares} 股"


SECURITIES = CapabilitySpec(
    name="securities",
    record=SecuritiesHolding,
    field="securities",
    title="证券",
    noun="证券",
    asset=AssetView(label=_label, reference="account", value=lambda h: h.market_value),
    columns=(
        ("account", "证券账户"),
        ("security_name", "证券名称"),
        ("security_code", "证券代码"),
        ("shares", "持有股数"),
        ("market_value", "市值（元）"),
    ),
    clue_kind="SECURITIES",
    clue_title="股票证券",
)
