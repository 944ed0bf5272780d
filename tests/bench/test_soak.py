"""The soak, scaled down: faults, a half-hour outage in simulated time, kill -9 of workers.

PostgreSQL only (the scale-out set-up: one server, separate workers). Every
request must reach its agency exactly once and none may end FAILED.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.harness import Progress
from bench.soak import SCALED, soak

PG_URL = os.environ.get("HUB_TEST_DATABASE_URL", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not PG_URL.startswith("postgres"), reason="needs HUB_TEST_DATABASE_URL (PostgreSQL)"
    ),
]


async def test_soak_loses_doubles_and_fails_nothing(tmp_path: Path) -> None:
    figures = await soak(PG_URL, tmp_path, SCALED, Progress(quiet=True))
    assert figures["soak_requests"] == SCALED.requests
    assert figures["soak_worker_kills"] >= 2  # the crashes happened while work was in flight
    assert (figures["soak_lost"], figures["soak_duplicates"], figures["soak_failed"]) == (0, 0, 0)
