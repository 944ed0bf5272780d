"""The service centre's closed loop over HTTP: open on every channel, route, answer, urge,
rate, reopen, close; property clues; notifications; an applicant's bounds."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import sqlalchemy as sa

from hub.auth import Role
from hub.models import Ticket, TicketJob
from tests.tickets.conftest import (
    CASE,
    COURT,
    GET,
    HEAD,
    OTHER_CASE,
    RATE,
    REPLY,
    URGE,
    Centre,
    error,
    ok,
)


def kinds(ticket: dict[str, object]) -> list[str]:
    events = ticket["events"]
    assert isinstance(events, list)
    return [e["kind"] for e in events]


def weekdays_between(start: datetime, end: datetime) -> int:
    """Mon–Fri days after ``start``'s date up to ``end``'s: counted by hand, day by day."""
    day, count = start.date(), 0
    while day < end.date():
        day += timedelta(days=1)
        count += day.isoweekday() <= 5
    return count


async def test_five_channels_routed_with_due_times(centre: Centre) -> None:
    # staff log the window, the hotline, a letter (with its own date) and a deputy's forward
    window = await centre.open(
        centre.officer,
        channel="WINDOW",
        category="PROGRESS",
        receivedAt="2026-12-04T09:30:00+08:00",
    )
    hotline = await centre.open(
        centre.officer, channel="HOTLINE", category="FUNDS", receivedAt="2026-12-02T15:00:00+08:00"
    )
    letter = await centre.open(
        centre.officer,
        channel="LETTER",
        category="COMPLAINT",
        content="来信反映：执行法官长期未联系申请人。",
        receivedAt="2026-11-20T10:00:00+08:00",
    )
    deputy = await centre.open(
        centre.officer, channel="DEPUTY", category="OTHER", receivedAt="2026-12-03T11:00:00+08:00"
    )
    online = await centre.open(centre.applicant, channel="ONLINE", category="MEET_JUDGE")

    for t in (window, hotline, letter, deputy, online):
        assert t["court"] == COURT
        assert t["caseNumber"] == CASE
        assert t["assignee"] == "李法官"  # the officer who filed the case
        assert t["status"] == "ASSIGNED"
        assert kinds(t)[:2] == ["OPENED", "ASSIGNED"]
    # Friday + 1 working day = Monday; Wednesday + 3 = Monday; Friday + 5 = next Friday;
    # Thursday + 3 = Tuesday: weekends skipped, the time of day kept
    assert window["dueAt"] == "2026-12-07T09:30:00+08:00"
    assert hotline["dueAt"] == "2026-12-07T15:00:00+08:00"
    assert letter["dueAt"] == "2026-11-27T10:00:00+08:00"
    assert letter["receivedAt"] == "2026-11-20T10:00:00+08:00"
    assert letter["overdue"] is True
    assert deputy["dueAt"] == "2026-12-08T11:00:00+08:00"
    received = datetime.fromisoformat(online["receivedAt"])
    due = datetime.fromisoformat(online["dueAt"])
    assert weekdays_between(received, due) == 3 and due.isoweekday() <= 5
    assert due.time() == received.time()
    # numbered per court and year, in the order they were opened
    numbers = [t["number"] for t in (window, hotline, letter, deputy, online)]
    assert numbers == [f"（2026）{COURT}诉{n}号" for n in range(1, 6)]


async def test_reply_urge_rate_one_reopens_then_closes(centre: Centre) -> None:
    ticket = await centre.open(centre.officer, channel="HOTLINE", category="FUNDS")
    urged = ok(await centre.gql(URGE, {"id": ticket["id"], "n": "已经等了很久"}, centre.applicant))
    assert urged["urgeTicket"]["urgeCount"] == 1
    assert urged["urgeTicket"]["escalatedTo"] is None  # not overdue yet

    reply = "案款已于本周到账，将在三个工作日内发放。"
    replied = ok(await centre.gql(REPLY, {"id": ticket["id"], "r": reply}, centre.officer))
    assert replied["replyTicket"]["status"] == "REPLIED"
    assert replied["replyTicket"]["reply"] == reply
    assert replied["replyTicket"]["repliedAt"] is not None

    # the applicant reads the answer and is not satisfied: back to the same officer
    rated = ok(
        await centre.gql(
            RATE, {"id": ticket["id"], "r": 1, "c": "至今未收到款项"}, centre.applicant
        )
    )["rateTicket"]
    assert rated["status"] == "REOPENED"
    assert rated["assignee"] == "李法官"
    assert rated["rating"] == 1
    assert rated["events"][-1]["kind"] == "REOPENED"
    assert rated["events"][-1]["note"] == "至今未收到款项"

    # answered again, rated 4: closed
    ok(await centre.gql(REPLY, {"id": ticket["id"], "r": "款项已发放，请查收。"}, centre.officer))
    closed = ok(await centre.gql(RATE, {"id": ticket["id"], "r": 4}, centre.applicant))[
        "rateTicket"
    ]
    assert closed["status"] == "CLOSED"
    assert kinds(closed) == [
        "OPENED",
        "ASSIGNED",
        "URGED",
        "REPLIED",
        "RATED",
        "REOPENED",
        "REPLIED",
        "RATED",
        "CLOSED",
    ]
    # a closed ticket is neither answered nor urged again
    assert (
        error(await centre.gql(URGE, {"id": ticket["id"]}, centre.applicant))["code"] == "CONFLICT"
    )
    again = await centre.gql(REPLY, {"id": ticket["id"], "r": "补充"}, centre.officer)
    assert error(again)["code"] == "CONFLICT"

    # every step reached the applicant's phone: registered, answered twice
    assert await centre.run_jobs() >= 3
    texts = [m["text"] for m in centre.gateway.messages if m["phone"] == "13800000001"]
    assert len(texts) == 3
    assert all(ticket["number"] in t for t in texts)
    assert "已答复" in texts[1]


async def test_an_answered_ticket_is_rated_not_urged(centre: Centre) -> None:
    ticket = await centre.open(centre.officer, channel="HOTLINE", category="FUNDS")
    ok(await centre.gql(REPLY, {"id": ticket["id"], "r": "案款将于下周发放。"}, centre.officer))
    for token in (centre.applicant, centre.officer):
        refused = await centre.gql(URGE, {"id": ticket["id"], "n": "还没收到"}, token)
        assert error(refused)["code"] == "CONFLICT"
    seen = ok(await centre.gql(GET, {"id": ticket["id"]}, centre.officer))["ticket"]
    assert seen["status"] == "REPLIED" and seen["urgeCount"] == 0
    assert "URGED" not in kinds(seen)
    # unsatisfied, the applicant rates it: back to the officer, and it may be urged again
    ok(await centre.gql(RATE, {"id": ticket["id"], "r": 2, "c": "仍未收到"}, centre.applicant))
    urged = ok(await centre.gql(URGE, {"id": ticket["id"]}, centre.applicant))["urgeTicket"]
    assert urged["status"] == "REOPENED" and urged["urgeCount"] == 1
    assert kinds(urged)[-1] == "URGED"


async def test_urging_an_overdue_ticket_escalates_to_the_head(centre: Centre) -> None:
    ticket = await centre.open(
        centre.officer,
        channel="LETTER",
        category="PROGRESS",
        receivedAt="2026-11-02T09:00:00+08:00",
    )
    assert ticket["overdue"] is True
    urged = ok(await centre.gql(URGE, {"id": ticket["id"]}, centre.officer))["urgeTicket"]
    assert urged["urgeCount"] == 1
    assert urged["escalatedTo"] == HEAD
    assert kinds(urged)[-2:] == ["URGED", "ESCALATED"]
    # the reminder and the overdue notice are due already: the scheduler records them
    await centre.run_jobs()
    seen = ok(await centre.gql(GET, {"id": ticket["id"]}, centre.officer))["ticket"]
    assert {"REMINDED", "OVERDUE"} <= set(kinds(seen))
    urged = ok(await centre.gql(URGE, {"id": ticket["id"]}, centre.applicant))["urgeTicket"]
    assert urged["urgeCount"] == 2
    assert kinds(urged).count("ESCALATED") == 1


async def test_the_same_idempotency_key_never_opens_two(centre: Centre) -> None:
    first = await centre.open(centre.officer, idempotencyKey="hotline-0001")
    second = await centre.open(centre.officer, idempotencyKey="hotline-0001")
    assert second["id"] == first["id"] and second["number"] == first["number"]
    other = await centre.gql(
        "mutation($input: OpenTicketInput!) { openTicket(input: $input) { id } }",
        {
            "input": {
                "caseNumber": CASE,
                "channel": "WINDOW",
                "category": "PROGRESS",
                "content": "另一件事",
                "applicantName": "林某",
                "idempotencyKey": "hotline-0001",
            }
        },
        centre.officer,
    )
    assert error(other)["code"] == "CONFLICT"
    async with centre.live.state.db.session() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


async def test_an_applicant_stays_within_their_case(centre: Centre) -> None:
    theirs = await centre.open(centre.officer, caseNumber=OTHER_CASE, applicantName="黄某某")
    mine = await centre.open(centre.applicant, channel="ONLINE")
    ok(await centre.gql(REPLY, {"id": theirs["id"], "r": "已处理"}, centre.officer))

    # another's ticket does not exist for them, and cannot be rated or urged
    assert ok(await centre.gql(GET, {"id": theirs["id"]}, centre.applicant))["ticket"] is None
    rate = await centre.gql(RATE, {"id": theirs["id"], "r": 5}, centre.applicant)
    assert error(rate)["code"] == "NOT_FOUND"
    assert (
        error(await centre.gql(URGE, {"id": theirs["id"]}, centre.applicant))["code"] == "NOT_FOUND"
    )
    listed = ok(
        await centre.gql("{ tickets(first: 50) { totalCount nodes { id } } }", {}, centre.applicant)
    )["tickets"]
    assert [n["id"] for n in listed["nodes"]] == [mine["id"]]

    # another case: neither read nor asked about
    other_case = await centre.gql(
        "query($n: String!) { case(number: $n) { number } }", {"n": OTHER_CASE}, centre.applicant
    )
    assert error(other_case)["code"] == "FORBIDDEN"
    opened = await centre.gql(
        "mutation($input: OpenTicketInput!) { openTicket(input: $input) { id } }",
        {
            "input": {
                "caseNumber": OTHER_CASE,
                "channel": "ONLINE",
                "category": "PROGRESS",
                "content": "查询进度",
                "applicantName": "林某",
            }
        },
        centre.applicant,
    )
    assert error(opened)["code"] == "FORBIDDEN"
    # their own case's progress, but never a dossier
    own = ok(
        await centre.gql(
            "query($n: String!) { case(number: $n) { status deadline } }",
            {"n": CASE},
            centre.applicant,
        )
    )["case"]
    assert own == {"status": "OPEN", "deadline": "2026-09-02"}
    dossier = await centre.gql(
        "query($c: String!, $i: String!) { dossier(caseNumber: $c, idNumber: $i) {"
        " subject { name } } }",
        {"c": CASE, "i": "350602198003150015"},
        centre.applicant,
    )
    assert error(dossier)["code"] == "FORBIDDEN"
    # staff rate nothing: the rating is the applicant's word
    staff_rating = await centre.gql(RATE, {"id": mine["id"], "r": 5}, centre.officer)
    assert error(staff_rating)["code"] == "FORBIDDEN"


async def test_an_applicant_token_needs_an_applicant_of_the_case(centre: Centre) -> None:
    live = centre.live
    for scope in (
        f"{CASE}:350602198003150015",
        f"{CASE}:350203198507220034",
        "（2026）闽0602执9号:X",
    ):
        try:
            await live.token(Role.APPLICANT, scope)
        except Exception as exc:  # BadUserInput from the service
            assert getattr(exc, "field", None) == "scope"
        else:
            raise AssertionError(f"an applicant token was issued for {scope}")


async def test_a_property_clue_ticket_proposes_requests_at_once(centre: Centre) -> None:
    query = """
    mutation($input: OpenTicketInput!) { openTicket(input: $input) {
      id category clue { id kind region proposals { agencyId action } }
    } }"""
    opened = ok(
        await centre.gql(
            query,
            {
                "input": {
                    "caseNumber": CASE,
                    "channel": "ONLINE",
                    "category": "PROPERTY_CLUE",
                    "content": "被执行人在漳浦县绥安镇有一套住宅。",
                    "applicantName": "林某",
                    "clue": {"kind": "REAL_ESTATE", "region": "350623"},
                }
            },
            centre.applicant,
        )
    )["openTicket"]
    clue = opened["clue"]
    assert clue["kind"] == "REAL_ESTATE" and clue["region"] == "350623"
    assert clue["proposals"] == [{"agencyId": "realestate-zhangpu", "action": "QUERY"}]
    # the clue is the case's, seen from the case too
    case = ok(
        await centre.gql(
            "query($n: String!) { case(number: $n) { clues { id description ticket { id } } } }",
            {"n": CASE},
            centre.officer,
        )
    )["case"]
    assert case["clues"] == [
        {
            "id": clue["id"],
            "description": "被执行人在漳浦县绥安镇有一套住宅。",
            "ticket": {"id": opened["id"]},  # linked both ways
        }
    ]
    # the officer confirms what it proposes: the request goes to the county registry
    confirmed = ok(
        await centre.gql(
            "mutation($id: ID!) { confirmPropertyClue(id: $id) { agency { id } action clueId } }",
            {"id": clue["id"]},
            centre.officer,
        )
    )["confirmPropertyClue"]
    assert confirmed == [
        {"agency": {"id": "realestate-zhangpu"}, "action": "QUERY", "clueId": clue["id"]}
    ]


async def test_a_failed_message_is_retried_and_holds_nothing_up(centre: Centre) -> None:
    centre.gateway.faults["fail_next"] = 1
    ticket = await centre.open(centre.officer, channel="HOTLINE")
    assert await centre.run_jobs() >= 1
    assert centre.gateway.messages == []
    async with centre.live.state.db.session() as session:
        job = await session.scalar(sa.select(TicketJob).where(TicketJob.kind == "notify"))
    assert job is not None and job.done_at is None and job.last_error
    assert job.available_at > datetime.now(job.available_at.tzinfo)
    # the loop went on meanwhile
    ok(await centre.gql(REPLY, {"id": ticket["id"], "r": "已答复"}, centre.officer))
    # time passes: the message is due again and goes out
    async with centre.live.state.db.transaction() as session:
        await session.execute(
            sa.update(TicketJob)
            .where(TicketJob.id == job.id)
            .values(available_at=datetime.now(job.available_at.tzinfo) - timedelta(seconds=1))
        )
    await centre.run_jobs()
    assert [ticket["number"] in m["text"] for m in centre.gateway.messages] == [True, True]


async def test_the_dispatcher_loop_runs_the_ticket_jobs(database_url: str) -> None:
    from hub.server import dispatcher_service
    from tests.support import start_hub
    from tests.tickets.conftest import make_centre

    async with start_hub(
        database_url, services=[dispatcher_service()], dispatcher_poll_s=0.02
    ) as live:
        centre = await make_centre(live)
        ticket = await centre.open(centre.officer, channel="HOTLINE")

        await asyncio.wait_for(centre.gateway.arrived.wait(), timeout=20)
        assert ticket["number"] in centre.gateway.messages[0]["text"]
        assert centre.gateway.messages[0]["phone"] == "13800000001"


async def test_an_applicant_sees_that_requests_were_answered_not_the_answers(
    centre: Centre,
) -> None:
    created = ok(
        await centre.gql(
            "mutation($input: CreateAssistanceRequestInput!) {"
            " createAssistanceRequest(input: $input) { id } }",
            {
                "input": {
                    "caseNumber": CASE,
                    "subjectIdNumber": "350602198003150015",
                    "agencyId": "realestate-zhangpu",
                    "action": "QUERY",
                }
            },
            centre.officer,
        )
    )["createAssistanceRequest"]
    registry = await centre.live.token(Role.AGENCY_OFFICER, "realestate-zhangpu")
    ok(
        await centre.gql(
            'mutation($id: ID!) { answerAssistanceRequest(input: {id: $id, outcome: "found",'
            ' result: {certificate: "闽(2017)漳浦县不动产权第0006789号"}}) { status } }',
            {"id": created["id"]},
            registry,
        )
    )
    query = (
        "query($n: String!) { assistanceRequests(filter: {caseNumber: $n}) {"
        " nodes { id status action agency { name } subject { idNumber } answer { outcome } } } }"
    )
    body = await centre.gql(query, {"n": CASE}, centre.applicant)
    # what the registry found is not the applicant's to read: refused out loud, not hidden
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["assistanceRequests", "nodes", 0, "answer"], "FORBIDDEN")
    ]
    seen = body["data"]["assistanceRequests"]
    assert seen["nodes"] == [
        {
            "id": created["id"],
            "status": "COMPLETED",
            "action": "QUERY",
            "agency": {"name": "漳浦县不动产登记中心"},
            "subject": {"idNumber": "350602********0015"},
            "answer": None,
        }
    ]
    officer_view = ok(await centre.gql(query, {"n": CASE}, centre.officer))["assistanceRequests"]
    assert officer_view["nodes"][0]["answer"] == {"outcome": "found"}


async def test_the_phone_is_for_the_court_and_the_applicant(centre: Centre) -> None:
    ticket = await centre.open(centre.officer, applicantPhone="0596-2345678")
    query = "query($id: ID!) { ticket(id: $id) { applicantPhone } }"
    observer = await centre.live.token(Role.OBSERVER, CASE)
    seen = {
        who: (await centre.gql(query, {"id": ticket["id"]}, token))["data"]["ticket"]
        for who, token in (
            ("court", centre.officer),
            ("applicant", centre.applicant),
            ("observer", observer),
            ("admin", centre.admin),
        )
    }
    assert seen == {
        "court": {"applicantPhone": "05962345678"},
        "applicant": {"applicantPhone": "05962345678"},
        "observer": {"applicantPhone": None},
        "admin": {"applicantPhone": None},
    }
