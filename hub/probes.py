"""Active probes: each agency's state is known from the first second, not from failed traffic.

A probe is the cheapest call every agency system answers: ``HEAD`` of its
base URL, straight through the connector's client (no retries, no breaker
bookkeeping). Any HTTP answer below 500 means the system is there (a 404 or
405 is a live server saying "not here"); 5xx, a timeout or no connection
mean it is not. All agencies are probed at start-up, then every
``probe_every_s`` those whose circuit is not closed or whose last probe
failed. A good probe of an agency whose circuit waits half-open lets the
circuit close at once, so delivery resumes without a real order as the probe.

States (``/readyz``): ``UP`` answering and circuit closed; ``DEGRADED``
recovering (circuit half-open, or open while probes succeed); ``DOWN`` the
last probe failed or the circuit is open and probes fail. Agencies without a
system (``channel = "console"``) are ``UP``: the hub is their system.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from hub.agencies import Agency
from hub.state import HubState, Slot

log = structlog.get_logger("hub.probes")

UP, DEGRADED, DOWN = "UP", "DEGRADED", "DOWN"


class AgencyProbes:
    """Probe results per agency, and the loop that keeps them fresh."""

    def __init__(self, hub: HubState) -> None:
        self.hub = hub
        self.every_s = hub.settings.probe_every_s
        self.timeout_s = hub.settings.probe_timeout_s
        self.reachable: dict[str, bool] = {}
        self._task: asyncio.Task[None] | None = None

    def state(self, agency: Agency) -> str:
        if not agency.is_api:
            return UP
        circuit = agency.circuit_state
        reachable = self.reachable.get(agency.id, True)
        if circuit == "half_open" or (circuit == "open" and reachable):
            return DEGRADED
        if circuit == "open" or not reachable:
            return DOWN
        return UP

    def down(self) -> frozenset[str]:
        """Agencies not worth sending to now: orders for them wait without spending a try."""
        return frozenset(a.id for a in self.hub.agencies if self.state(a) == DOWN)

    async def probe(self, agency: Agency) -> bool:
        connector = agency.adapter.connector
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await connector.client.request("HEAD", "/", timeout=self.timeout_s)
            ok = response.status_code < 500
        except Exception:  # whatever went wrong, the agency did not answer the probe
            ok = False
        was = self.reachable.get(agency.id)
        self.reachable[agency.id] = ok
        if ok:
            breaker = connector.breaker
            if breaker.state == "half_open" and breaker.acquire():
                breaker.record(True, probe=True)
        if was is not ok:
            log.info("agency probed", agency=agency.id, reachable=ok, state=self.state(agency))
        return ok

    def _due(self, agency: Agency) -> bool:
        if not agency.is_api:
            return False
        return agency.circuit_state != "closed" or not self.reachable.get(agency.id, False)

    async def round(self, *, everyone: bool = False) -> None:
        agencies = [a for a in self.hub.agencies if a.is_api and (everyone or self._due(a))]
        await asyncio.gather(*(self.probe(a) for a in agencies))

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            try:
                await self.round()
            except Exception:
                log.exception("agency probes failed")

    async def start(self) -> None:
        """Probe everyone once (bounded by the probe timeout), then keep probing."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.round(everyone=True), timeout=self.timeout_s + 0.5)
        self._task = asyncio.create_task(self._loop(), name="agency probes")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


_PROBES: Slot[AgencyProbes] = Slot("hub.probes.agency_probes")


def agency_probes(hub: HubState) -> AgencyProbes:
    """The process's probes, kept in the hub's state (made on first use)."""
    return hub.setdefault(_PROBES, lambda: AgencyProbes(hub))


async def start_probes(hub: HubState) -> Callable[[], Awaitable[None]]:
    """A service (``hub.web.app.Service``): start probing, return the stop function."""
    probes = agency_probes(hub)
    await probes.start()
    return probes.stop
