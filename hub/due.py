"""When an assistance request is due (``dueAt``): per-action defaults, configurable.

The most specific setting wins: the agency's own ``due_days`` in ``hub.toml``
(by action), then the hub's ``due_days`` by ``"kind.ACTION"``, then by
``"ACTION"``, then the action's own ``due_days`` as its kind declares it.
Days are calendar days from creation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from adapters.sdk.config import AgencyConfig
from adapters.sdk.declare import ActionSpec

FALLBACK_DAYS = 7


def due_days(
    settings_due: Mapping[str, int], agency: AgencyConfig, action: ActionSpec | str
) -> int:
    """Calendar days an agency has to answer ``action``."""
    name = action if isinstance(action, str) else action.name
    for table, key in (
        (agency.due_days, name),
        (settings_due, f"{agency.kind}.{name}"),
        (settings_due, name),
    ):
        days = table.get(key)
        if days is not None:
            return max(int(days), 0)
    return action.due_days if isinstance(action, ActionSpec) else FALLBACK_DAYS


def due_at(
    settings_due: Mapping[str, int],
    agency: AgencyConfig,
    action: ActionSpec | str,
    created: datetime,
) -> datetime:
    return created + timedelta(days=due_days(settings_due, agency, action))
