"""The staff web console, server-rendered under ``/console``.

Agency officers answer the assistance requests addressed to them; court
officers follow their cases, read dossiers and send requests; observers read.
Pages call the same services as the graph (``hub.cases``, ``hub.clues``,
``hub.assistance``, ``hub.dossier``), so the same ``hub.policy`` rules apply.
Authentication is a bearer header or the signed session cookie set by
``/console/login`` (``hub.web.console.session``).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from hub.state import HubState
from hub.web.console import (
    admin_pages,
    cases_pages,
    dossier_pages,
    funds_pages,
    requests_pages,
    rules_pages,
    signin,
    tickets_pages,
)
from hub.web.console.web import PREFIX, STATIC


def console_routes(hub: HubState) -> list[BaseRoute]:
    """The console's routes, mounted at ``/console``."""
    routes: list[BaseRoute] = [
        Route("/", signin.home),
        Route("/login", signin.login, methods=["GET", "POST"]),
        Route("/logout", signin.logout, methods=["POST"]),
        Route("/inbox", requests_pages.inbox),
        Route("/requests/{id}", requests_pages.request_detail),
        Route("/requests/{id}/{verb}", requests_pages.request_action, methods=["POST"]),
        Route("/cases", cases_pages.case_list),
        Route("/cases/{number}", cases_pages.case_detail),
        Route("/cases/{number}/dossier", dossier_pages.dossier),
        Route("/cases/{number}/clues", cases_pages.submit_clue, methods=["POST"]),
        Route("/cases/{number}/requests/new", requests_pages.new_request),
        Route("/cases/{number}/requests", requests_pages.create_request, methods=["POST"]),
        Route("/agencies", admin_pages.agencies),
        Route("/tickets", tickets_pages.ticket_list),
        Route("/tickets/new", tickets_pages.new_ticket),
        Route("/tickets/new", tickets_pages.create_ticket, methods=["POST"]),
        Route("/tickets/{id}", tickets_pages.ticket_detail),
        Route("/tickets/{id}/{verb}", tickets_pages.ticket_action, methods=["POST"]),
        Route("/my", tickets_pages.my_case),
        Route("/my/tickets", tickets_pages.my_new_ticket, methods=["POST"]),
        Route("/monitor", tickets_pages.monitor),
        Route("/cases/{number}/funds/disburse", funds_pages.disburse, methods=["POST"]),
        Route("/cases/{number}/funds/receipts", funds_pages.receive, methods=["POST"]),
        Route(
            "/cases/{number}/funds/offers/{request_id}",
            funds_pages.confirm_offer,
            methods=["POST"],
        ),
        Route("/courts/{court}/indicators", funds_pages.court_indicators),
        Route("/ranking", funds_pages.ranking),
        Route("/cases/{number}/ownership", rules_pages.confirm_ownership, methods=["POST"]),
        Route("/cases/{number}/credit-repairs", rules_pages.record_repair, methods=["POST"]),
        Route(
            "/cases/{number}/credit-repairs/{id}/approve",
            rules_pages.approve_repair,
            methods=["POST"],
        ),
        Mount("/static", StaticFiles(directory=STATIC), name="console-static"),
    ]
    return [Mount(PREFIX, routes=routes)]


__all__ = ["console_routes"]
