"""The lock file is current with pyproject.toml, and the check notices when it is not."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "lock.py"


def load_lock_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lock_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_checked_in_lock_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    assert load_lock_script().check() == 0
    lock = (SCRIPT.parents[1] / "requirements.lock").read_text()
    assert "strawberry-graphql==" in lock and "--hash=sha256:" in lock


def test_a_new_dependency_makes_the_lock_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = load_lock_script()
    pyproject = tmp_path / "pyproject.toml"
    text = lock.PYPROJECT.read_text()
    pyproject.write_text(text.replace('"tzdata",', '"tzdata",\n    "orjson>=3.10",', 1))
    lock.PYPROJECT = pyproject
    assert lock.check() == 1
    assert "make lock" in capsys.readouterr().err
    # formatting and tool settings do not count, only the requirements
    pyproject.write_text(text + "\n# a comment\n")
    assert lock.check() == 0
