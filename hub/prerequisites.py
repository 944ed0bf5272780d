"""What must be done before an order may go out, by the order's effect.

A title transfer after an auction (过户, effect ``TRANSFER``) comes after the
ruling confirming the sale (the kind's ``details`` model requires it) and
after the taxes of the sale are settled: ``details.tax_request_id`` names a
COMPLETED request of the same case (the tax kind's 协助办税, or whatever
assistance the court used to settle them). The hub names no kind or action
here: only the effect and the completed request.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sdk.declare import ActionSpec, Effect
from hub.errors import BadUserInput
from hub.models import AssistanceRequest, Case

TAX_REQUEST_KEY = "tax_request_id"


async def require_met(
    session: AsyncSession, spec: ActionSpec, case: Case, details: dict[str, Any]
) -> None:
    if spec.effect is not Effect.TRANSFER:
        return
    field = f"details.{TAX_REQUEST_KEY}"
    ref = details.get(TAX_REQUEST_KEY)
    if not isinstance(ref, str) or not ref:
        raise BadUserInput(field, "过户须先完成税费协助，请填写已办结的完税协助请求")
    done = await session.get(AssistanceRequest, ref)
    if done is None or done.case_id != case.id or done.status != "COMPLETED":
        raise BadUserInput(field, "所填完税协助请求须为本案已办结的请求")
