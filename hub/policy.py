"""Who may do what: every role and scope decision of the hub, in one place.

Services call these before they read or write; the graph and the console go
through the services, so both obey the same rules.
"""

from __future__ import annotations

from hub.errors import BadUserInput, Forbidden, NotFound
from hub.models import AssistanceRequest, Case, Party
from hub.principal import Principal, Role


def can_read_case(principal: Principal, case: Case) -> bool:
    if principal.role is Role.COURT_OFFICER:
        return case.court_code == principal.scope
    if principal.role is Role.OBSERVER:
        return case.number in principal.case_numbers
    if principal.role is Role.APPLICANT:
        return case.number == principal.applicant_case
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


def require_request_answer(principal: Principal, request: AssistanceRequest, case: Case) -> None:
    """``sees_request_answer`` as an explicit refusal: a field left null would read as
    "no answer yet"."""
    if not sees_request_answer(principal, request, case):
        raise Forbidden("only the case's court and the addressed agency read this answer")


def require_request_case(principal: Principal, case: Case) -> None:
    """An agency sees the order addressed to it, not the case file behind it."""
    if not can_read_case(principal, case):
        raise Forbidden("the case is read only by its court and its observers")


# -- applicants' tickets (诉求) --------------------------------------------------------------
# Centre staff (the court's officers) log what visitors, callers, letters and
# deputies ask; applicants ask online themselves. Applicants see, urge and rate
# the tickets of their own case; agencies see none.

STAFF_CHANNELS = frozenset({"WINDOW", "HOTLINE", "LETTER", "DEPUTY"})
APPLICANT_CHANNELS = frozenset({"ONLINE"})


def is_applicant_of(principal: Principal, case: Case) -> bool:
    return principal.role is Role.APPLICANT and case.number == principal.applicant_case


def is_court_of(principal: Principal, case: Case) -> bool:
    return principal.role is Role.COURT_OFFICER and case.court_code == principal.scope


def require_open_ticket(principal: Principal, case: Case, channel: str) -> None:
    if is_court_of(principal, case):
        if channel not in STAFF_CHANNELS:
            raise BadUserInput(
                "channel", "staff log tickets of the window, hotline, letters and deputies"
            )
        return
    if is_applicant_of(principal, case):
        if channel not in APPLICANT_CHANNELS:
            raise BadUserInput("channel", "an applicant's own ticket comes in ONLINE")
        return
    raise Forbidden("this case is outside your scope")


def can_read_ticket(principal: Principal, case: Case) -> bool:
    return can_read_case(principal, case)


def require_read_ticket(principal: Principal, case: Case) -> None:
    """A ticket outside the caller's scope does not exist for them."""
    if not can_read_ticket(principal, case):
        raise NotFound("no such ticket")


def require_reply_ticket(principal: Principal, case: Case) -> None:
    require_read_ticket(principal, case)
    if not is_court_of(principal, case):
        raise Forbidden("only the case's court answers its tickets")


def require_urge_ticket(principal: Principal, case: Case) -> None:
    require_read_ticket(principal, case)
    if not (is_court_of(principal, case) or is_applicant_of(principal, case)):
        raise Forbidden("only the court's staff and the case's applicant urge a ticket")


def require_rate_ticket(principal: Principal, case: Case) -> None:
    require_read_ticket(principal, case)
    if not is_applicant_of(principal, case):
        raise Forbidden("only the applicant rates the answer to a ticket")


def require_ticket_stats(principal: Principal, court: str) -> None:
    """The court's leadership (its officers) and administrators read the monitoring."""
    if principal.role is Role.ADMIN:
        return
    if principal.role is not Role.COURT_OFFICER or principal.scope != court:
        raise Forbidden("ticket statistics are read by the court's own officers")


def sees_applicant_phone(principal: Principal, court: str) -> bool:
    """The court's staff call applicants back; the applicant knows their own number."""
    if principal.role is Role.COURT_OFFICER:
        return principal.scope == court
    return principal.role is Role.APPLICANT


# -- case money and quality indicators ---------------------------------------------------


def require_write_funds(principal: Principal, case: Case) -> None:
    """Money moves only by the case's own court."""
    require_manage_case(principal, case)


def require_read_funds(principal: Principal, case: Case) -> None:
    """The account of a case (amounts, payees) is read by whoever may read the case:
    its court, its observers (deputies follow whether the applicant is paid) and admins."""
    require_read_case(principal, case)


def require_court_figures(principal: Principal, court: str) -> None:
    """A court's indicators and overdue money: its officers, a supervisor whose prefix
    covers it, and admins. Figures hold no personal data."""
    if principal.role is Role.COURT_OFFICER and principal.scope == court:
        return
    if principal.role is Role.SUPERVISOR and court.startswith(principal.scope):
        return
    if principal.role is Role.ADMIN:
        return
    raise Forbidden("this court's figures are outside your scope")


def require_province_view(principal: Principal, prefix: str) -> None:
    """Ranking the courts under a prefix: admins, or a supervisor of that prefix or a wider one."""
    if principal.role is Role.ADMIN:
        return
    if principal.role is Role.SUPERVISOR and prefix.startswith(principal.scope):
        return
    raise Forbidden("ranking these courts is outside your scope")


RESPONDENT = "RESPONDENT"


def is_respondent(party: Party) -> bool:
    return party.role == RESPONDENT


def require_respondent(party: Party) -> None:
    """Dossiers, property requests and clues are about 被执行人 only: the applicant's own
    property is none of the enforcement's business."""
    if not is_respondent(party):
        raise Forbidden("财产查询、协助执行和财产线索仅针对被执行人")
