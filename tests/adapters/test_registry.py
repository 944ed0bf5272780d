import itertools
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from adapters.sdk import registry
from adapters.sdk.base import Adapter
from adapters.sdk.config import AgencyConfig
from adapters.sdk.records import Capability
from adapters.sdk.registry import (
    BUILTIN_KINDS,
    ENTRY_POINT_GROUP,
    build_adapter,
    describe_kinds,
    installed_kinds,
    load_adapter_class,
)

_serial = itertools.count()

ADAPTER_SOURCE = '''
from adapters.sdk.base import Adapter
from adapters.sdk.records import Action, Capability


class CustomsAdapter(Adapter):
    """Customs declarations (海关)."""

    kind = "{kind}"
    capabilities = frozenset({{Capability.WHEREABOUTS}})
    actions = frozenset({{Action.QUERY}})


class NotAnAdapter:
    kind = "{kind}"
'''

Install = Callable[..., str]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Install:
    """Make a distribution visible as if installed: a module plus a ``*.dist-info``.

    Leaving the test takes ``tmp_path`` off ``sys.path``, which uninstalls it.
    """
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(kind: str = "customs", *, target: str = "CustomsAdapter", source: str = "") -> str:
        module = f"hub_adapter_test_{next(_serial)}_{os.getpid()}"
        (tmp_path / f"{module}.py").write_text(
            source or ADAPTER_SOURCE.format(kind=kind), encoding="utf-8"
        )
        dist = tmp_path / f"{module}-0.3.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: 0.3\n",
            encoding="utf-8",
        )
        (dist / "entry_points.txt").write_text(
            f"[{ENTRY_POINT_GROUP}]\n{kind} = {module}:{target}\n", encoding="utf-8"
        )
        return module

    return make


def test_builtin_kinds_are_installed() -> None:
    assert {"police", "realestate", "tax", "hr", "credit"} <= set(installed_kinds())
    assert installed_kinds() == sorted(installed_kinds())


@pytest.mark.parametrize("kind", sorted(BUILTIN_KINDS))
def test_builtin_kinds_load(kind: str) -> None:
    cls = load_adapter_class(kind)
    assert issubclass(cls, Adapter)
    assert cls.kind == kind


def test_a_miss_names_the_kind_the_group_and_the_installed_kinds() -> None:
    with pytest.raises(LookupError) as caught:
        load_adapter_class("customs")
    message = str(caught.value)
    assert "'customs'" in message
    assert "hub.adapters" in message
    assert "police" in message and "realestate" in message


def test_a_third_party_kind_is_found_by_entry_point(
    install: Install, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = install()
    assert "customs" in installed_kinds()
    cls = load_adapter_class("customs")
    assert cls.__module__ == module
    assert cls.capabilities == frozenset({Capability.WHEREABOUTS})
    (entry,) = [e for e in describe_kinds() if e["kind"] == "customs"]
    assert entry == {
        "kind": "customs",
        "capabilities": ["whereabouts"],
        "actions": ["QUERY"],
        "description": "Customs declarations (海关).",
        "source": f"{module.replace('_', '-')} 0.3",
        "error": None,
    }
    monkeypatch.undo()  # off sys.path: uninstalled
    assert "customs" not in installed_kinds()
    with pytest.raises(LookupError):
        load_adapter_class("customs")


def test_built_in_kinds_cannot_be_replaced_by_entry_point(install: Install) -> None:
    install("police")
    cls = load_adapter_class("police")
    assert cls.__module__.startswith("adapters.police")


def test_the_class_must_be_an_adapter_of_that_kind(install: Install) -> None:
    install("customs", target="NotAnAdapter")
    with pytest.raises(TypeError, match="not an Adapter subclass"):
        load_adapter_class("customs")
    install("excise", source=ADAPTER_SOURCE.format(kind="customs"))
    with pytest.raises(TypeError, match="of kind 'customs'"):
        load_adapter_class("excise")


def test_a_broken_plugin_is_listed_with_its_error(install: Install) -> None:
    install("broken", source="raise ImportError('missing dependency')\n")
    described = {entry["kind"]: entry for entry in describe_kinds()}
    assert described["broken"]["error"] == "ImportError: missing dependency"
    assert described["police"]["error"] is None
    assert described["police"]["source"] == "linkage-hub"
    assert "vehicles" in described["police"]["capabilities"]


def test_register_in_process() -> None:
    class Excise(Adapter):
        kind = "excise"

    registry.register("excise", Excise)
    try:
        assert "excise" in installed_kinds()
        assert load_adapter_class("excise") is Excise
        (entry,) = [e for e in describe_kinds() if e["kind"] == "excise"]
        assert entry["source"] == "registered in-process"
    finally:
        registry.unregister("excise")
    assert "excise" not in installed_kinds()


async def test_build_adapter_makes_one_for_the_config() -> None:
    config = AgencyConfig(
        id="police-fujian", kind="police", name="福建省公安厅", base_url="http://p", secret="x"
    )
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    adapter = build_adapter(config, transport=httpx.MockTransport(handler))
    try:
        assert type(adapter) is load_adapter_class("police")
        assert adapter.agency_id == "police-fujian"
        await adapter.connector.request("GET", "/ping")
    finally:
        await adapter.aclose()
    assert seen[0].url == "http://p/ping"


def test_the_listing_sees_an_installed_distribution(install: Install, tmp_path: Path) -> None:
    module = install()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-c", "from adapters.sdk.registry import main; main()"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    lines = {line.split("\t")[0]: line for line in done.stdout.splitlines()}
    assert set(BUILTIN_KINDS) <= set(lines)
    assert lines["customs"].startswith(f"customs\t{module.replace('_', '-')} 0.3\t")
    assert "capabilities=whereabouts" in lines["customs"]
