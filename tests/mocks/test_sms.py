"""The mock SMS gateway: records what it takes, fails when told, admin surface as the others."""

from __future__ import annotations

import httpx

from hub.notify import NotificationFailed, SmsNotifier
from mocks import sms


async def test_records_messages_and_fails_on_request() -> None:
    gateway = sms.Gateway()
    app = sms.build_app(gateway)
    notifier = SmsNotifier("http://sms.test", transport=httpx.ASGITransport(app=app))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sms.test"
    ) as admin:
        await notifier.send("13800000001", "【法院】您的诉求已登记", reference="r-1")
        await notifier.send("13800000001", "【法院】您的诉求已登记", reference="r-1")  # a retry
        listed = (await admin.get("/_admin/messages")).json()["messages"]
        assert [(m["phone"], m["text"], m["reference"]) for m in listed] == [
            ("13800000001", "【法院】您的诉求已登记", "r-1")
        ]

        assert (await admin.put("/_admin/faults", json={"fail_next": 1})).status_code == 200
        try:
            await notifier.send("13800000002", "第二条", reference="r-2")
        except NotificationFailed as exc:
            assert "503" in str(exc)
        else:
            raise AssertionError("the gateway was told to fail")
        await notifier.send("13800000002", "第二条", reference="r-2")
        assert (await admin.get("/_admin/stats")).json() == {
            "requests": 4,
            "sent": 2,
            "failed": 1,
        }
        assert (await admin.put("/_admin/faults", json={"nope": 1})).status_code == 400
        bad = await admin.post("/sms", json={"phone": "", "text": "x"})
        assert bad.status_code == 400
        await admin.post("/_admin/reset")
        assert (await admin.get("/_admin/messages")).json() == {"messages": []}
    await notifier.aclose()
