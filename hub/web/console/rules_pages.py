"""Console forms for the enforcement rules: confirming a name-only record is the debtor's,
credit decisions and credit repair (信用修复)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from hub import credit_repair, decisions, ownership, policy
from hub.errors import BadUserInput, NotFound
from hub.models import Case, OwnershipConfirmation, Party
from hub.web.console.cases_pages import case_url, load_case, party_by_id
from hub.web.console.web import Visit, form_data, page, redirect

NOTICES = {
    "ownership": "已确认该财产属被执行人，可以发起查封、冻结。",
    "repair": "已登记信用修复申请，待审批。",
    "approved": "已准予信用修复，解除失信、限高的协助请求已发出。",
}


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


async def credit_context(visit: Visit, case: Case) -> dict[str, Any]:
    """The case's credit decisions and repairs, for its own court."""
    if not policy.sees_full_id_numbers(visit.principal, case):
        return {"court_decisions": [], "credit_repairs": []}
    db = visit.hub.db
    return {
        "court_decisions": (await decisions.decisions_for_cases(db, [case.id]))[case.id],
        "credit_repairs": (await credit_repair.repairs_for_cases(db, [case.id]))[case.id],
        "repair_basis": credit_repair.BASIS_LABEL,
    }


@page
async def record_repair(visit: Visit) -> Response:
    case = await load_case(visit, visit.request.path_params["number"])
    form = await form_data(visit.request)
    party = party_by_id(case, form.get("party"))
    if party is None:
        raise BadUserInput("idNumber", "choose a party of this case")
    try:
        basis = credit_repair.RepairBasis(form.get("basis", ""))
    except ValueError as exc:
        raise BadUserInput("basis", "请选择已履行或信用承诺") from exc
    await credit_repair.record_repair(
        visit.hub, visit.principal, case.number, party.id_number, basis, form.get("note", "")
    )
    return redirect(f"{case_url(case)}?done=repair#credit")


@page
async def approve_repair(visit: Visit) -> Response:
    case = await load_case(visit, visit.request.path_params["number"])
    form = await form_data(visit.request)
    try:
        repair_id = int(visit.request.path_params["id"])
    except ValueError as exc:
        raise NotFound("no such credit repair") from exc
    await credit_repair.approve_repair(
        visit.hub, visit.principal, repair_id, form.get("document_number", "")
    )
    return redirect(f"{case_url(case)}?done=approved#credit")
