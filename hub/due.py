"""When an assistance request is due (``dueAt``): per-action defaults, configurable.

The most specific setting wins: the agency's own ``due_days`` in ``hub.toml``
(by action), then the hub's ``due_days`` by ``"kind.ACTION"``, then by
``"ACTION"``, then the defaults below. Days are calendar days from creation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from adapters.sdk.config import AgencyConfig

# Writes that change a legal state are urgent (property moves fast); searches and
# person-finding take longer.
DEFAULT_DUE_DAYS: dict[str, int] = {
    "QUERY": 7,
    "SEAL": 3,
    "UNSEAL": 3,
    "FREEZE": 3,
    "LOCATE_PERSON": 15,
    "CONTROL_VEHICLE": 7,
    "DETAIN": 3,
    "LIST_DISHONEST": 3,
    "RESTRICT_CONSUMPTION": 3,
    "DELIST": 3,
    "TAX_ASSIST": 15,
    "WAGE_ASSIST": 15,
}
FALLBACK_DAYS = 7


def due_days(settings_due: Mapping[str, int], agency: AgencyConfig, action: str) -> int:
    """Calendar days an agency has to answer ``action``."""
    for table, key in (
        (agency.due_days, action),
        (settings_due, f"{agency.kind}.{action}"),
        (settings_due, action),
        (DEFAULT_DUE_DAYS, action),
    ):
        days = table.get(key)
        if days is not None:
            return max(int(days), 0)
    return FALLBACK_DAYS


def due_at(
    settings_due: Mapping[str, int], agency: AgencyConfig, action: str, created: datetime
) -> datetime:
    return created + timedelta(days=due_days(settings_due, agency, action))
