"""An agency officer's answer form, read into the ``(outcome, result)`` the service takes.

Each action has its own fields, shaped like what the agencies' own systems
report, so a console answer and an API answer read the same downstream:

- SEAL: ``outcome=sealed``, ``rank`` (FIRST | WAITING) and ``expires_on``;
  the result carries the certificate the court named.
- QUERY: ``outcome`` found | not_found, and up to ``MAX_HOLDINGS`` rows of
  ``holding_certificate`` / ``holding_address`` / ``holding_area``
  (result ``properties``: certificate, address, area_m2 as a decimal string).
- anything else: a free-text ``outcome`` and ``result_text``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from hub import clock
from hub.errors import BadUserInput
from hub.validation import require_text

MAX_HOLDINGS = 20
SEAL_OUTCOMES = ("sealed",)
QUERY_OUTCOMES = ("found", "not_found")
HOLDING_FIELDS = ("holding_certificate", "holding_address", "holding_area")


def _one(form: Mapping[str, Sequence[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip()


def _seal(form: Mapping[str, Sequence[str]], details: Mapping[str, Any]) -> dict[str, Any]:
    rank = _one(form, "rank").upper()
    if rank not in ("FIRST", "WAITING"):
        raise BadUserInput("result.rank", "choose the seal's rank: FIRST or WAITING")
    expires = _one(form, "expires_on")
    try:
        expires_on = date.fromisoformat(expires)
    except ValueError as exc:
        raise BadUserInput("result.expires_on", "give the seal's expiry as YYYY-MM-DD") from exc
    if expires_on <= clock.today():
        raise BadUserInput("result.expires_on", "a new seal expires in the future")
    result: dict[str, Any] = {"rank": rank, "expires_on": expires_on.isoformat()}
    if details.get("certificate"):
        result["certificate"] = details["certificate"]
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
    action: str, form: Mapping[str, Sequence[str]], details: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    """``(outcome, result)`` from the submitted form; ``BadUserInput`` names the field."""
    outcome = _one(form, "outcome")
    if action == "SEAL":
        if outcome not in SEAL_OUTCOMES:
            raise BadUserInput("outcome", "a seal is answered as sealed, or rejected")
        return outcome, _seal(form, details)
    if action == "QUERY":
        if outcome not in QUERY_OUTCOMES:
            raise BadUserInput("outcome", "a query is answered found or not_found")
        return outcome, _query(outcome, form)
    outcome = require_text(outcome, field="outcome", max_length=200)
    text = _one(form, "result_text")
    result = {"text": require_text(text, field="result", max_length=2000)} if text else {}
    return outcome, result
