"""Typed slots: a process's services and a request's memos, one value per slot."""

from __future__ import annotations

from hub.state import Slot, SlotStore


def test_a_slot_holds_what_was_put_and_setdefault_makes_it_once() -> None:
    store = SlotStore()
    count: Slot[int] = Slot("count")
    assert store.get(count) is None
    made: list[int] = []

    def make() -> int:
        made.append(1)
        return 7

    assert store.setdefault(count, make) == 7
    assert store.setdefault(count, make) == 7
    assert made == [1]
    store.put(count, 8)
    assert store.get(count) == 8
    assert store.pop(count) == 8
    assert store.get(count) is None


def test_slots_of_the_same_name_do_not_collide() -> None:
    store = SlotStore()
    mine: Slot[str] = Slot("shared name")
    theirs: Slot[str] = Slot("shared name")
    store.put(mine, "mine")
    assert store.get(theirs) is None
    assert store.get(mine) == "mine"
