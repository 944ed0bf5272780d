"""What one hub process holds while it runs: settings, database, agencies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.agencies import AgencyDirectory
from hub.settings import Settings
from hub.storage import Database


@dataclass
class HubState:
    settings: Settings
    db: Database
    agencies: AgencyDirectory
    extras: dict[str, Any] = field(default_factory=dict)  # per-process services (rate limits...)

    async def aclose(self) -> None:
        await self.agencies.aclose()
        await self.db.dispose()
