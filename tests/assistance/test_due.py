"""``dueAt``: per-action defaults, overridden by the hub's settings, then by the agency's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.sdk.config import AgencyConfig
from adapters.sdk.standard import STANDARD_ACTIONS
from hub.due import FALLBACK_DAYS, due_at, due_days

REGISTRY = AgencyConfig(id="realestate-x", kind="realestate", name="登记中心")


def test_defaults_by_action() -> None:
    assert due_days({}, REGISTRY, STANDARD_ACTIONS["SEAL"]) == STANDARD_ACTIONS["SEAL"].due_days
    assert due_days({}, REGISTRY, STANDARD_ACTIONS["QUERY"]) == STANDARD_ACTIONS["QUERY"].due_days
    assert due_days({}, REGISTRY, "SOMETHING_NEW") == FALLBACK_DAYS


def test_most_specific_setting_wins() -> None:
    settings = {"QUERY": 10, "realestate.QUERY": 4, "police.QUERY": 20}
    assert due_days(settings, REGISTRY, "QUERY") == 4  # kind.ACTION beats ACTION
    assert due_days({"QUERY": 10}, REGISTRY, "QUERY") == 10
    own = REGISTRY.model_copy(update={"due_days": {"QUERY": 2}})
    assert due_days(settings, own, "QUERY") == 2  # the agency's own beats the hub's
    assert due_days(settings, own, STANDARD_ACTIONS["SEAL"]) == STANDARD_ACTIONS["SEAL"].due_days


def test_due_at_counts_calendar_days_from_creation() -> None:
    created = datetime(2026, 1, 30, 8, 0, tzinfo=UTC)
    assert due_at({"SEAL": 5}, REGISTRY, "SEAL", created) == created + timedelta(days=5)
