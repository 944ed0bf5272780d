"""The configured agencies in the graph: what each can read and do, and its circuit."""

from __future__ import annotations

from enum import Enum

import strawberry

from hub.agencies import Agency as AgencyInstance
from schema.context import Info
from schema.vocabulary import AssistanceAction, Capability


@strawberry.enum
class AgencyChannel(Enum):
    API = "api"  # orders go to the agency's own system
    CONSOLE = "console"  # the agency's staff answer in the hub console


@strawberry.enum
class CircuitState(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"
    NOT_APPLICABLE = "not_applicable"  # no system of its own to call


@strawberry.type
class Agency:
    instance: strawberry.Private[AgencyInstance]

    @strawberry.field(description="The id in hub.toml, e.g. realestate-zhangzhou.")
    def id(self) -> str:
        return self.instance.id

    @strawberry.field(description="The adapter kind: police, realestate, tax, hr, credit ...")
    def kind(self) -> str:
        return self.instance.kind

    @strawberry.field
    def name(self) -> str:
        return self.instance.config.name

    @strawberry.field(description="Administrative division code it serves, e.g. 350600.")
    def jurisdiction(self) -> str | None:
        return self.instance.config.jurisdiction

    @strawberry.field
    def channel(self) -> AgencyChannel:
        return AgencyChannel(self.instance.config.channel)

    @strawberry.field
    def capabilities(self) -> list[Capability]:  # type: ignore[valid-type]
        return [Capability[c.enum_name] for c in sorted(self.instance.capabilities)]

    @strawberry.field
    def actions(self) -> list[AssistanceAction]:  # type: ignore[valid-type]
        return [AssistanceAction[a] for a in sorted(self.instance.actions)]

    @strawberry.field(description="The live circuit breaker state of its connection.")
    def circuit_state(self) -> CircuitState:
        return CircuitState(self.instance.circuit_state)


@strawberry.type
class AgencyQuery:
    @strawberry.field(description="Every configured agency, in hub.toml order.")
    def agencies(self, info: Info) -> list[Agency]:
        return [Agency(instance=a) for a in info.context.hub.agencies]
