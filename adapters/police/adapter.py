"""The police adapter: JSON REST under ``/api/v1`` with a bearer token.

Reads are batched searches (``persons/search`` by ID number,
``vehicles/search`` by owner ID number); orders go to ``/api/v1/assistance``
in the police's own field names (``type``, ``case_no``, ``target`` ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from adapters.sdk.declare import CapabilitySpec
from adapters.sdk.errors import UpstreamUnavailable
from adapters.sdk.json_orders import JsonOrderApi, parse_instant
from adapters.sdk.records import (
    Action,
    AssistanceOrder,
    MatchKind,
    Sighting,
    Subject,
    Trip,
    Vehicle,
    Whereabouts,
    match_kind,
)
from adapters.sdk.standard import Capability


class VehicleDetails(BaseModel):
    """Which of the subject's vehicles an order is about; none named: all of them."""

    model_config = ConfigDict(extra="allow")

    plate: str | None = Field(default=None, max_length=16, title="号牌号码")
    plates: list[str] | None = Field(default=None, max_length=50, title="号牌号码（多个）")


class PoliceAdapter(JsonOrderApi):
    kind: ClassVar[str] = "police"
    description: ClassVar[str] = (
        "Police (公安): vehicles with sightings, whereabouts; locate, control vehicles, detain"
    )
    capabilities: ClassVar[frozenset[CapabilitySpec]] = frozenset(
        {Capability.VEHICLES, Capability.WHEREABOUTS}
    )
    actions: ClassVar[frozenset[Any]] = frozenset(
        {Action.QUERY, Action.LOCATE_PERSON, Action.CONTROL_VEHICLE, Action.DETAIN, Action.WATCH}
    )
    action_details: ClassVar[dict[str, type[BaseModel]]] = {
        Action.CONTROL_VEHICLE: VehicleDetails,
        Action.WATCH: VehicleDetails,
    }
    action_overrides: ClassVar[dict[str, dict[str, Any]]] = {
        Action.CONTROL_VEHICLE: {"capability": Capability.VEHICLES.name, "reference": "plate"},
        Action.WATCH: {"capability": Capability.VEHICLES.name, "reference": "plate"},
    }
    batch_size: ClassVar[int] = 50
    default_auth: ClassVar[str] = "bearer"

    orders_path: ClassVar[str] = "/api/v1/assistance"
    reference_field: ClassVar[str] = "reference"
    status_field: ClassVar[str] = "status"
    request_id_field: ClassVar[str] = "request_no"

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
        return self.json_object(response)

    # -- orders -------------------------------------------------------------------------------

    def order_body(self, order: AssistanceOrder) -> dict[str, Any]:
        return {
            "request_no": order.request_id,
            "type": order.action,
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

    # -- translation --------------------------------------------------------------------------

    def _items(self, body: dict[str, Any], key: str) -> list[dict[str, Any]]:
        items = body.get(key)
        if not isinstance(items, list):
            raise UpstreamUnavailable(self.agency_id, f"answer lacks the {key} list")
        return [item for item in items if isinstance(item, dict)]

    @staticmethod
    def _vehicle(raw: dict[str, Any], matched: MatchKind) -> Vehicle:
        sightings = [
            Sighting(at=at, place=str(s.get("place") or ""))
            for s in raw.get("sightings") or []
            if isinstance(s, dict) and (at := parse_instant(s.get("at"))) is not None
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


def _day(raw: object) -> date | None:
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None
