"""Assistance requests (协助执行): the closed loop between a court and an agency.

The service's public entry, for the graph and the console: one place to call.
The concepts live in their own modules:

* ``hub.request_states``: the state machine (statuses, moves, the dispatcher's wake-up)
* ``hub.request_creation``: creating and validating requests (and from a property clue)
* ``hub.request_measures``: the measure a LIFT or RENEW acts on; a seal's rank and term
* ``hub.request_reads``: one request, filtered pages with keyset cursors, events, counts
* ``hub.request_answers``: the agency's acknowledgement, answer or rejection
* ``hub.request_followups``: the court's urge, evaluation, cancellation, re-send
* ``hub.agency_progress``: what the agency reports (``hub.dispatcher``, ``hub.web.callbacks``)
* ``hub.expiring_seals``: seals about to lapse (续封)

Services built on requests import those modules directly.
"""

from __future__ import annotations

from hub.expiring_seals import expiring_seals
from hub.request_answers import acknowledge, answer, reject
from hub.request_creation import (
    RequestData,
    checked,
    confirm_clue,
    create_request,
    create_request_of_case,
)
from hub.request_followups import cancel, evaluate, resend, urge
from hub.request_reads import (
    RequestFilter,
    cases_by_id,
    get_request,
    list_requests,
    request_events,
    requests_for_cases,
    status_counts,
)
from hub.request_states import ANSWERED, OPEN, RequestStatus, S, is_overdue

__all__ = [
    "ANSWERED",
    "OPEN",
    "RequestData",
    "RequestFilter",
    "RequestStatus",
    "S",
    "acknowledge",
    "answer",
    "cancel",
    "cases_by_id",
    "checked",
    "confirm_clue",
    "create_request",
    "create_request_of_case",
    "evaluate",
    "expiring_seals",
    "get_request",
    "is_overdue",
    "list_requests",
    "reject",
    "request_events",
    "requests_for_cases",
    "resend",
    "status_counts",
    "urge",
]
