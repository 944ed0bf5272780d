"""The circuit breaker a ``Connector`` keeps per agency instance.

It weighs the last ``policy.breaker_window`` attempt outcomes; once at least
``breaker_min_calls`` are seen and ``breaker_failure_ratio`` of them failed,
the circuit opens and calls fail fast with ``CircuitOpen`` for
``breaker_open_s``, after which one probe decides.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from adapters.sdk.connector import RetryPolicy

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Closed → open when the recent failure ratio is too high → half-open after a pause.

    Half-open lets one probe through: its success closes the circuit, its
    failure opens it again. Outcomes are per attempt.
    """

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        on_change: Callable[[BreakerState, BreakerState], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self._on_change = on_change
        self.clock = clock  # tests may swap in a fake one to skip the open period
        self._outcomes: deque[bool] = deque(maxlen=max(1, policy.breaker_window))
        self._state: BreakerState = "closed"
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> BreakerState:
        if self._state == "open" and self.clock() - self._opened_at >= self.policy.breaker_open_s:
            self._move("half_open")
        return self._state

    def acquire(self) -> bool | None:
        """May an attempt go out? ``None``: no; ``True``: yes, as the probe; ``False``: yes."""
        state = self.state
        if state == "closed":
            return False
        if state == "half_open" and not self._probing:
            self._probing = True
            return True
        return None

    def record(self, ok: bool, *, probe: bool) -> None:
        if probe:
            self._probing = False
            self._outcomes.clear()
            if ok:
                self._move("closed")
            else:
                self._open()
            return
        if self._state != "closed":
            return  # a straggler sent before the circuit opened
        self._outcomes.append(ok)
        failed = self._outcomes.count(False)
        seen = len(self._outcomes)
        if (
            seen >= self.policy.breaker_min_calls
            and failed / seen >= self.policy.breaker_failure_ratio
        ):
            self._open()

    def release_probe(self) -> None:
        """The probe ended without a verdict (cancelled): let another one try."""
        self._probing = False

    def _open(self) -> None:
        self._opened_at = self.clock()
        self._outcomes.clear()
        self._move("open")

    def _move(self, state: BreakerState) -> None:
        previous, self._state = self._state, state
        if previous != state and self._on_change is not None:
            self._on_change(previous, state)
