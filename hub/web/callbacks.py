"""``POST /callbacks/{agency_id}``: an agency system reports progress on an order.

Checked in this order, and refused before anything is written:

1. the agency is configured (else 404);
2. ``X-Hub-Signature: sha256=<hex>`` (bare hex accepted too) is the
   HMAC-SHA256 of the raw body under the agency's shared secret (else 401);
3. the body parses (``adapter.parse_callback``; else 400) and its
   ``timestamp`` is within ``callback_max_age_s`` of now (else 401: a stale
   or undated report may be a replay).

Then, in one transaction, the event is recorded in ``CallbackReceipt`` (its
``event_id``, or the body's SHA-256 when it has none): a repeated event is
answered 200 and changes nothing. The progress goes through the same code
as polling (``hub.agency_progress.apply_progress``).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.sdk.records import OrderProgress
from hub import agency_progress, metrics, request_states
from hub.dispatcher import schedule_poll
from hub.errors import NotFound
from hub.models import AssistanceRequest, CallbackReceipt, utcnow
from hub.pacing import dispatch_clock
from hub.state import HubState

log = structlog.get_logger("hub.callbacks")

MAX_BODY_BYTES = 1024 * 1024


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    if not secret or not header:
        return False
    given = header.strip()
    if given.lower().startswith("sha256="):
        given = given[len("sha256=") :]
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given.lower().encode(), expected.encode())


def event_digest(agency_id: str, progress: OrderProgress, body: bytes) -> str:
    """One digest per agency event: its id when it has one, else the body itself."""
    if progress.event_id:
        return hashlib.sha256(f"{agency_id}\n{progress.event_id}".encode()).hexdigest()
    return hashlib.sha256(body).hexdigest()


def _answer(agency_id: str, outcome: str, status: int, message: str | None = None) -> Response:
    metrics.CALLBACKS.labels(agency_id, outcome).inc()
    body: dict[str, str] = {"status": outcome}
    if message:
        body["message"] = message
    return JSONResponse(body, status_code=status)


async def _find(
    session: AsyncSession, agency_id: str, progress: OrderProgress
) -> AssistanceRequest | None:
    mine = AssistanceRequest.agency_id == agency_id
    for column, value in (
        (AssistanceRequest.agency_ref, progress.agency_ref),
        (AssistanceRequest.id, progress.request_id),
        (AssistanceRequest.idempotency_key, progress.idempotency_key),
    ):
        if value:
            found = await session.scalar(select(AssistanceRequest).where(mine, column == value))
            if found is not None:
                return found
    return None


async def receive_callback(request: Request) -> Response:
    hub: HubState = request.app.state.hub
    agency_id = request.path_params["agency_id"]
    agency = hub.agencies.get(agency_id)
    if agency is None:
        return JSONResponse({"status": "unknown_agency"}, status_code=404)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return _answer(agency_id, "too_large", 413)
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return _answer(agency_id, "too_large", 413)
    if not signature_ok(
        agency.config.shared_secret(), body, request.headers.get("x-hub-signature")
    ):
        return _answer(agency_id, "bad_signature", 401, "signature does not match")
    try:
        progress = agency.adapter.parse_callback(body)
    except ValueError:
        return _answer(agency_id, "malformed", 400, "callback body is malformed")
    if progress.at is None:
        return _answer(agency_id, "stale", 401, "callback carries no timestamp")
    at = progress.at if progress.at.tzinfo is not None else progress.at.replace(tzinfo=UTC)
    if abs((utcnow() - at).total_seconds()) > hub.settings.callback_max_age_s:
        return _answer(agency_id, "stale", 401, "callback timestamp is too old")
    digest = event_digest(agency_id, progress, body)
    try:
        outcome = await _apply(hub, agency_id, progress, digest)
    except IntegrityError:
        outcome = "duplicate"  # the same event, applied concurrently by another request
    except NotFound:
        return _answer(agency_id, "unknown_order", 404, "no such order from this agency")
    return _answer(agency_id, outcome, 200)


async def _apply(hub: HubState, agency_id: str, progress: OrderProgress, digest: str) -> str:
    async with hub.db.transaction() as session:
        if await session.get(CallbackReceipt, digest) is not None:
            return "duplicate"
        found = await _find(session, agency_id, progress)
        if found is None:
            raise NotFound("no such order")  # rolls back: the agency may retry later
        session.add(CallbackReceipt(digest=digest, agency_id=agency_id, received_at=utcnow()))
        await session.flush()
        loaded = await request_states.load_for_update(session, found.id)
        changed = await agency_progress.apply_progress(
            session, loaded, progress, actor=f"agency:{agency_id}"
        )
        if loaded.row.status in (request_states.S.DISPATCHED, request_states.S.ACKNOWLEDGED):
            after_s = hub.settings.poll_after_s
            await schedule_poll(session, loaded.row.id, after_s, at=dispatch_clock(hub).now())
    log.info("callback applied", agency=agency_id, status=progress.status, changed=changed)
    return "applied" if changed else "unchanged"


def callback_routes(hub: HubState) -> list[BaseRoute]:
    return [Route("/callbacks/{agency_id}", receive_callback, methods=["POST"])]
