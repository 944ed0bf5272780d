"""Case lifecycle rules the indicators rest on: ENDED, resumption with a reason,
dated changes that are neither in the future nor before filing."""

from __future__ import annotations

from datetime import timedelta

from tests.funds.helpers import COURT, china_today, error, file_case, ok, status
from tests.support import LiveHub


async def test_ended_is_final(hub: LiveHub) -> None:
    officer = await hub.token("court_officer", COURT)
    number = await file_case(hub, officer, 301, china_today())
    ended = ok(await status(hub, officer, number, "ENDED", note="申请执行人撤回申请"))
    changed = ended["updateCaseStatus"]
    assert changed["status"] == "ENDED"
    assert "终结执行" in changed["events"][-1]["note"]
    again = await status(hub, officer, number, "OPEN", note="恢复")
    assert error(again)["code"] == "CONFLICT"


async def test_settled_case_resumes_with_a_reason(hub: LiveHub) -> None:
    officer = await hub.token("court_officer", COURT)
    today = china_today()
    number = await file_case(hub, officer, 302, today)
    ok(await status(hub, officer, number, "SETTLED"))
    no_reason = error(await status(hub, officer, number, "OPEN"))
    assert no_reason == {"code": "BAD_USER_INPUT", "field": "note"}
    resumed = ok(await status(hub, officer, number, "OPEN", note="被执行人未履行和解协议"))
    changed = resumed["updateCaseStatus"]
    assert changed["status"] == "OPEN"
    notes = [e["note"] for e in changed["events"] if e["kind"] == "STATUS_CHANGED"]
    assert "执行和解" in notes[0]
    assert "恢复执行" in notes[1] and "被执行人未履行和解协议" in notes[1]
    # and a 终本 case resumes the same way
    ok(await status(hub, officer, number, "TERMINATED", note="无可供执行财产"))
    ok(await status(hub, officer, number, "OPEN", note="发现被执行人新的财产线索"))


async def test_effective_dates_are_checked(hub: LiveHub) -> None:
    officer = await hub.token("court_officer", COURT)
    today = china_today()
    filed = today - timedelta(days=10)
    if filed.year != today.year:
        filed = today
    number = await file_case(hub, officer, 303, filed)
    future = error(await status(hub, officer, number, "CONCLUDED", today + timedelta(days=1)))
    assert future == {"code": "BAD_USER_INPUT", "field": "effectiveOn"}
    early = error(await status(hub, officer, number, "CONCLUDED", filed - timedelta(days=1)))
    assert early == {"code": "BAD_USER_INPUT", "field": "effectiveOn"}
    settled_on = min(filed + timedelta(days=5), today)
    case = ok(await status(hub, officer, number, "SETTLED", settled_on))["updateCaseStatus"]
    assert case["status"] == "SETTLED" and settled_on.isoformat() in case["events"][-1]["note"]
    # a later change cannot be dated before the one it follows
    if settled_on > filed:
        before = error(
            await status(hub, officer, number, "OPEN", settled_on - timedelta(days=1), "恢复")
        )
        assert before == {"code": "BAD_USER_INPUT", "field": "effectiveOn"}
    ok(await status(hub, officer, number, "OPEN", settled_on, "被执行人未履行和解协议"))
