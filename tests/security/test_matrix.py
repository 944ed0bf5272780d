"""Every contract operation × every role: allowed, or refused the way the policy says.

A scene is a case of 闽0602 with a request to the console agency
``realestate-zhangpu``. Cells that change it (allowed mutations) get a fresh
scene each; all others share one per kind of preparation, which they must
leave as they found it: a refused cell writes nothing to the audit log.

Outcomes: ``OK`` (answered, and the scene's object is in it), ``HIDDEN`` (a
list that leaves the scene's object out), ``NULL`` (``null`` without an error:
existence is private), or the error's ``extensions.code``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.security.scene import (
    AGENCY,
    COURT,
    SUBJECT,
    Principals,
    Scene,
    audit_rows,
    case_input,
    case_number,
    last_audit_id,
    scene,
)
from tests.support import LiveHub

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROLES = (
    "court_own",
    "court_other",
    "agency_addressed",
    "agency_other",
    "observer_with",
    "observer_without",
    "admin",
)

OK, HIDDEN, NULL = "OK", "HIDDEN", "NULL"
FORBIDDEN, NOT_FOUND, BAD_INPUT = "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT"


@dataclass(frozen=True)
class Op:
    field: str
    document: str
    variables: Callable[[Scene], dict[str, Any]]
    seen: Callable[[Scene, Any], bool] | None = None  # lists: is the scene's object in it?
    prepare: Callable[[Scene], Awaitable[None]] | None = None
    mutation: bool = False


def _req(sc: Scene) -> dict[str, Any]:
    return {"id": sc.request}


_numbers = iter(range(900_000, 1_000_000))

OPS: dict[str, Op] = {
    "case": Op(
        "case",
        "query($n: String!) { case(number: $n) { number parties { idNumber } } }",
        lambda sc: {"n": sc.case},
    ),
    "cases": Op(
        "cases",
        "{ cases(first: 500) { nodes { number } } }",
        lambda sc: {},
        seen=lambda sc, v: sc.case in [n["number"] for n in v["nodes"]],
    ),
    "dossier": Op(
        "dossier",
        "query($c: String!, $i: String!) { dossier(caseNumber: $c, idNumber: $i) {"
        " subject { name } sources { state } } }",
        lambda sc: {"c": sc.case, "i": SUBJECT},
    ),
    "assistanceRequest": Op(
        "assistanceRequest",
        "query($id: ID!) { assistanceRequest(id: $id) { id status subject { idNumber } } }",
        _req,
        seen=lambda sc, v: v["id"] == sc.request,
    ),
    "assistanceRequests": Op(
        "assistanceRequests",
        "{ assistanceRequests(first: 500) { nodes { id } } }",
        lambda sc: {},
        seen=lambda sc, v: sc.request in [n["id"] for n in v["nodes"]],
    ),
    "agencies": Op(
        "agencies",
        "{ agencies { id } }",
        lambda sc: {},
        seen=lambda sc, v: AGENCY in [a["id"] for a in v],
    ),
    "me": Op("me", "{ me { id role scope } }", lambda sc: {}),
    "fileCase": Op(
        "fileCase",
        "mutation($input: FileCaseInput!) { fileCase(input: $input) { number } }",
        lambda sc: {"input": case_input(case_number(next(_numbers), COURT))},
        mutation=True,
    ),
    "updateCaseStatus": Op(
        "updateCaseStatus",
        "mutation($n: String!) { updateCaseStatus(number: $n, status: SETTLED) { status } }",
        lambda sc: {"n": sc.case},
        mutation=True,
    ),
    "submitPropertyClue": Op(
        "submitPropertyClue",
        "mutation($input: PropertyClueInput!) { submitPropertyClue(input: $input) { id } }",
        lambda sc: {
            "input": {
                "caseNumber": sc.case,
                "subjectIdNumber": SUBJECT,
                "kind": "REAL_ESTATE",
                "description": "漳浦县绥安镇某小区住宅一套",
                "region": "350623",
            }
        },
        mutation=True,
    ),
    "createAssistanceRequest": Op(
        "createAssistanceRequest",
        "mutation($input: CreateAssistanceRequestInput!) {"
        " createAssistanceRequest(input: $input) { id } }",
        lambda sc: {
            "input": {
                "caseNumber": sc.case,
                "subjectIdNumber": SUBJECT,
                "agencyId": AGENCY,
                "action": "QUERY",
            }
        },
        mutation=True,
    ),
    "acknowledgeAssistanceRequest": Op(
        "acknowledgeAssistanceRequest",
        "mutation($id: ID!) { acknowledgeAssistanceRequest(id: $id) { status } }",
        _req,
        mutation=True,
    ),
    "answerAssistanceRequest": Op(
        "answerAssistanceRequest",
        "mutation($id: ID!) { answerAssistanceRequest("
        'input: {id: $id, outcome: "未查询到登记信息", result: {}}) { status } }',
        _req,
        mutation=True,
    ),
    "rejectAssistanceRequest": Op(
        "rejectAssistanceRequest",
        'mutation($id: ID!) { rejectAssistanceRequest(id: $id, reason: "非本辖区") { status } }',
        _req,
        mutation=True,
    ),
    "urgeAssistanceRequest": Op(
        "urgeAssistanceRequest",
        'mutation($id: ID!) { urgeAssistanceRequest(id: $id, note: "请尽快办理") { urgeCount } }',
        _req,
        mutation=True,
    ),
    "evaluateAssistanceRequest": Op(
        "evaluateAssistanceRequest",
        "mutation($id: ID!) { evaluateAssistanceRequest(id: $id, rating: 5) { status } }",
        _req,
        prepare=Scene.answer,
        mutation=True,
    ),
    "cancelAssistanceRequest": Op(
        "cancelAssistanceRequest",
        'mutation($id: ID!) { cancelAssistanceRequest(id: $id, reason: "已和解") { status } }',
        _req,
        mutation=True,
    ),
}

# The table: one row per operation, one column per role (in ROLES order).
_ANSWERING = (FORBIDDEN, NOT_FOUND, OK, NOT_FOUND, FORBIDDEN, NOT_FOUND, FORBIDDEN)
_MANAGING = (OK, NOT_FOUND, FORBIDDEN, NOT_FOUND, FORBIDDEN, NOT_FOUND, FORBIDDEN)
_COURT_ONLY = (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)
MATRIX: dict[str, tuple[str, ...]] = {
    "case": (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK),
    "cases": (OK, HIDDEN, HIDDEN, HIDDEN, OK, HIDDEN, OK),
    "dossier": _COURT_ONLY,
    "assistanceRequest": (OK, NULL, OK, NULL, OK, NULL, OK),
    "assistanceRequests": (OK, HIDDEN, OK, HIDDEN, OK, HIDDEN, OK),
    "agencies": (OK,) * 7,
    "me": (OK,) * 7,
    # another court filing in 闽0602's name: the number itself is wrong for it
    "fileCase": (OK, BAD_INPUT, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "updateCaseStatus": _COURT_ONLY,
    "submitPropertyClue": _COURT_ONLY,
    "createAssistanceRequest": _COURT_ONLY,
    "acknowledgeAssistanceRequest": _ANSWERING,
    "answerAssistanceRequest": _ANSWERING,
    "rejectAssistanceRequest": _ANSWERING,
    "urgeAssistanceRequest": _MANAGING,
    "evaluateAssistanceRequest": _MANAGING,
    "cancelAssistanceRequest": _MANAGING,
}

CELLS = [
    pytest.param(op, role, expected, id=f"{op}-{role}")
    for op, row in MATRIX.items()
    for role, expected in zip(ROLES, row, strict=True)
]


def outcome(op: Op, sc: Scene, body: dict[str, Any]) -> str:
    if body.get("errors"):
        code: str = body["errors"][0]["extensions"]["code"]
        return code
    value = body["data"][op.field]
    if value is None:
        return NULL
    if op.seen is not None and not op.seen(sc, value):
        return HIDDEN
    return OK


async def test_the_table_covers_the_contract() -> None:
    assert set(MATRIX) == set(OPS)
    assert len(MATRIX) == 17  # 7 queries, 10 mutations of contract §4


_shared_scenes: dict[tuple[int, object], Scene] = {}


async def scene_for(live: LiveHub, who: Principals, op: Op, expected: str) -> Scene:
    key = (id(live), op.prepare)
    fresh = op.mutation and expected == OK
    if not fresh and key in _shared_scenes:
        return _shared_scenes[key]
    sc = await scene(live, who)
    if op.prepare is not None:
        await op.prepare(sc)
    if not fresh:
        _shared_scenes[key] = sc
    return sc


@pytest.mark.parametrize(("op_name", "role", "expected"), CELLS)
async def test_role_operation(
    shared_hub: tuple[LiveHub, Principals], op_name: str, role: str, expected: str
) -> None:
    live, who = shared_hub
    op = OPS[op_name]
    sc = await scene_for(live, who, op, expected)
    token = sc.token(role)
    await live.gql("{ me { id } }", token=token)  # first use of a token is audited; not here
    before = await last_audit_id(live)
    body = await live.gql(op.document, op.variables(sc), token=token)
    assert outcome(op, sc, body) == expected, body
    if expected not in (OK, HIDDEN, NULL):
        assert body["data"] is None or body["data"][op.field] is None
        written = [r.action for r in await audit_rows(live, after=before)]
        assert written == [], f"a refused {op_name} wrote {written}"


# -- v2: the applicant role and the tickets (诉求) of §7.2 ---------------------------------------
# Two more columns: the applicant of the scene's case, and an applicant of another case of
# the same court. Kept in tables of their own so that the §4 table above stays as it was.

APPLICANT_ROLES = ("applicant_with", "applicant_other")
ALL_ROLES = (*ROLES, *APPLICANT_ROLES)

# the §4 operations, for the two applicant columns: their case's progress, nothing else
APPLICANT_MATRIX: dict[str, tuple[str, str]] = {
    "case": (OK, FORBIDDEN),
    "cases": (OK, HIDDEN),
    "dossier": (FORBIDDEN, FORBIDDEN),
    "assistanceRequest": (OK, NULL),
    "assistanceRequests": (OK, HIDDEN),
    "agencies": (OK, OK),
    "me": (OK, OK),
    "fileCase": (FORBIDDEN, FORBIDDEN),
    "updateCaseStatus": (FORBIDDEN, FORBIDDEN),
    "submitPropertyClue": (FORBIDDEN, FORBIDDEN),  # theirs come in as PROPERTY_CLUE tickets
    "createAssistanceRequest": (FORBIDDEN, FORBIDDEN),
    "acknowledgeAssistanceRequest": (FORBIDDEN, NOT_FOUND),
    "answerAssistanceRequest": (FORBIDDEN, NOT_FOUND),
    "rejectAssistanceRequest": (FORBIDDEN, NOT_FOUND),
    "urgeAssistanceRequest": (FORBIDDEN, NOT_FOUND),
    "evaluateAssistanceRequest": (FORBIDDEN, NOT_FOUND),
    "cancelAssistanceRequest": (FORBIDDEN, NOT_FOUND),
}


def _ticket(sc: Scene) -> dict[str, Any]:
    return {"id": sc.ticket}


def _open_input(sc: Scene, channel: str) -> dict[str, Any]:
    return {
        "input": {
            "caseNumber": sc.case,
            "channel": channel,
            "category": "FUNDS",
            "content": "案款何时发放？",
            "applicantName": "林某",
        }
    }


TICKET_OPS: dict[str, Op] = {
    "ticket": Op(
        "ticket",
        "query($id: ID!) { ticket(id: $id) { id status } }",
        _ticket,
        seen=lambda sc, v: v["id"] == sc.ticket,
        prepare=Scene.open_ticket,
    ),
    "tickets": Op(
        "tickets",
        "{ tickets(first: 500) { nodes { id } } }",
        lambda sc: {},
        seen=lambda sc, v: sc.ticket in [n["id"] for n in v["nodes"]],
        prepare=Scene.open_ticket,
    ),
    "ticketStats": Op(
        "ticketStats",
        'query($c: String!) { ticketStats(court: $c, from: "2026-01-01", to: "2026-12-31")'
        " { total } }",
        lambda sc: {"c": COURT},
    ),
    "openTicket": Op(
        "openTicket",
        "mutation($input: OpenTicketInput!) { openTicket(input: $input) { id } }",
        lambda sc: _open_input(sc, "WINDOW"),
        mutation=True,
    ),
    "openTicketOnline": Op(
        "openTicket",
        "mutation($input: OpenTicketInput!) { openTicket(input: $input) { id } }",
        lambda sc: _open_input(sc, "ONLINE"),
        mutation=True,
    ),
    "replyTicket": Op(
        "replyTicket",
        'mutation($id: ID!) { replyTicket(id: $id, reply: "已答复") { status } }',
        _ticket,
        prepare=Scene.open_ticket,
        mutation=True,
    ),
    "urgeTicket": Op(
        "urgeTicket",
        'mutation($id: ID!) { urgeTicket(id: $id, note: "请尽快答复") { urgeCount } }',
        _ticket,
        prepare=Scene.open_ticket,
        mutation=True,
    ),
    "rateTicket": Op(
        "rateTicket",
        'mutation($id: ID!) { rateTicket(id: $id, rating: 4, comment: "满意") { status } }',
        _ticket,
        prepare=Scene.reply_ticket,
        mutation=True,
    ),
}

# columns: court_own court_other agency_addressed agency_other observer_with observer_without
# admin applicant_with applicant_other
_TICKET_READ = (OK, NULL, NULL, NULL, OK, NULL, OK, OK, NULL)
_TICKET_LIST = (OK, HIDDEN, HIDDEN, HIDDEN, OK, HIDDEN, OK, OK, HIDDEN)
_NONE_BUT = (FORBIDDEN,) * 9
_ON_A_TICKET = (NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, NOT_FOUND, FORBIDDEN)
TICKET_MATRIX: dict[str, tuple[str, ...]] = {
    "ticket": _TICKET_READ,
    "tickets": _TICKET_LIST,
    "ticketStats": (OK, *_NONE_BUT[:5], OK, FORBIDDEN, FORBIDDEN),
    # staff log the window, hotline, letters and deputies; the applicant asks online
    "openTicket": (OK, *_NONE_BUT[:6], BAD_INPUT, FORBIDDEN),
    "openTicketOnline": (BAD_INPUT, *_NONE_BUT[:6], OK, FORBIDDEN),
    "replyTicket": (OK, *_ON_A_TICKET, FORBIDDEN, NOT_FOUND),
    "urgeTicket": (OK, *_ON_A_TICKET, OK, NOT_FOUND),
    "rateTicket": (FORBIDDEN, *_ON_A_TICKET, OK, NOT_FOUND),
}

V2_CELLS = [
    pytest.param(OPS[op], role, expected, id=f"{op}-{role}")
    for op, row in APPLICANT_MATRIX.items()
    for role, expected in zip(APPLICANT_ROLES, row, strict=True)
] + [
    pytest.param(TICKET_OPS[op], role, expected, id=f"{op}-{role}")
    for op, row in TICKET_MATRIX.items()
    for role, expected in zip(ALL_ROLES, row, strict=True)
]


async def test_the_v2_tables_cover_every_operation() -> None:
    assert set(APPLICANT_MATRIX) == set(OPS)
    assert set(TICKET_MATRIX) == set(TICKET_OPS)
    assert {op.field for op in TICKET_OPS.values()} == {
        "ticket",
        "tickets",
        "ticketStats",
        "openTicket",
        "replyTicket",
        "urgeTicket",
        "rateTicket",
    }


def _v2_token(sc: Scene, role: str) -> str:
    return sc.who.applicant_other if role == "applicant_other" else sc.token(role)


@pytest.mark.parametrize(("op", "role", "expected"), V2_CELLS)
async def test_v2_role_operation(
    shared_hub: tuple[LiveHub, Principals], op: Op, role: str, expected: str
) -> None:
    live, who = shared_hub
    sc = await scene_for(live, who, op, expected)
    token = _v2_token(sc, role)
    await live.gql("{ me { id } }", token=token)
    before = await last_audit_id(live)
    body = await live.gql(op.document, op.variables(sc), token=token)
    assert outcome(op, sc, body) == expected, body
    if expected not in (OK, HIDDEN, NULL):
        assert body["data"] is None or body["data"][op.field] is None
        written = [r.action for r in await audit_rows(live, after=before)]
        assert written == [], f"a refused {op.field} wrote {written}"


# -- the supervisor (上级法院督导): figures of the courts under a prefix, nothing else ----

SUPERVISOR: dict[str, str] = {
    "case": FORBIDDEN,
    "cases": HIDDEN,
    "dossier": FORBIDDEN,
    "assistanceRequest": NULL,
    "assistanceRequests": HIDDEN,
    "agencies": OK,
    "me": OK,
    "fileCase": FORBIDDEN,
    "updateCaseStatus": FORBIDDEN,
    "submitPropertyClue": FORBIDDEN,
    "createAssistanceRequest": FORBIDDEN,
    "acknowledgeAssistanceRequest": NOT_FOUND,
    "answerAssistanceRequest": NOT_FOUND,
    "rejectAssistanceRequest": NOT_FOUND,
    "urgeAssistanceRequest": NOT_FOUND,
    "evaluateAssistanceRequest": NOT_FOUND,
    "cancelAssistanceRequest": NOT_FOUND,
}


async def test_the_supervisor_column_covers_the_table() -> None:
    assert set(SUPERVISOR) == set(OPS)


@pytest.mark.parametrize(("op_name", "expected"), sorted(SUPERVISOR.items()))
async def test_supervisor_operation(
    shared_hub: tuple[LiveHub, Principals], op_name: str, expected: str
) -> None:
    await test_role_operation(shared_hub, op_name, "supervisor", expected)
