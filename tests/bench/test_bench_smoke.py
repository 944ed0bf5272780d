"""The bench harness end to end, tiny: every scenario runs and reports a number.

The figures of a smoke run mean nothing (a second of load on a busy CI
machine); the test checks the harness, not the hub's speed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench.harness import percentile
from bench.run import GOALS, REQUIRED_KEYS, main


def test_percentile_interpolates() -> None:
    assert percentile([], 95) == 0.0
    assert percentile([5.0], 99) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([4.0, 1.0, 3.0, 2.0], 100) == 4.0


def test_smoke_run_writes_every_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    main(quick=False, json_path=out, smoke=True)
    document = json.loads(out.read_text(encoding="utf-8"))
    for key in REQUIRED_KEYS:
        assert key in document, key
        value = document[key]
        assert isinstance(value, int | float) and not isinstance(value, bool), (key, value)
        assert math.isfinite(value), (key, value)
    assert document["failures"] == {}
    assert document["mode"] == "smoke"
    assert document["machine"]["cpus"] >= 1
    # what must hold at any speed: nothing lost, nothing doubled, one call per agency
    assert document["dispatch_lost"] == 0
    assert document["dispatch_duplicates"] == 0
    assert document["batch_upstream_calls_per_agency"] == 1
    assert document["throughput_rps"] > 0 and document["baseline_rps"] > 0
    assert document["peak_rss_mb"] > 0
    assert set(document["goals"]) == set(GOALS)
    printed = capsys.readouterr().out
    assert "fanout_ratio" in printed and "overhead_ratio" in printed
