"""Console forms for the enforcement rules: confirming a name-only record is the debtor's."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import Response

from hub import ownership, policy
from hub.console.cases_pages import case_url, load_case, party_by_id
from hub.console.web import Visit, form_data, page, redirect
from hub.errors import BadUserInput
from hub.models import Case, OwnershipConfirmation, Party

NOTICES = {"ownership": "已确认该财产属被执行人，可以发起查封、冻结。"}


async def confirmed_references(
    visit: Visit, case: Case, party: Party
) -> dict[str, OwnershipConfirmation]:
    """The party's confirmed records by reference, for the case's own court."""
    if not policy.sees_full_id_numbers(visit.principal, case):
        return {}
    found = await ownership.confirmations_for_cases(visit.hub.db, [case.id])
    return {c.reference: c for c, p in found[case.id] if p.id == party.id}


@page
async def confirm_ownership(visit: Visit) -> Response:
    case = await load_case(visit, visit.request.path_params["number"])
    form = await form_data(visit.request)
    party = party_by_id(case, form.get("party"))
    if party is None:
        raise BadUserInput("idNumber", "choose a party of this case")
    await ownership.confirm_ownership(
        visit.hub,
        visit.principal,
        case.number,
        party.id_number,
        form.get("reference", ""),
        form.get("note", ""),
    )
    query = urlencode({"party": party.id, "done": "ownership"})
    return redirect(f"{case_url(case)}/dossier?{query}")
