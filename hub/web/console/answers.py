"""An agency officer's answer form, read into the ``(outcome, result)`` the service takes.

Each action has its own fields, shaped like what the agencies' own systems
report, so a console answer and an API answer read the same downstream:

- an action whose kind declares a ``result`` model: a free-text ``outcome``
  and one field per model field (``result_fields`` draws them), checked by
  the model; fields the order's ``details`` already name (the certificate,
  the account) are carried over. A waiting seal or freeze has no term.
- QUERY: ``outcome`` found | not_found, and up to ``MAX_HOLDINGS`` rows of
  ``holding_certificate`` / ``holding_address`` / ``holding_area``
  (result ``properties``: certificate, address, area_m2 as a decimal string).
- anything else: a free-text ``outcome`` and ``result_text``.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from adapters.sdk.declare import ActionSpec, Effect
from hub import clock
from hub.assistance import checked
from hub.errors import BadUserInput
from hub.validation import require_text
from hub.web.console import labels

MAX_HOLDINGS = 20
QUERY_OUTCOMES = ("found", "not_found")
HOLDING_FIELDS = ("holding_certificate", "holding_address", "holding_area")


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
        args = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
        inner = args[0]
        title = info.title or labels.RESULT_FIELD.get(name, name)
        if typing.get_origin(inner) is typing.Literal:
            values = typing.get_args(inner)
            choices = tuple((str(v), labels.label(labels.ANSWER_CHOICE, v)) for v in values)
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


def _area(raw: str, row: int) -> str:
    try:
        area = Decimal(raw)
    except ArithmeticError as exc:
        raise BadUserInput(f"result.properties.{row}.area_m2", "area is a number of m²") from exc
    if not area.is_finite() or area <= 0:
        raise BadUserInput(f"result.properties.{row}.area_m2", "area is a positive number of m²")
    return str(area)


def _holdings(form: Mapping[str, Sequence[str]]) -> list[dict[str, str]]:
    columns = [list(form.get(name) or []) for name in HOLDING_FIELDS]
    rows = max((len(c) for c in columns), default=0)
    holdings: list[dict[str, str]] = []
    for i in range(min(rows, MAX_HOLDINGS)):
        certificate, address, area = (c[i].strip() if i < len(c) else "" for c in columns)
        if not (certificate or address or area):
            continue  # an empty spare row
        n = len(holdings)
        holdings.append(
            {
                "certificate": require_text(
                    certificate, field=f"result.properties.{n}.certificate", max_length=100
                ),
                "address": require_text(
                    address, field=f"result.properties.{n}.address", max_length=300
                ),
                "area_m2": _area(area, n),
            }
        )
    return holdings


def _query(outcome: str, form: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    holdings = _holdings(form)
    if outcome == "found" and not holdings:
        raise BadUserInput("result.properties", "list what was found, one row per property")
    if outcome == "not_found" and holdings:
        raise BadUserInput("outcome", "properties are listed, but the outcome says none found")
    return {"found": outcome == "found", "properties": holdings}


def read_answer(
    spec: ActionSpec | None,
    form: Mapping[str, Sequence[str]],
    details: Mapping[str, Any],
) -> tuple[str, dict[str, Any]]:
    """``(outcome, result)`` from the submitted form; ``BadUserInput`` names the field."""
    outcome = _one(form, "outcome")
    if spec is not None and spec.result is not None:
        outcome = require_text(outcome, field="outcome", max_length=200)
        return outcome, _declared(spec, form, details)
    if spec is not None and spec.name == "QUERY":
        if outcome not in QUERY_OUTCOMES:
            raise BadUserInput("outcome", "a query is answered found or not_found")
        return outcome, _query(outcome, form)
    outcome = require_text(outcome, field="outcome", max_length=200)
    text = _one(form, "result_text")
    result = {"text": require_text(text, field="result", max_length=2000)} if text else {}
    return outcome, result
