"""Records of any kind, shown to people: the console's dossier sections are composed from
the kinds' declarations (``CapabilitySpec.columns``, ``AssetView``) as the graph is.

Values are shown in the console's own style — money with thousands separators,
dates as 2026-12-06, instants in Beijing time, known codes by their zh-CN label —
and nested records (a holding's seals, an account's freezes) as one line each.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from adapters.sdk.declare import ActionSpec, CapabilitySpec, Effect
from hub.agencies import Agency
from hub.web.console import labels
from hub.web.console.web import SHANGHAI

# codes that may appear in any kind's records, shown by their labels
_CODES = {**labels.SEAL_RANK, **labels.CREDIT_LIST, **labels.TRAVEL_MODE}


def show(value: Any) -> str:
    """One value as a person reads it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _CODES.get(str(value.value), str(value.value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return line(value)
    if isinstance(value, tuple | list):
        return "、".join(show(v) for v in value) or "—"
    text = str(value)
    return _CODES.get(text, text)


def line(record: Any, hidden: Iterable[str] = ("owner_id", "owner_name", "matched_by")) -> str:
    """A nested record on one line: its shown values in order."""
    skip = set(hidden)
    parts = [
        show(getattr(record, f.name))
        for f in dataclasses.fields(record)
        if f.name not in skip and getattr(record, f.name) not in (None, "", ())
    ]
    return " · ".join(parts)


def cells(capability: CapabilitySpec, record: Any) -> list[str]:
    """The record's values under the capability's columns."""
    return [show(getattr(record, name, None)) for name, _ in capability.columns]


def nested(capability: CapabilitySpec, record: Any) -> list[tuple[str, list[str]]]:
    """The record's nested lists not among its columns: ``(field, [line, ...])``."""
    shown = {name for name, _ in capability.columns}
    out = []
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if f.name in shown or f.name in capability.hidden or not isinstance(value, tuple):
            continue
        if value and all(dataclasses.is_dataclass(v) for v in value):
            title = f.metadata.get("title") or labels.NESTED.get(f.name, f.name)
            out.append((title, [line(v) for v in value]))
    return out


def reference(capability: CapabilitySpec, record: Any) -> str | None:
    view = capability.asset
    return str(getattr(record, view.reference)) if view is not None else None


def record_actions(agency: Agency, capability: CapabilitySpec) -> list[ActionSpec]:
    """What the court may order of this agency about one record of ``capability``."""
    return [
        spec
        for spec in agency.adapter.action_specs.values()
        if spec.capability == capability.name
        and spec.reference is not None
        and spec.effect not in (Effect.LIFT, Effect.RENEW)
    ]


def detail_fields(agencies: Iterable[Agency]) -> list[tuple[str, str]]:
    """Every ``details`` field any agency's actions take: ``(name, zh-CN title)``, once each."""
    found: dict[str, str] = {}
    for agency in agencies:
        for spec in agency.adapter.action_specs.values():
            if spec.details is None:
                continue
            for name, info in spec.details.model_fields.items():
                found.setdefault(name, info.title or labels.RESULT_FIELD.get(name, name))
    return list(found.items())


def clue_fields(agencies: Iterable[Agency]) -> list[tuple[str, str]]:
    """The fields a property clue may carry: what the agencies' orders name a record by
    (a certificate, a plate, an account ...), ``(details key, zh-CN title)``, once each."""
    found: dict[str, str] = {}
    for agency in agencies:
        for spec in agency.adapter.action_specs.values():
            if spec.reference is None or spec.details is None:
                continue
            info = spec.details.model_fields.get(spec.reference)
            if info is not None:
                title = info.title or labels.RESULT_FIELD.get(spec.reference, spec.reference)
                found.setdefault(spec.reference, title)
    return list(found.items())


def action_labels(agencies: Iterable[Agency]) -> dict[str, str]:
    """Every action the agencies take, by name, with its label."""
    out: dict[str, str] = {}
    for agency in agencies:
        for spec in agency.adapter.action_specs.values():
            out.setdefault(spec.name, spec.label)
    return out
