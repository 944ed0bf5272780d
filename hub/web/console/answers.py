"""An agency officer's answer form, read into the ``(outcome, result)`` the service takes.

Each action has its own fields, shaped like what the agencies' own systems
report, so a console answer and an API answer read the same downstream:

- an action whose kind declares a ``result`` model: a free-text ``outcome``
  and one field per model field (``result_fields`` draws them), checked by
  the model; fields the order's ``details`` already name (the certificate,
  the account) are carried over. A waiting seal or freeze has no term.
- QUERY (without a ``result`` model): ``outcome`` found | not_found, and a
  table per capability of the answering agency's kind, its columns the ones
  the kind declares (``CapabilitySpec.columns``): up to ``MAX_ROWS`` rows,
  each field ``<capability>.<attribute>``. The result is
  ``{"found": ..., <capability>: [{<attribute>: value, ...}, ...]}``, values
  checked by the record's own field types (money and areas as decimal
  strings, dates ISO); a field the record does not let be empty is required.
- anything else (a QUERY of a kind that declares no columns too): a
  free-text ``outcome`` and ``result_text``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from adapters.sdk.declare import ActionSpec, CapabilitySpec, Effect
from hub import clock
from hub.assistance import checked
from hub.errors import BadUserInput
from hub.validation import require_text
from hub.web.console import labels

MAX_ROWS = 20
QUERY_OUTCOMES = ("found", "not_found")


def _one(form: Mapping[str, Sequence[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip()


@dataclass(frozen=True)
class ResultField:
    name: str
    title: str
    kind: str  # "date", "choice" or "text"
    choices: tuple[tuple[str, str], ...] = ()


def result_fields(spec: ActionSpec | None) -> list[ResultField]:
    """The answer form's fields for ``spec``'s result model, in its order."""
    if spec is None or spec.result is None:
        return []
    out = []
    for name, info in spec.result.model_fields.items():
        hint = info.annotation
        inner = hint
        if typing.get_origin(hint) in (typing.Union, types.UnionType):  # X | None: X
            inner = next(a for a in typing.get_args(hint) if a is not type(None))
        title = info.title or labels.RESULT_FIELD.get(name, name)
        if typing.get_origin(inner) is typing.Literal:
            values = typing.get_args(inner)
            # the kind's own words for its choices (``json_schema_extra={"labels": ...}``)
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            own = extra.get("labels")
            named = (
                {str(k): str(v) for k, v in own.items()}
                if isinstance(own, dict)
                else labels.ANSWER_CHOICE
            )
            choices = tuple((str(v), labels.label(named, v)) for v in values)
            out.append(ResultField(name, title, "choice", choices))
        elif inner is date:
            out.append(ResultField(name, title, "date"))
        else:
            out.append(ResultField(name, title, "text"))
    return out


def _declared(
    spec: ActionSpec, form: Mapping[str, Sequence[str]], details: Mapping[str, Any]
) -> dict[str, Any]:
    assert spec.result is not None
    data: dict[str, Any] = {}
    for name in spec.result.model_fields:
        value = _one(form, name) or details.get(name)
        if value not in (None, ""):
            data[name] = value
    result = checked(spec.result, data, "result")
    expires = result.get("expires_on")
    if spec.effect is Effect.ENCUMBER and result.get("rank") == "WAITING":
        result.pop("expires_on", None)  # a waiting measure has no term until promoted
    elif spec.effect in (Effect.ENCUMBER, Effect.RENEW) and expires is not None:
        if date.fromisoformat(str(expires)) <= clock.today():
            raise BadUserInput("result.expires_on", "a new term ends in the future")
    return result


@dataclass(frozen=True)
class QueryColumn:
    name: str  # the record's attribute
    title: str
    kind: str  # "text", "decimal", "int", "date" or "bool"
    required: bool


@dataclass(frozen=True)
class QueryTable:
    """One capability's rows on a QUERY answer form."""

    capability: str
    title: str
    columns: tuple[QueryColumn, ...]
    rows: int  # rows offered on a blank form

    def field(self, column: QueryColumn) -> str:
        return f"{self.capability}.{column.name}"


def _column(record: type, name: str, title: str) -> QueryColumn:
    hints = typing.get_type_hints(record)
    hint = hints.get(name, str)
    args = typing.get_args(hint)
    optional = type(None) in args
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        inner = next((a for a in args if a is not type(None)), str)
    else:
        inner = hint
    defaults = {f.name: f for f in dataclasses.fields(record)}
    has_default = name in defaults and (
        defaults[name].default is not dataclasses.MISSING
        or defaults[name].default_factory is not dataclasses.MISSING
    )
    kind = {Decimal: "decimal", float: "decimal", int: "int", date: "date", bool: "bool"}
    found = kind.get(inner, "text") if isinstance(inner, type) else "text"
    return QueryColumn(name, title, found, not optional and not has_default and found != "bool")


