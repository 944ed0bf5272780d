"""How instants are shown: Asia/Shanghai, whatever the database kept (UTC)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(SHANGHAI)
