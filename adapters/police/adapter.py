"""The police adapter: JSON REST under ``/api/v1`` with a bearer token.

Reads are batched searches (``persons/search`` by ID number,
``vehicles/search`` by owner ID number); orders go to ``/api/v1/assistance``
in the police's own field names (``type``, ``case_no``, ``target`` ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, ClassVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from adapters.sdk.base import Adapter
from adapters.sdk.records import (
    Action,
    AssistanceOrder,
    Capability,
    DispatchReceipt,
    MatchKind,
    OrderProgress,
    Sighting,
    Subject,
    Trip,
    Vehicle,
    Whereabouts,
    match_kind,
)
from hub.errors import BadUserInput, UpstreamUnavailable

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the agency's clock, when it omits an offset
_STATUSES = {s.lower(): s for s in ("RECEIVED", "ACKNOWLEDGED", "COMPLETED", "REJECTED")}


class PoliceAdapter(Adapter):
    kind: ClassVar[str] = "police"
    description: ClassVar[str] = (
        "Police (公安): vehicles with sightings, whereabouts; locate, control vehicles, detain"
    )
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.VEHICLES, Capability.WHEREABOUTS}
    )
    actions: ClassVar[frozenset[Action]] = frozenset(
        {Action.QUERY, Action.LOCATE_PERSON, Action.CONTROL_VEHICLE, Action.DETAIN}
    )
    batch_size: ClassVar[int] = 50
    default_auth: ClassVar[str] = "bearer"

    # -- reads --------------------------------------------------------------------------------

    async def vehicles(self, subjects: Sequence[Subject]) -> dict[str, list[Vehicle]]:
        found: dict[str, list[Vehicle]] = {s.id_number: [] for s in subjects}
        if not subjects:
            return found
        unique = _unique(subjects)
        body = await self._search("/api/v1/vehicles/search", "owner_ids", unique)
        for raw in self._items(body, "vehicles"):
            for subject in unique:
                matched = match_kind(subject, raw.get("owner_id"), None)
                if matched is not None:
                    found[subject.id_number].append(self._vehicle(raw, matched))
        return found

    async def whereabouts(self, subjects: Sequence[Subject]) -> dict[str, Whereabouts | None]:
        found: dict[str, Whereabouts | None] = {s.id_number: None for s in subjects}
        if not subjects:
            return found
        unique = _unique(subjects)
        body = await self._search("/api/v1/persons/search", "id_numbers", unique)
        for raw in self._items(body, "persons"):
            for subject in unique:
                # A person found by ID only; a namesake is someone else.
                if match_kind(subject, raw.get("id_number"), None) is MatchKind.ID_NUMBER:
                    found[subject.id_number] = self._whereabouts(raw)
        return found

    async def _search(self, path: str, key: str, subjects: Sequence[Subject]) -> Any:
        ids = [s.id_number for s in subjects]
        response = await self.connector.request("POST", path, json={key: ids}, idempotent=True)
        return self._json(response)

    # -- orders -------------------------------------------------------------------------------

    async def dispatch(self, order: AssistanceOrder) -> DispatchReceipt:
        if order.action not in self.actions:
            raise BadUserInput("action", f"{self.agency_id} does not take {order.action.value}")
        body = {
            "request_no": order.request_id,
            "type": order.action.value,
            "case_no": order.case_number,
            "court": order.court,
            "document_no": order.document_number,
            "target": {
                "id_number": order.subject.id_number,
                "name": order.subject.name,
                "kind": order.subject.kind.value,
            },
            "details": order.details,
            "notify_url": order.callback_url,
            "deadline": order.due_at.isoformat() if order.due_at else None,
        }
        response = await self.connector.request(
            "POST", "/api/v1/assistance", json=body, idempotency_key=order.idempotency_key
        )
        return self._receipt(self._json(response))

    async def lookup(self, idempotency_key: str) -> DispatchReceipt | None:
        response = await self.connector.request(
            "GET",
            "/api/v1/assistance",
            params={"idempotency_key": idempotency_key},
            ok_statuses={404},
        )
        if response.status_code == 404:
            return None
        return self._receipt(self._json(response))

    async def poll(self, agency_ref: str) -> OrderProgress:
        response = await self.connector.request("GET", f"/api/v1/assistance/{_segment(agency_ref)}")
        data = self._json(response)
        result = data.get("result")
        return OrderProgress(
            agency_ref=str(data.get("reference") or agency_ref),
            status=self._status(data.get("status")),
            outcome=data.get("outcome"),
            result=result if isinstance(result, dict) else None,
            at=_instant(data.get("updated_at")),
            request_id=data.get("request_no"),
            idempotency_key=data.get("idempotency_key"),
        )

    async def urge(self, agency_ref: str, note: str | None) -> None:
        await self.connector.request(
            "POST", f"/api/v1/assistance/{_segment(agency_ref)}/urge", json={"note": note}
        )

    # -- translation --------------------------------------------------------------------------

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise UpstreamUnavailable(self.agency_id, "answer is not a JSON object")
        return data

    def _items(self, body: dict[str, Any], key: str) -> list[dict[str, Any]]:
        items = body.get(key)
        if not isinstance(items, list):
            raise UpstreamUnavailable(self.agency_id, f"answer lacks the {key} list")
        return [item for item in items if isinstance(item, dict)]

    def _status(self, raw: object) -> str:
        status = _STATUSES.get(str(raw).lower())
        if status is None:
            raise UpstreamUnavailable(self.agency_id, "unknown order status in answer")
        return status

    def _receipt(self, data: dict[str, Any]) -> DispatchReceipt:
        if not data.get("reference"):
            raise UpstreamUnavailable(self.agency_id, "order answer lacks a reference")
        return DispatchReceipt(str(data["reference"]), self._status(data.get("status")))

    @staticmethod
    def _vehicle(raw: dict[str, Any], matched: MatchKind) -> Vehicle:
        sightings = [
            Sighting(at=at, place=str(s.get("place") or ""))
            for s in raw.get("sightings") or []
            if isinstance(s, dict) and (at := _instant(s.get("at"))) is not None
        ]
        sightings.sort(key=lambda s: s.at, reverse=True)  # newest first
        return Vehicle(
            plate=str(raw.get("plate") or ""),
            model=str(raw.get("model") or ""),
            owner_id=raw.get("owner_id"),
            matched_by=matched,
            sightings=tuple(sightings),
        )

    @staticmethod
    def _whereabouts(raw: dict[str, Any]) -> Whereabouts:
        trips = [
            Trip(
                date=day,
                mode=str(t.get("mode") or ""),
                origin=str(t.get("from") or ""),
                destination=str(t.get("to") or ""),
            )
            for t in raw.get("travel") or []
            if isinstance(t, dict) and (day := _day(t.get("date"))) is not None
        ]
        trips.sort(key=lambda t: t.date, reverse=True)  # newest first
        return Whereabouts(
            household_address=raw.get("household_address"),
            residence=raw.get("residence"),
            travel=tuple(trips),
        )


def _unique(subjects: Sequence[Subject]) -> list[Subject]:
    return list({s.id_number: s for s in subjects}.values())


def _instant(raw: object) -> datetime | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI)


def _day(raw: object) -> date | None:
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None


def _segment(value: str) -> str:
    """``value`` as one URL path segment (a reference never splits the path)."""
    return quote(value, safe="")
