"""Who may do what: every role and scope decision of the hub, in one place.

Services call these before they read or write; the graph and the console go
through the services, so both obey the same rules.
"""

from __future__ import annotations

from hub.auth import Principal, Role
from hub.errors import Forbidden, NotFound
from hub.models import AssistanceRequest, Case, Party


def can_read_case(principal: Principal, case: Case) -> bool:
    if principal.role is Role.COURT_OFFICER:
        return case.court_code == principal.scope
    if principal.role is Role.OBSERVER:
        return case.number in principal.case_numbers
    return principal.role is Role.ADMIN


def require_read_case(principal: Principal, case: Case) -> None:
    if not can_read_case(principal, case):
        raise Forbidden("this case is outside your scope")


def require_court_officer(principal: Principal) -> str:
    """The caller's court; only court officers file and manage cases."""
    if principal.role is not Role.COURT_OFFICER:
        raise Forbidden(f"role {principal.role.value} may not do this")
    return principal.scope


def require_manage_case(principal: Principal, case: Case) -> None:
    court = require_court_officer(principal)
    if case.court_code != court:
        raise Forbidden("this case belongs to another court")


def require_read_dossier(principal: Principal, case: Case) -> None:
    """Personal data is read only by the case's own court, for that case."""
    if principal.role is not Role.COURT_OFFICER or case.court_code != principal.scope:
        raise Forbidden("dossiers are read only by the case's own court officers")


def sees_full_id_numbers(principal: Principal, case: Case) -> bool:
    return principal.role is Role.COURT_OFFICER and case.court_code == principal.scope


def can_read_request(principal: Principal, request: AssistanceRequest, case: Case) -> bool:
    if principal.role is Role.AGENCY_OFFICER:
        return request.agency_id == principal.scope
    return can_read_case(principal, case)


def require_answer_request(principal: Principal, request: AssistanceRequest) -> None:
    if principal.role is not Role.AGENCY_OFFICER or request.agency_id != principal.scope:
        raise Forbidden("only the addressed agency's officers answer this request")


def require_read_request(principal: Principal, request: AssistanceRequest, case: Case) -> None:
    """A request outside the caller's scope does not exist for them: its id is not a secret
    worth confirming, and agencies must not learn of each other's orders."""
    if not can_read_request(principal, request, case):
        raise NotFound("no such assistance request")


def sees_full_request_subject(principal: Principal, request: AssistanceRequest, case: Case) -> bool:
    """The addressed agency needs the full ID number to act; the case's court has it anyway."""
    if principal.role is Role.AGENCY_OFFICER:
        return request.agency_id == principal.scope
    return sees_full_id_numbers(principal, case)


def require_admin(principal: Principal) -> None:
    """Principals and the audit log are the administrators' alone."""
    if principal.role is not Role.ADMIN:
        raise Forbidden("only administrators may do this")


def sees_request_answer(principal: Principal, request: AssistanceRequest, case: Case) -> bool:
    """An agency's answer (what it found, sealed, froze) is personal data: the addressed
    agency wrote it and the case's own court asked for it; observers and administrators
    see that a request was answered, not what the answer says."""
    if principal.role is Role.AGENCY_OFFICER:
        return request.agency_id == principal.scope
    return sees_full_id_numbers(principal, case)


RESPONDENT = "RESPONDENT"


def is_respondent(party: Party) -> bool:
    return party.role == RESPONDENT


def require_respondent(party: Party) -> None:
    """Dossiers, property requests and clues are about 被执行人 only: the applicant's own
    property is none of the enforcement's business."""
    if not is_respondent(party):
        raise Forbidden("财产查询、协助执行和财产线索仅针对被执行人")
