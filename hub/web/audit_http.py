"""``GET /audit/checkpoint``: the latest signed checkpoint and the key to check it by,
for agencies to keep (no sign-in: a checkpoint says how long the log is, nothing more)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from hub.audit_keys import load_signer
from hub.audit_sequencer import sequencer_for
from hub.audit_verify import latest_checkpoint
from hub.state import HubState


def audit_routes(hub: HubState) -> list[BaseRoute]:
    async def checkpoint(request: Request) -> Response:
        await sequencer_for(hub).sequence()
        signed = await latest_checkpoint(hub.db, load_signer(hub.settings))
        return JSONResponse(signed.as_dict(), headers={"Cache-Control": "no-store"})

    return [Route("/audit/checkpoint", checkpoint, methods=["GET"])]
