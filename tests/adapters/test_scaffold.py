import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from adapters.sdk.base import Adapter
from adapters.sdk.scaffold import class_name, create_adapter_package
from adapters.sdk.testing import AdapterConformance, open_harness


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_writes_a_distribution(tmp_path: Path) -> None:
    files = create_adapter_package("customs", tmp_path)
    root = tmp_path / "hub-adapter-customs"
    assert sorted(p.relative_to(root).as_posix() for p in files) == [
        "README.md",
        "hub_adapter_customs/__init__.py",
        "hub_adapter_customs/adapter.py",
        "hub_adapter_customs/mock.py",
        "pyproject.toml",
        "tests/test_customs.py",
    ]
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["name"] == "hub-adapter-customs"
    assert project["project"]["entry-points"]["hub.adapters"] == {
        "customs": "hub_adapter_customs:CustomsAdapter"
    }
    for path in files:
        if path.suffix == ".py":
            compile(path.read_text(encoding="utf-8"), str(path), "exec")


async def test_the_package_imports_and_the_suite_starts_red(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_adapter_package("border_control", tmp_path)
    root = tmp_path / "hub-adapter-border-control"
    monkeypatch.syspath_prepend(str(root))
    package = __import__("hub_adapter_border_control")
    cls = package.BorderControlAdapter
    assert issubclass(cls, Adapter)
    assert cls.kind == "border_control"
    assert [c.name for c in cls.capabilities] == ["border_control_records"]
    assert [c.field for c in cls.capabilities] == ["borderControlRecords"]

    tests = load(root / "tests" / "test_border_control.py", "scaffold_test_border_control")
    suite = tests.TestBorderControlAdapter
    assert issubclass(suite, AdapterConformance)
    async with open_harness(suite.spec) as harness:
        assert (await harness.stats())["requests"] == 0  # the mock stub has the admin surface
        await suite().test_undeclared_capabilities_raise_not_implemented(harness)
        with pytest.raises(
            NotImplementedError, match=r"BorderControlAdapter\.border_control_records"
        ):
            await suite().test_each_capability_answers_one_entry_per_subject(harness)
    suite().test_declarations()


def test_the_generated_code_passes_ruff(tmp_path: Path) -> None:
    pytest.importorskip("ruff")
    root = create_adapter_package("excise", tmp_path)[0].parent
    command = [sys.executable, "-m", "ruff", "check", "--isolated", "--line-length", "100"]
    command += ["--select", "E,F,W,I,B,UP", "."]
    # run from the project root, so its own package counts as first-party
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("bad", ["", "Customs", "1tax", "a-b", "class", "x_", "a__b", "police"])
def test_refuses_bad_or_taken_names(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        create_adapter_package(bad, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_never_overwrites(tmp_path: Path) -> None:
    create_adapter_package("customs", tmp_path)
    with pytest.raises(FileExistsError):
        create_adapter_package("customs", tmp_path)


def test_class_name() -> None:
    assert class_name("customs") == "CustomsAdapter"
    assert class_name("border_control") == "BorderControlAdapter"
