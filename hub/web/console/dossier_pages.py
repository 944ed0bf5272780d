"""A party's dossier (财产档案), read live from the agencies for the case's own court.

Reading it is a personal-data read: ``hub.dossier`` checks the purpose (the
case), rate-limits and audits it. The page is reached by the party's row id,
so ID numbers never travel in URLs (and so never in access logs).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response

from adapters.sdk.declare import CapabilitySpec
from adapters.sdk.records import MatchKind
from adapters.sdk.standard import Capability
from hub import dossier as dossier_service
from hub import policy
from hub.errors import NotFound
from hub.models import utcnow
from hub.web.console import records, rules_pages
from hub.web.console.cases_pages import case_url, load_case, party_by_id
from hub.web.console.web import Visit, allowed, page, render


@dataclass(frozen=True)
class Section:
    capability: CapabilitySpec
    sources: list[dossier_service.SourceStatus]


def _installed(visit: Visit) -> list[CapabilitySpec]:
    """The capabilities of the configured agencies: property first (the shared kinds in
    their order, then the others), then the rest, as the graph lists them."""
    found = {c for a in visit.hub.agencies for c in a.capabilities}
    shared = {c.name: i for i, c in enumerate(Capability.all())}
    return sorted(
        found, key=lambda c: (c.asset is None, not c.many, shared.get(c.name, len(shared)), c.name)
    )


@page
async def dossier(visit: Visit) -> Response:
    case = await load_case(visit, visit.request.path_params["number"])
    party = party_by_id(case, visit.request.query_params.get("party"))
    if party is None:
        raise NotFound("no such party in this case")
    order = _installed(visit)
    result = await dossier_service.read_party_dossier(
        visit.hub, visit.principal, case, party, order
    )
    sections = [
        Section(c, [s for s in result.sources if c in s.agency.capabilities])
        for c in order
        if c.applies(result.subject.kind)
        and any(c in s.agency.capabilities for s in result.sources)
    ]
    return render(
        visit.request,
        "dossier.html",
        {
            "case": case,
            "party": party,
            "result": result,
            "sections": sections,
            "case_link": case_url(case),
            "R": records,
            "NAME_ONLY": MatchKind.NAME_ONLY,
            "now": utcnow(),
            "confirmed": await rules_pages.confirmed_references(visit, case, party),
            "can_confirm": allowed(policy.require_manage_case, visit.principal, case),
            "notice": rules_pages.NOTICES.get(visit.request.query_params.get("done", "")),
        },
        visit=visit,
    )
