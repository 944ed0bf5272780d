"""The four rates of CONTRACT §7.3 for a planted set of cases, against a hand count."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hub import indicator_trend, indicators
from hub.auth import Principal, Role
from hub.cases import add_months
from tests.funds.helpers import COURT, china_today, error, file_case, ok, pay, receive, status
from tests.support import LiveHub

INDICATORS = """query($c: String!, $f: Date!, $t: Date!) { indicators(court: $c, from: $f, to: $t) {
  court casesPending casesReceived casesClosed closureRate recoveryRate withinLimitRate
  disbursementTimelyRate fundsReceived fundsDisbursed } }"""
RANKING = """query($p: String!, $f: Date!, $t: Date!) { indicatorsRanking(prefix: $p, from: $f, to: $t)
  { rank court courtName indicators { casesClosed closureRate } } }"""
OVERDUE = """query($c: String!) { overdueFunds(court: $c) {
  caseNumber outstanding daysOverdue receipt { receivedOn dueOn amount } } }"""

FROM, TO = date(2026, 7, 1), date(2026, 11, 30)
D = date


async def plant(live: LiveHub, officer: str) -> dict[str, str]:
    """The cases, each with what it counts for in [2026-07-01, 2026-11-30]."""
    n: dict[str, str] = {}
    # A: pending; 40,000 received 08-01, paid 08-20 (on time); concluded 09-20, past its
    #    deadline 07-10
    n["A"] = await file_case(live, officer, 201, D(2026, 1, 10), "100000.00")
    ok(await receive(live, officer, n["A"], "40000.00", D(2026, 8, 1)))
    ok(await pay(live, officer, n["A"], "40000.00", D(2026, 8, 20)))
    ok(await status(live, officer, n["A"], "CONCLUDED", D(2026, 9, 20)))
    # B: pending; 50,000 received 07-10, paid 08-25 (late: due 08-09); concluded 08-15,
    #    within its deadline 09-01
    n["B"] = await file_case(live, officer, 202, D(2026, 3, 1), "50000.00")
    ok(await receive(live, officer, n["B"], "50000.00", D(2026, 7, 10)))
    ok(await status(live, officer, n["B"], "CONCLUDED", D(2026, 8, 15)))
    ok(await pay(live, officer, n["B"], "50000.00", D(2026, 8, 25)))
    # C: pending; 终本 (TERMINATED) 07-05, within its deadline 08-01; nothing received
    n["C"] = await file_case(live, officer, 203, D(2026, 2, 1), "200000.00")
    ok(await status(live, officer, n["C"], "TERMINATED", D(2026, 7, 5), "无可供执行财产"))
    # D: pending, still open; 10,000 received 10-01, never paid out
    n["D"] = await file_case(live, officer, 204, D(2026, 4, 1), "80000.00")
    ok(await receive(live, officer, n["D"], "10000.00", D(2026, 10, 1)))
    # E: filed in the period; settled 09-01, resumed 10-01; 5,000 received 09-10, never paid
    n["E"] = await file_case(live, officer, 205, D(2026, 8, 5), "30000.00")
    ok(await status(live, officer, n["E"], "SETTLED", D(2026, 9, 1)))
    ok(await receive(live, officer, n["E"], "5000.00", D(2026, 9, 10)))
    ok(await status(live, officer, n["E"], "OPEN", D(2026, 10, 1), "被执行人未履行和解协议"))
    # F: closed before the period: neither pending nor closed in it
    n["F"] = await file_case(live, officer, 206, D(2026, 1, 5), "10000.00")
    ok(await status(live, officer, n["F"], "SETTLED", D(2026, 6, 1)))
    # G: filed after the period
    n["G"] = await file_case(live, officer, 207, D(2026, 12, 1), "10000.00")
    # H: pending (filed 06-01); ended (终结执行) on the last day, the day before its deadline
    n["H"] = await file_case(live, officer, 208, D(2026, 6, 1), "20000.00")
    ok(await status(live, officer, n["H"], "ENDED", D(2026, 11, 30)))
    return n


async def test_the_four_rates_against_a_hand_count(hub: LiveHub) -> None:
    if china_today() < D(2026, 12, 1):
        pytest.skip("the planted history runs to 2026-12-01")
    officer = await hub.token("court_officer", COURT)
    cases = await plant(hub, officer)
    body = await hub.gql(
        INDICATORS, {"c": COURT, "f": FROM.isoformat(), "t": TO.isoformat()}, token=officer
    )
    got = ok(body)["indicators"]
    # pending on 06-30: A B C D H; received: E; closed: A B C E H
    assert (got["casesPending"], got["casesReceived"], got["casesClosed"]) == (5, 1, 5)
    assert got["closureRate"] == pytest.approx(5 / 6)
    # closed: A 40,000 + B 50,000 + E 5,000 received, of 100,000 + 50,000 + 200,000 +
    # 30,000 + 20,000 claimed
    assert got["recoveryRate"] == pytest.approx(95_000 / 400_000)
    # within six months: B C E H; A is late
    assert got["withinLimitRate"] == pytest.approx(4 / 5)
    # receipts of the period: A (on time), B (late), D and E (never)
    assert got["disbursementTimelyRate"] == pytest.approx(1 / 4)
    assert (got["fundsReceived"], got["fundsDisbursed"]) == ("105000.00", "90000.00")

    # overdue money: E's (due 10-10) before D's (due 10-31), with days overdue
    overdue = ok(await hub.gql(OVERDUE, {"c": COURT}, token=officer))["overdueFunds"]
    today = china_today()
    assert [(o["caseNumber"], o["outstanding"], o["daysOverdue"]) for o in overdue] == [
        (cases["E"], "5000.00", (today - D(2026, 10, 10)).days),
        (cases["D"], "10000.00", (today - D(2026, 10, 31)).days),
    ]

    # the province view: an admin, or a supervisor of 闽06, sees 闽0602 ranked among its courts
    for token in (await hub.token("admin", "*"), await hub.token("supervisor", "闽06")):
        ranked = ok(
            await hub.gql(
                RANKING, {"p": "闽06", "f": FROM.isoformat(), "t": TO.isoformat()}, token=token
            )
        )["indicatorsRanking"]
        assert ranked[0]["court"] == COURT and ranked[0]["rank"] == 1
        assert ranked[0]["indicators"]["casesClosed"] == 5
        assert all(r["court"].startswith("闽06") for r in ranked)
        ranks = [r["rank"] for r in ranked]
        assert ranks == sorted(ranks) and len(ranked) > 1
        assert all(r["rank"] == 2 for r in ranked[1:])  # the others, all at 0, tie
    supervisor = await hub.token("supervisor", "闽06")
    seen = ok(
        await hub.gql(
            INDICATORS, {"c": COURT, "f": FROM.isoformat(), "t": TO.isoformat()}, token=supervisor
        )
    )
    assert seen["indicators"]["casesClosed"] == 5
    elsewhere = await hub.token("supervisor", "闽02")
    for query, v in (
        (RANKING, {"p": "闽06", "f": FROM.isoformat(), "t": TO.isoformat()}),
        (INDICATORS, {"c": COURT, "f": FROM.isoformat(), "t": TO.isoformat()}),
        (OVERDUE, {"c": COURT}),
    ):
        assert error(await hub.gql(query, v, token=elsewhere))["code"] == "FORBIDDEN"
    other_court = await hub.token("court_officer", "闽0206")
    assert error(await hub.gql(OVERDUE, {"c": COURT}, token=other_court))["code"] == "FORBIDDEN"


async def test_empty_denominators_give_zero(hub: LiveHub) -> None:
    officer = await hub.token("court_officer", COURT)
    got = ok(
        await hub.gql(INDICATORS, {"c": COURT, "f": "2026-01-01", "t": "2026-01-31"}, token=officer)
    )["indicators"]
    assert got == {
        "court": COURT,
        "casesPending": 0,
        "casesReceived": 0,
        "casesClosed": 0,
        "closureRate": 0.0,
        "recoveryRate": 0.0,
        "withinLimitRate": 0.0,
        "disbursementTimelyRate": 0.0,
        "fundsReceived": "0.00",
        "fundsDisbursed": "0.00",
    }
    backwards = await hub.gql(
        INDICATORS, {"c": COURT, "f": "2026-02-01", "t": "2026-01-31"}, token=officer
    )
    assert error(backwards) == {"code": "BAD_USER_INPUT", "field": "to"}


async def test_a_receipt_paid_on_day_thirty_is_on_time(hub: LiveHub) -> None:
    officer = await hub.token("court_officer", COURT)
    today = china_today()
    start = today - timedelta(days=60)
    if start.year != today.year:
        pytest.skip("needs sixty days of this year behind us")
    number = await file_case(hub, officer, 209, start)
    ok(await receive(hub, officer, number, "100.00", start))
    ok(await receive(hub, officer, number, "100.00", start + timedelta(days=1)))
    ok(await pay(hub, officer, number, "150.00", start + timedelta(days=30)))  # first: day 30
    ok(await pay(hub, officer, number, "50.00", start + timedelta(days=32)))  # second: day 31
    got = ok(
        await hub.gql(
            INDICATORS,
            {"c": COURT, "f": start.isoformat(), "t": today.isoformat()},
            token=officer,
        )
    )["indicators"]
    assert got["disbursementTimelyRate"] == pytest.approx(1 / 2)


async def test_the_monthly_trend_agrees_with_the_indicators_of_each_month(hub: LiveHub) -> None:
    if china_today() < D(2026, 12, 1):
        pytest.skip("the planted history runs to 2026-12-01")
    officer_token = await hub.token("court_officer", COURT)
    await plant(hub, officer_token)
    officer = Principal(0, "test", Role.COURT_OFFICER, COURT)
    today = china_today()
    months = await indicator_trend.monthly(hub.state.db, officer, COURT, 12, today)
    assert len(months) == 12 and months[-1].month == today.replace(day=1)
    for m in months:
        end = min(add_months(m.month, 1) - timedelta(days=1), today)
        want = await indicators.for_court(hub.state.db, officer, COURT, m.month, end)
        got = (m.cases_pending, m.cases_received, m.cases_closed, m.receipts, m.receipts_timely)
        assert got == (
            want.cases_pending,
            want.cases_received,
            want.cases_closed,
            want.receipts,
            want.receipts_timely,
        ), m.month
    assert any(m.cases_closed for m in months) and any(m.receipts for m in months)
