"""The graph's enums of what the installed kinds can read and do.

``Capability`` and ``AssistanceAction`` are composed once, when this module is
first imported, from every installed adapter kind (``adapters.sdk.registry``):
a kind installed as a separate distribution adds its values with no change here.
Their members are strings (``StrEnum``), so services compare them with plain names.
"""

from __future__ import annotations

from enum import StrEnum
from typing import cast

import strawberry

from adapters.sdk.declare import CapabilitySpec
from adapters.sdk.registry import installed_actions, installed_capabilities
from adapters.sdk.standard import Capability as Shared

INSTALLED_CAPABILITIES: dict[str, CapabilitySpec] = installed_capabilities()
INSTALLED_ACTIONS: list[str] = installed_actions()


def _capability_order() -> list[CapabilitySpec]:
    shared = [c for c in Shared.all() if c.name in INSTALLED_CAPABILITIES]
    rest = [c for name, c in INSTALLED_CAPABILITIES.items() if c not in shared]
    return shared + rest


CAPABILITIES: list[CapabilitySpec] = _capability_order()

Capability = cast(
    type[StrEnum], StrEnum("Capability", [(c.enum_name, c.name) for c in CAPABILITIES])
)
strawberry.enum(Capability, name="Capability", description="What agencies can be asked for.")

AssistanceAction = cast(
    type[StrEnum], StrEnum("AssistanceAction", [(name, name) for name in INSTALLED_ACTIONS])
)
strawberry.enum(
    AssistanceAction,
    name="AssistanceAction",
    description="Every action an installed agency kind takes.",
)


ClueKind = cast(
    type[StrEnum],
    StrEnum(
        "ClueKind",
        [(k, k) for k in dict.fromkeys(c.clue_kind for c in CAPABILITIES if c.clue_kind)]
        + [("OTHER", "OTHER")],
    ),
)
strawberry.enum(ClueKind, name="ClueKind", description="Kinds of property a clue can name.")
