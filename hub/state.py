"""What one hub process holds while it runs: settings, database, agencies, and the
per-process services made on first use (rate limiters, the dispatcher's wake-up...)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from hub.agencies import AgencyDirectory
from hub.settings import Settings
from hub.storage import Database

T = TypeVar("T")


class Slot(Generic[T]):
    """A typed key into a ``SlotStore``: ``hub.get(slot)`` is a ``T``, checked by mypy.

    Slots compare by identity, so two modules can never collide on a name; the
    name is for reading logs and reprs.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Slot({self.name!r})"


@dataclass
class SlotStore:
    """Values kept under typed slots (a process's services, a request's memos)."""

    _values: dict[Slot[Any], Any] = field(default_factory=dict, init=False, repr=False)

    def get(self, slot: Slot[T]) -> T | None:
        # only ``put``/``setdefault`` store, each under a ``Slot[T]`` with a ``T``
        return cast("T | None", self._values.get(slot))

    def put(self, slot: Slot[T], value: T) -> None:
        self._values[slot] = value

    def setdefault(self, slot: Slot[T], factory: Callable[[], T]) -> T:
        """The slot's value, made by ``factory`` (and kept) on first use."""
        if slot not in self._values:
            self._values[slot] = factory()
        return cast(T, self._values[slot])

    def pop(self, slot: Slot[T]) -> T | None:
        return cast("T | None", self._values.pop(slot, None))


@dataclass
class HubState(SlotStore):
    settings: Settings
    db: Database
    agencies: AgencyDirectory

    async def aclose(self) -> None:
        await self.agencies.aclose()
        await self.db.dispose()
