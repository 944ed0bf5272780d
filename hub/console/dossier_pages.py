"""A party's dossier (财产档案), read live from the agencies for the case's own court.

Reading it is a personal-data read: ``hub.dossier`` checks the purpose (the
case), rate-limits and audits it. The page is reached by the party's row id,
so ID numbers never travel in URLs (and so never in access logs).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response

from adapters.sdk.records import Action, Capability, MatchKind
from hub import dossier as dossier_service
from hub.console.cases_pages import case_url, load_case, party_by_id
from hub.console.web import Visit, page, render
from hub.errors import NotFound
from hub.models import utcnow

ORDER = (
    Capability.REAL_ESTATE,
    Capability.VEHICLES,
    Capability.WHEREABOUTS,
    Capability.TAX,
    Capability.EMPLOYMENT,
    Capability.WAGE_ARREARS,
    Capability.CREDIT,
)


@dataclass(frozen=True)
class Section:
    capability: Capability
    sources: list[dossier_service.SourceStatus]


@page
async def dossier(visit: Visit) -> Response:
    case = await load_case(visit, visit.request.path_params["number"])
    party = party_by_id(case, visit.request.query_params.get("party"))
    if party is None:
        raise NotFound("no such party in this case")
    result = await dossier_service.read_party_dossier(
        visit.hub, visit.principal, case, party, list(ORDER)
    )
    sections = [
        Section(c, [s for s in result.sources if c in s.agency.capabilities])
        for c in ORDER
        if dossier_service.applies(c, result.subject)
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
            "C": Capability,
            "SEAL": Action.SEAL,
            "QUERY": Action.QUERY,
            "NAME_ONLY": MatchKind.NAME_ONLY,
            "now": utcnow(),
        },
        visit=visit,
    )
