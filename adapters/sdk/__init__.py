"""The adapter SDK: the interface, the records, the connector, registration.

``adapters.sdk.testing`` (the conformance kit) needs pytest and is imported
on demand: ``adapter_test_class`` is resolved lazily here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adapters.sdk import errors, records
from adapters.sdk.base import Adapter
from adapters.sdk.config import AgencyConfig
from adapters.sdk.connector import Connector, RetryPolicy
from adapters.sdk.declare import ActionSpec, AssetView, CapabilitySpec, Effect
from adapters.sdk.json_orders import JsonOrderApi
from adapters.sdk.observe import (
    AttemptEvent,
    BreakerEvent,
    CallStats,
    add_observer,
    remove_observer,
    track_calls,
)
from adapters.sdk.records import Action, AssistanceOrder, MatchKind, Subject
from adapters.sdk.registry import (
    ENTRY_POINT_GROUP,
    build_adapter,
    describe_kinds,
    installed_kinds,
    load_adapter_class,
)
from adapters.sdk.standard import STANDARD_ACTIONS, Capability

if TYPE_CHECKING:
    from adapters.sdk.testing import adapter_test_class

__all__ = [
    "ENTRY_POINT_GROUP",
    "STANDARD_ACTIONS",
    "Action",
    "ActionSpec",
    "Adapter",
    "AgencyConfig",
    "AssetView",
    "AssistanceOrder",
    "AttemptEvent",
    "BreakerEvent",
    "CallStats",
    "Capability",
    "CapabilitySpec",
    "Connector",
    "Effect",
    "JsonOrderApi",
    "MatchKind",
    "RetryPolicy",
    "Subject",
    "adapter_test_class",
    "add_observer",
    "build_adapter",
    "describe_kinds",
    "errors",
    "installed_kinds",
    "load_adapter_class",
    "records",
    "remove_observer",
    "track_calls",
]


def __getattr__(name: str) -> Any:
    # The kit imports pytest; a running hub never should.
    if name == "adapter_test_class":
        from adapters.sdk.testing import adapter_test_class

        return adapter_test_class
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
