"""The administrator's page: configured agencies and their circuit breakers."""

from __future__ import annotations

from starlette.responses import Response

from hub import policy
from hub.web.console.web import Visit, page, render


@page
async def agencies(visit: Visit) -> Response:
    policy.require_admin(visit.principal)
    return render(
        visit.request, "agencies.html", {"agencies": list(visit.hub.agencies)}, visit=visit
    )
