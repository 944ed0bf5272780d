"""Which adapter class serves an agency kind.

Like SQLAlchemy's dialects: the kinds shipped with the hub sit in a small
table of ``"module:Class"`` strings, imported only when first asked for;
any other kind comes from an installed distribution that declares it in the
``hub.adapters`` entry-point group::

    [project.entry-points."hub.adapters"]
    customs = "hub_adapter_customs:CustomsAdapter"

Built-in kinds win over entry points of the same name, so a third party
cannot quietly replace one. ``register()`` adds a kind in-process (tests,
embedding).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import httpx

from adapters.sdk.base import Adapter
from adapters.sdk.config import AgencyConfig
from adapters.sdk.connector import RetryPolicy
from adapters.sdk.declare import CapabilitySpec
from adapters.sdk.records import Action

ENTRY_POINT_GROUP = "hub.adapters"
HUB_DISTRIBUTION = "linkage-hub"

BUILTIN_KINDS: Mapping[str, str] = {
    "police": "adapters.police:PoliceAdapter",
    "realestate": "adapters.realestate:RealEstateAdapter",
    "tax": "adapters.tax:TaxAdapter",
    "hr": "adapters.hr:HrAdapter",
    "credit": "adapters.credit:CreditAdapter",
    "bank": "adapters.bank:BankAdapter",
}

_registered: dict[str, str | type[Adapter]] = {}


def register(kind: str, target: str | type[Adapter]) -> None:
    """Serve ``kind`` with ``target`` (a class or ``"module:Class"``) in this process."""
    _registered[kind] = target


def unregister(kind: str) -> None:
    _registered.pop(kind, None)


def _entry_points() -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep)  # first on sys.path wins, as imports do
    return found


def installed_kinds() -> list[str]:
    """Every kind this process could serve, sorted."""
    return sorted({*BUILTIN_KINDS, *_registered, *_entry_points()})


def load_adapter_class(kind: str) -> type[Adapter]:
    """The adapter class for ``kind``; ``LookupError`` when no one provides it.

    Nothing is cached here beyond what the import system caches, so a
    distribution installed (or a path added) at run time is seen at once.
    """
    target: str | type[Adapter] | None = _registered.get(kind) or BUILTIN_KINDS.get(kind)
    if target is None:
        ep = _entry_points().get(kind)
        if ep is None:
            raise LookupError(
                f"no adapter for kind {kind!r}: not built in and no distribution declares it "
                f"in the entry-point group {ENTRY_POINT_GROUP!r} "
                f"(installed kinds: {', '.join(installed_kinds()) or 'none'})"
            )
        target = ep.value
    cls = _resolve(target) if isinstance(target, str) else target
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise TypeError(f"adapter kind {kind!r} resolves to {cls!r}, not an Adapter subclass")
    if cls.kind != kind:
        raise TypeError(f"adapter kind {kind!r} resolves to {cls.__name__} of kind {cls.kind!r}")
    return cls


def _resolve(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module_name.strip())
    for part in attr.strip().split(".") if attr.strip() else ():
        obj = getattr(obj, part)
    return obj


def _source(kind: str, eps: Mapping[str, EntryPoint]) -> str:
    if kind in _registered:
        return "registered in-process"
    ep = eps.get(kind)
    dist = getattr(ep, "dist", None) if ep is not None else None
    if kind in BUILTIN_KINDS or dist is None:
        return HUB_DISTRIBUTION
    return f"{dist.name} {dist.version}"


def describe_kinds() -> list[dict[str, Any]]:
    """One entry per installed kind, for ``hub adapters list`` and the ``agencies`` query.

    A kind whose module fails to import is listed with ``error`` rather than
    hiding the others.
    """
    eps = _entry_points()
    described: list[dict[str, Any]] = []
    for kind in installed_kinds():
        entry: dict[str, Any] = {
            "kind": kind,
            "capabilities": [],
            "actions": [],
            "description": "",
            "source": _source(kind, eps),
            "error": None,
        }
        try:
            cls = load_adapter_class(kind)
        except Exception as exc:  # a broken plug-in must not hide the working ones
            entry["error"] = f"{type(exc).__name__}: {exc}"
        else:
            entry["capabilities"] = sorted(c.name for c in cls.capabilities)
            entry["actions"] = sorted(cls.actions)
            entry["description"] = cls.description or (cls.__doc__ or "").strip().split("\n")[0]
        described.append(entry)
    return described


def installed_classes() -> list[type[Adapter]]:
    """The adapter class of every installed kind that loads, sorted by kind.

    A kind that fails to import is left out here (``describe_kinds`` reports it);
    the graph is composed from the ones that work.
    """
    classes = []
    for kind in installed_kinds():
        try:
            classes.append(load_adapter_class(kind))
        except Exception:  # a broken plug-in must not take the others down
            continue
    return classes


def installed_capabilities(
    classes: Sequence[type[Adapter]] | None = None,
) -> dict[str, CapabilitySpec]:
    """Every capability the installed kinds declare, by name.

    Two kinds may declare the same capability only by sharing its declaration
    (one spec object); two different specs under one name are an error naming both.
    """
    found: dict[str, tuple[CapabilitySpec, str]] = {}
    for cls in installed_classes() if classes is None else classes:
        for spec in cls.capabilities:
            seen = found.get(spec.name)
            if seen is not None and seen[0] is not spec and seen[0].record is not spec.record:
                raise TypeError(
                    f"capability {spec.name!r} is declared differently by kinds "
                    f"{seen[1]!r} and {cls.kind!r}: share one CapabilitySpec"
                )
            found.setdefault(spec.name, (spec, cls.kind))
    return {name: found[name][0] for name in sorted(found)}


def installed_actions(classes: Sequence[type[Adapter]] | None = None) -> list[str]:
    """Every action name the installed kinds take: the standard ones in their order, then
    the kinds' own, sorted."""
    names = {
        a for cls in (installed_classes() if classes is None else classes) for a in cls.actions
    }
    standard = [a.value for a in Action if a.value in names]
    return standard + sorted(names - set(standard))


def build_adapter(
    config: AgencyConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    policy: RetryPolicy | None = None,
) -> Adapter:
    """An adapter for one agency instance, of the class its ``kind`` names."""
    cls = load_adapter_class(config.kind)
    return cls(config, transport=transport, policy=policy)


def main() -> None:
    """Print the installed kinds, one a line (``python -c`` / the CLI's ``adapters list``)."""
    for entry in describe_kinds():
        line = (
            f"{entry['kind']}\t{entry['source']}\t"
            f"capabilities={','.join(entry['capabilities']) or '-'}\t"
            f"actions={','.join(entry['actions']) or '-'}"
        )
        if entry["error"]:
            line += f"\terror={entry['error']}"
        print(line)
