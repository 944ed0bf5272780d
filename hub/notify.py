"""Telling applicants what happened to their request: a small notifier interface.

Production sends SMS through the court's gateway (``sms_url``); without one
configured, messages are only logged. A notifier raises ``NotificationFailed``
when a message did not go out: the scheduler (``hub.ticket_jobs``) retries it
later, so a failed message never holds up the loop it reports on.
"""

from __future__ import annotations

from typing import Protocol

import httpx
import structlog

from hub.state import HubState, Slot

log = structlog.get_logger("hub.notify")

NOTIFIER: Slot[Notifier] = Slot("tickets.notifier")  # tests put theirs here
SMS_TIMEOUT_S = 5.0


class NotificationFailed(Exception):
    """The message was not accepted; worth trying again later."""


class Notifier(Protocol):
    async def send(self, phone: str, text: str, *, reference: str) -> None:
        """Deliver ``text`` to ``phone``; ``reference`` lets the gateway drop a repeat.

        Returns when the gateway accepted the message; raises
        ``NotificationFailed`` otherwise.
        """
        ...


class LogNotifier:
    """No gateway configured (development): the message goes to the log, phone masked."""

    async def send(self, phone: str, text: str, *, reference: str) -> None:
        log.info("sms (not sent: no gateway)", phone=phone[:3] + "****" + phone[-4:], ref=reference)


class SmsNotifier:
    """The SMS gateway's HTTP API: ``POST {url}/sms`` with ``{phone, text, reference}``."""

    def __init__(
        self, url: str, key: str | None = None, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.AsyncClient(
            base_url=url.rstrip("/"), headers=headers, timeout=SMS_TIMEOUT_S, transport=transport
        )

    async def send(self, phone: str, text: str, *, reference: str) -> None:
        try:
            response = await self._client.post(
                "/sms", json={"phone": phone, "text": text, "reference": reference}
            )
        except httpx.HTTPError as exc:
            raise NotificationFailed(f"SMS gateway unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise NotificationFailed(f"SMS gateway answered {response.status_code}")

    async def aclose(self) -> None:
        await self._client.aclose()


def notifier_for(hub: HubState) -> Notifier:
    """The process's notifier: one put in ``NOTIFIER`` (tests), else built from the settings."""
    settings = hub.settings
    return hub.setdefault(
        NOTIFIER,
        lambda: (
            SmsNotifier(settings.sms_url, settings.sms_key) if settings.sms_url else LogNotifier()
        ),
    )