def query_tables(capabilities: Iterable[CapabilitySpec]) -> list[QueryTable]:
    """The tables of a QUERY answer form: one per capability declaring console columns,
    assets first (what the court can seize), then by name."""
    chosen = sorted((c for c in capabilities if c.columns), key=lambda c: (c.asset is None, c.name))
    return [
        QueryTable(
            capability=c.name,
            title=c.title,
            columns=tuple(_column(c.record, name, title) for name, title in c.columns),
            rows=3 if c.many else 1,
        )
        for c in chosen
    ]


def _cell(column: QueryColumn, raw: str, field: str) -> Any:
    title = column.title
    if column.kind == "decimal":
        try:
            number = Decimal(raw)
        except ArithmeticError as exc:
            raise BadUserInput(field, f"「{title}」须为数字") from exc
        if not number.is_finite() or number < 0:
            raise BadUserInput(field, f"「{title}」须为不小于 0 的数字")
        return str(number)
    if column.kind == "int":
        if not raw.isdigit():
            raise BadUserInput(field, f"「{title}」须为整数")
        return int(raw)
    if column.kind == "date":
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError as exc:
            raise BadUserInput(field, f"「{title}」须为日期，如 2026-12-06") from exc
    if column.kind == "bool":
        if raw not in ("true", "false"):
            raise BadUserInput(field, f"「{title}」请选择是或否")
        return raw == "true"
    return require_text(raw, field=field, max_length=300)


def _rows(table: QueryTable, form: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    columns = [[v.strip() for v in form.get(table.field(c)) or []] for c in table.columns]
    count = min(max((len(c) for c in columns), default=0), MAX_ROWS)
    rows: list[dict[str, Any]] = []
    for i in range(count):
        raw = [c[i] if i < len(c) else "" for c in columns]
        # an unanswered yes/no does not make a spare row a filled one
        filled = [v for v, c in zip(raw, table.columns, strict=True) if c.kind != "bool" and v]
        if not filled:
            continue  # an empty spare row
        n = len(rows)
        row: dict[str, Any] = {}
        for column, value in zip(table.columns, raw, strict=True):
            field = f"result.{table.capability}.{n}.{column.name}"
            if not value:
                if column.required:
                    raise BadUserInput(field, f"第 {n + 1} 行须填写「{column.title}」")
                continue
            row[column.name] = _cell(column, value, field)
        rows.append(row)
    return rows


def _query(
    outcome: str, form: Mapping[str, Sequence[str]], tables: Sequence[QueryTable]
) -> dict[str, Any]:
    found = {t.capability: _rows(t, form) for t in tables}
    listed = any(found.values())
    if outcome == "found" and not listed:
        field = f"result.{tables[0].capability}" if tables else "result"
        raise BadUserInput(field, "list what was found, one row per property")
    if outcome == "not_found" and listed:
        raise BadUserInput("outcome", "properties are listed, but the outcome says none found")
    return {"found": outcome == "found", **found}


def query_values(
    tables: Sequence[QueryTable], form: Mapping[str, Sequence[str]]
) -> dict[str, list[list[str]]]:
    """What was typed in each table, row by row (to show it again beside an error)."""
    out: dict[str, list[list[str]]] = {}
    for table in tables:
        columns = [list(form.get(table.field(c)) or []) for c in table.columns]
        count = max((len(c) for c in columns), default=0)
        out[table.capability] = [
            [c[i] if i < len(c) else "" for c in columns] for i in range(count)
        ]
    return out


def read_answer(
    spec: ActionSpec | None,
    form: Mapping[str, Sequence[str]],
    details: Mapping[str, Any],
    tables: Sequence[QueryTable] = (),
) -> tuple[str, dict[str, Any]]:
    """``(outcome, result)`` from the submitted form; ``BadUserInput`` names the field.

    ``tables``: a QUERY's rows, from the answering agency's capabilities
    (``query_tables``)."""
    outcome = _one(form, "outcome")
    if spec is not None and spec.result is not None:
        outcome = require_text(outcome, field="outcome", max_length=200)
        return outcome, _declared(spec, form, details)
    if spec is not None and spec.name == "QUERY" and tables:
        if outcome not in QUERY_OUTCOMES:
            raise BadUserInput("outcome", "a query is answered found or not_found")
        return outcome, _query(outcome, form, tables)
    outcome = require_text(outcome, field="outcome", max_length=200)
    text = _one(form, "result_text")
    result = {"text": require_text(text, field="result", max_length=2000)} if text else {}
    return outcome, result


def answered_rows(
    tables: Sequence[QueryTable], result: Mapping[str, Any]
) -> list[tuple[QueryTable, list[list[str]]]]:
    """A QUERY answer's rows under its tables' columns, as people read them."""
    out = []
    for table in tables:
        rows = result.get(table.capability)
        if not isinstance(rows, list) or not rows:
            continue
        shown = [
            [labels.result_value(c.name, row.get(c.name)) for c in table.columns]
            for row in rows
            if isinstance(row, dict)
        ]
        out.append((table, shown))
    return out
