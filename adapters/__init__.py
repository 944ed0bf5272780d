"""Agency adapters: one package per kind, on the SDK in ``adapters.sdk``.

The public SDK names are re-exported here so an adapter (or a third-party
distribution) can write ``from adapters import Adapter, CapabilitySpec, Subject``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adapters.sdk import (
    Action,
    ActionSpec,
    Adapter,
    AgencyConfig,
    AssetView,
    Capability,
    CapabilitySpec,
    Connector,
    Effect,
    RetryPolicy,
    Subject,
    errors,
    records,
)

if TYPE_CHECKING:
    from adapters.sdk.testing import adapter_test_class

__all__ = [
    "Action",
    "ActionSpec",
    "Adapter",
    "AgencyConfig",
    "AssetView",
    "Capability",
    "CapabilitySpec",
    "Connector",
    "Effect",
    "RetryPolicy",
    "Subject",
    "adapter_test_class",
    "errors",
    "records",
]


def __getattr__(name: str) -> Any:
    # The kit imports pytest; a running hub never should.
    if name == "adapter_test_class":
        from adapters.sdk.testing import adapter_test_class

        return adapter_test_class
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
