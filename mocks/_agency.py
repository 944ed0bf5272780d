"""``MockAgency``: one mock's state and the order lifecycle that drives it.

The state is the world, the faults, the stats, the order book and the
background tasks. Orders advance in a background task and also whenever the
mock is called, so with ``complete_after_ms = 0`` the next call sees an order
done. Each status change sends a signed callback in the hub's format to the
order's ``callback_url`` (three attempts with short backoff, one
``httpx.AsyncClient`` per mock).
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

import httpx
from starlette.responses import Response

from mocks._auth import callback_signature
from mocks._faults import DEFAULT_FAULTS, STAT_KEYS
from mocks._http import json_error
from mocks._orders import Order, OrderEvent, OrderOutcome
from mocks._world import DEV_SECRETS, load_world, utcnow

# Waits between callback attempts; the first attempt is immediate.
CALLBACK_BACKOFF_S: tuple[float, ...] = (0.0, 0.05, 0.2)


Executor = Callable[["MockAgency", Order], OrderOutcome]
# Called after the world changes (``PUT /_admin/world``): a kind reports what its
# standing orders now see (a police watch, a sighting).
WorldHook = Callable[["MockAgency"], None]


def _default_execute(agency: MockAgency, order: Order) -> OrderOutcome:
    return OrderOutcome("COMPLETED", "done", {})


class MockAgency:
    """One mock's state: world, faults, stats, order book, background tasks."""

    def __init__(
        self,
        kind: str,
        world: Mapping[str, Any] | None = None,
        *,
        secret: str | None = None,
        ref_prefix: str = "ORD",
        execute: Executor = _default_execute,
        error_response: Callable[[int, str], Response] = json_error,
        on_world: WorldHook | None = None,
    ) -> None:
        self.kind = kind
        self.secret = secret if secret is not None else DEV_SECRETS.get(kind, f"dev-{kind}-secret")
        self.ref_prefix = ref_prefix
        self.execute = execute
        self.error_response = error_response
        self.on_world = on_world
        self._initial_world: dict[str, Any] = copy.deepcopy(
            dict(world) if world is not None else load_world()
        )
        self.world: dict[str, Any] = copy.deepcopy(self._initial_world)
        self.faults: dict[str, Any] = dict(DEFAULT_FAULTS)
        self.stats: dict[str, int] = dict.fromkeys(STAT_KEYS, 0)
        self.by_path: Counter[str] = Counter()
        self.orders: dict[str, Order] = {}
        self.orders_by_key: dict[str, str] = {}
        self._open_orders: dict[str, Order] = {}  # not yet COMPLETED / REJECTED
        self.rng = random.Random()
        self.callback_transport: httpx.AsyncBaseTransport | None = None
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.state: dict[str, Any] = {}  # the kind's own bookkeeping (jobs ...); reset clears it
        self._recent: deque[float] = deque()
        self._seq = 0

    # -- admin ------------------------------------------------------------------------------

    def set_world(self, world: Mapping[str, Any]) -> None:
        self.world = copy.deepcopy(dict(world))
        if self.on_world is not None:
            self.on_world(self)

    def report(self, order: Order, outcome: str, result: dict[str, Any]) -> None:
        """News on an order that stays open (a watch's sighting): an event carrying
        ``result`` without a change of status, sent as a callback like any other."""
        event = OrderEvent(
            event_id=str(uuid.uuid4()), status=order.status, at=utcnow(), outcome=outcome,
            result=result,
        )  # fmt: skip
        order.updated_at = event.at
        order.events.append(event)
        if order.callback_url and self.faults.get("callbacks", True):
            self.spawn(self._send_callbacks(order, [event]))

    def set_faults(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Merge ``changes`` into the faults; unknown keys raise ``KeyError``."""
        unknown = sorted(set(changes) - set(DEFAULT_FAULTS))
        if unknown:
            raise KeyError(", ".join(unknown))
        self.faults.update(changes)
        if "seed" in changes:
            self.rng.seed(changes["seed"])
        return dict(self.faults)

    def stats_view(self) -> dict[str, Any]:
        return {**self.stats, "by_path": dict(self.by_path)}

    def reset(self) -> None:
        """World as created, faults cleared, stats zero, orders gone."""
        self._cancel_tasks()
        self.world = copy.deepcopy(self._initial_world)
        self.faults = dict(DEFAULT_FAULTS)
        self.stats = dict.fromkeys(STAT_KEYS, 0)
        self.by_path.clear()
        self.orders.clear()
        self.orders_by_key.clear()
        self._open_orders.clear()
        self.state.clear()
        self._recent.clear()
        self._seq = 0

    # -- faults -----------------------------------------------------------------------------

    def over_rate_limit(self) -> bool:
        """Record one call; True when more than ``rate_limit_per_s`` arrived within 1 s."""
        limit = self.faults.get("rate_limit_per_s")
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        self._recent.append(now)
        return limit is not None and len(self._recent) > int(limit)

    def roll(self, rate_key: str) -> bool:
        rate = float(self.faults.get(rate_key) or 0.0)
        return rate > 0 and self.rng.random() < rate

    # -- orders -----------------------------------------------------------------------------

    def submit_order(self, idempotency_key: str, fields: Mapping[str, Any]) -> tuple[Order, bool]:
        """Take an order; a key seen before returns the first order and ``False``."""
        known = self.orders_by_key.get(idempotency_key)
        if known is not None:
            self.stats["assistance_duplicates"] += 1
            order = self.orders[known]
            self.advance(order)
            return order, False
        self._seq += 1
        total_s = max(float(self.faults.get("complete_after_ms") or 0), 0.0) / 1000
        now = time.monotonic()
        order = Order(
            ref=f"{self.ref_prefix}-{self._seq:06d}",
            idempotency_key=idempotency_key,
            fields=copy.deepcopy(dict(fields)),
            created_at=utcnow(),
            ack_due=now + total_s / 3,
            complete_due=now + total_s,
        )
        self.orders[order.ref] = order
        self.orders_by_key[idempotency_key] = order.ref
        self._open_orders[order.ref] = order
        self.stats["assistance_received"] += 1
        self.spawn(self._drive(order))
        return order, True

    def get_order(self, ref: str) -> Order | None:
        order = self.orders.get(ref)
        if order is not None:
            self.advance(order)
        return order

    def order_by_key(self, idempotency_key: str) -> Order | None:
        ref = self.orders_by_key.get(idempotency_key)
        return self.get_order(ref) if ref is not None else None

    def urge_order(self, ref: str, note: str | None = None) -> Order | None:
        order = self.get_order(ref)
        if order is not None:
            order.urges += 1
            if note:
                order.notes.append(note)
            self.stats["urges"] += 1
        return order

    def advance_all(self) -> None:
        """Advance every open order: any call sees the effects of orders already due."""
        for order in list(self._open_orders.values()):
            self.advance(order)

    def advance(self, order: Order) -> None:
        """Apply the transitions whose time has come; callbacks go out for each."""
        now = time.monotonic()
        fresh: list[OrderEvent] = []
        if order.status == "RECEIVED" and now >= order.ack_due:
            fresh.append(self._transition(order, "ACKNOWLEDGED"))
        if order.status == "ACKNOWLEDGED" and now >= order.complete_due:
            try:
                decided = self.execute(self, order)
            except Exception as exc:  # a mock bug should reject the order, not hang it
                decided = OrderOutcome("REJECTED", "error", {"error": type(exc).__name__})
            order.outcome = decided.outcome
            order.result = decided.result
            fresh.append(self._transition(order, decided.status))
            self._open_orders.pop(order.ref, None)
        if fresh and order.callback_url and self.faults.get("callbacks", True):
            self.spawn(self._send_callbacks(order, fresh))

    def _transition(self, order: Order, status: str) -> OrderEvent:
        event = OrderEvent(event_id=str(uuid.uuid4()), status=status, at=utcnow())
        order.status = status
        order.updated_at = event.at
        order.events.append(event)
        return event

    async def _drive(self, order: Order) -> None:
        for due in (order.ack_due, order.complete_due):
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self.advance(order)

    # -- callbacks --------------------------------------------------------------------------

    def callback_body(self, order: Order, event: OrderEvent) -> bytes:
        terminal = event.status in ("COMPLETED", "REJECTED")
        payload = {
            "event_id": event.event_id,
            "timestamp": event.at.isoformat(),
            "agency_ref": order.ref,
            "request_id": order.request_id,
            "idempotency_key": order.idempotency_key,
            "status": event.status,
            "outcome": order.outcome if terminal else event.outcome,
            "result": order.result if terminal else event.result,
        }
        return json.dumps(payload, ensure_ascii=False).encode("utf-8")

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self.callback_transport, timeout=5.0)
        return self._client

    async def _send_callbacks(self, order: Order, events: Sequence[OrderEvent]) -> None:
        url = order.callback_url
        if url is None:
            return
        for event in events:
            body = self.callback_body(order, event)
            headers = {
                "content-type": "application/json",
                "x-hub-signature": callback_signature(self.secret, body),
            }
            for wait in CALLBACK_BACKOFF_S:
                if wait:
                    await asyncio.sleep(wait)
                try:
                    response = await self.client().post(url, content=body, headers=headers)
                except httpx.HTTPError:
                    self.stats["callbacks_failed"] += 1
                    continue
                if response.is_success:
                    self.stats["callbacks_sent"] += 1
                    break
                self.stats["callbacks_failed"] += 1

    # -- tasks ------------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in the background; ``aclose``/``reset`` cancel it."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _cancel_tasks(self) -> list[asyncio.Task[Any]]:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        return tasks

    async def aclose(self) -> None:
        """Cancel background tasks and close the callback client."""
        tasks = self._cancel_tasks()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
