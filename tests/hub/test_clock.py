"""One clock: "today" is Shanghai's date on any server, and tests can stop it.

At 23:30 UTC on 6 December it is already 07:30 on 7 December in Shanghai: a
case whose statutory deadline was the 6th is overdue, and a case filed on the
7th is not "filed in the future", whatever date the server's own zone says.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from hub import clock
from tests.dossier.conftest import FILE, case_input
from tests.support import LiveHub

LATE_EVENING_UTC = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)


def test_today_is_shanghais_date() -> None:
    with clock.frozen(LATE_EVENING_UTC):
        assert clock.today() == date(2026, 12, 7)
        assert clock.now() == LATE_EVENING_UTC
        assert clock.local_now().hour == 7
    with clock.frozen(datetime(2026, 12, 6, 15, 59, tzinfo=UTC)):
        assert clock.today() == date(2026, 12, 6)  # 23:59 in Shanghai


async def test_overdue_and_future_are_judged_by_shanghais_day(hub: LiveHub) -> None:
    officer = await hub.token("court_officer", "闽0602")
    due_yesterday = {**case_input("（2026）闽0602执1号"), "filedOn": "2026-06-06"}
    filed_today = {**case_input("（2026）闽0602执2号"), "filedOn": "2026-12-07"}
    read = "query($n: String!) { case(number: $n) { deadline overdue } }"
    with clock.frozen(LATE_EVENING_UTC):
        assert "errors" not in await hub.gql(FILE, {"input": due_yesterday}, token=officer)
        created = await hub.gql(FILE, {"input": filed_today}, token=officer)
        assert "errors" not in created, created  # the 7th is today in Shanghai
        case = (await hub.gql(read, {"n": "（2026）闽0602执1号"}, token=officer))["data"]["case"]
        assert case == {"deadline": "2026-12-06", "overdue": True}
        listed = await hub.gql(
            "{ cases(filter: {overdue: true}) { edges { node { number } } } }", token=officer
        )
        numbers = [e["node"]["number"] for e in listed["data"]["cases"]["edges"]]
        assert numbers == ["（2026）闽0602执1号"]
    with clock.frozen(datetime(2026, 12, 6, 15, 30, tzinfo=UTC)):  # 23:30 on the 6th there
        case = (await hub.gql(read, {"n": "（2026）闽0602执1号"}, token=officer))["data"]["case"]
        assert case["overdue"] is False
