"""The typed per-request context every resolver receives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from strawberry.dataloader import DataLoader

from hub.principal import Principal
from hub.state import SlotStore

if TYPE_CHECKING:
    from hub.state import HubState


@dataclass
class Context(SlotStore):
    """One request's context; per-request memos go in typed slots (``ctx.setdefault``)."""

    request: Request
    response: Response
    hub: HubState
    principal: Principal
    loaders: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)

    def loader(
        self, name: str, load: Callable[[list[Any]], Awaitable[list[Any]]]
    ) -> DataLoader[Any, Any]:
        """One DataLoader per name per request: what the graph asks for is batched."""
        existing = self.loaders.get(name)
        if existing is None:
            existing = self.loaders[name] = DataLoader(load_fn=load)
        return existing


Info: TypeAlias = strawberry.Info[Context, None]
