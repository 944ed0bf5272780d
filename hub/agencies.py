"""The configured agency instances and their adapters.

Built once at start-up from ``hub.toml``; an unknown adapter kind fails here,
naming the kind and the installed ones. Nothing in this module knows any
particular kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import httpx

from adapters.sdk.base import Adapter
from adapters.sdk.config import AgencyConfig
from adapters.sdk.declare import ActionSpec, CapabilitySpec
from adapters.sdk.registry import load_adapter_class


@dataclass(frozen=True)
class Agency:
    config: AgencyConfig
    adapter: Adapter

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def kind(self) -> str:
        return self.config.kind

    @property
    def is_api(self) -> bool:
        return self.config.channel == "api" and bool(self.config.base_url)

    @property
    def capabilities(self) -> frozenset[CapabilitySpec]:
        return self.adapter.capabilities

    @property
    def actions(self) -> frozenset[str]:
        return self.adapter.actions

    def action(self, name: str) -> ActionSpec | None:
        """The spec of an action this agency takes, or ``None``."""
        return self.adapter.action_specs.get(name)

    @property
    def circuit_state(self) -> str:
        if not self.is_api:
            return "not_applicable"
        breaker = getattr(self.adapter.connector, "breaker", None)
        return str(getattr(breaker, "state", "closed"))


class AgencyDirectory:
    """Agencies by id, in ``hub.toml`` order."""

    def __init__(self, agencies: Iterable[Agency]) -> None:
        self._by_id = {a.id: a for a in agencies}

    @classmethod
    def from_configs(
        cls,
        configs: Iterable[AgencyConfig],
        *,
        transports: dict[str, httpx.AsyncBaseTransport] | None = None,
    ) -> AgencyDirectory:
        agencies = []
        seen: set[str] = set()
        for config in configs:
            if config.id in seen:
                raise ValueError(f"agency id {config.id!r} is listed twice in the configuration")
            seen.add(config.id)
            adapter_cls = load_adapter_class(config.kind)
            transport = (transports or {}).get(config.id)
            agencies.append(Agency(config, adapter_cls(config, transport=transport)))
        return cls(agencies)

    def __iter__(self) -> Iterator[Agency]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, agency_id: str) -> Agency | None:
        return self._by_id.get(agency_id)

    def readers(self, capability: CapabilitySpec) -> list[Agency]:
        """Agencies whose systems can be asked for ``capability`` right now."""
        return [a for a in self if a.is_api and capability in a.capabilities]

    def of_kind(self, kind: str) -> list[Agency]:
        return [a for a in self if a.kind == kind]

    async def aclose(self) -> None:
        for agency in self:
            await agency.adapter.aclose()
