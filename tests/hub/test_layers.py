"""Imports run one way: ``hub.web`` -> ``schema`` -> hub services -> ``adapters``.

Read from every module's own ``import`` statements (``ast``), so a service that
starts reaching into the graph or the web layer fails here rather than in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The entry points wire the layers together, so they may import all of them.
ENTRY_POINTS = {"hub/cli.py", "hub/server.py", "hub/demo.py"}


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module name ``path`` imports, absolute (relative imports resolved)."""
    # The package the module lives in (for ``__init__.py``, the package itself).
    parts = list(path.relative_to(ROOT).parent.parts)
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = parts[: len(parts) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _reaches(names: set[str], package: str) -> list[str]:
    return sorted(n for n in names if n == package or n.startswith(package + "."))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in _modules("hub")
        if not _rel(p).startswith("hub/web/")
        and _rel(p) not in ENTRY_POINTS
        and "/migrations/versions/" not in _rel(p)
    ],
    ids=_rel,
)
def test_hub_services_import_neither_the_graph_nor_the_web_layer(path: Path) -> None:
    names = _imports(path)
    assert _reaches(names, "schema") == []
    assert _reaches(names, "hub.web") == []


@pytest.mark.parametrize("path", _modules("schema"), ids=_rel)
def test_the_graph_does_not_import_the_web_layer(path: Path) -> None:
    assert _reaches(_imports(path), "hub.web") == []


@pytest.mark.parametrize("path", _modules("adapters"), ids=_rel)
def test_adapters_import_neither_the_hub_nor_the_graph(path: Path) -> None:
    names = _imports(path)
    assert _reaches(names, "hub") == []
    assert _reaches(names, "schema") == []


def test_the_check_sees_a_reaching_import() -> None:
    """The entry points and the web layer do reach across, so the check can fail."""
    assert _reaches(_imports(ROOT / "hub" / "web" / "app.py"), "schema") != []
    assert _reaches(_imports(ROOT / "hub" / "server.py"), "hub.web") != []
