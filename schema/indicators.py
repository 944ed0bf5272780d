"""The quality indicators (执行质效指标) in the graph: one court, or every court under a prefix."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

import strawberry

from hub import indicators as service
from schema.context import Info


@strawberry.type
class Indicators:
    court: str
    cases_pending: int = strawberry.field(description="Open on the day before `from`.")
    cases_received: int = strawberry.field(description="Filed in [from, to].")
    cases_closed: int = strawberry.field(
        description="Reached SETTLED, CONCLUDED, TERMINATED or ENDED in [from, to]."
    )
    closure_rate: float = strawberry.field(
        description="结案率: casesClosed / (casesPending + casesReceived)."
    )
    recovery_rate: float = strawberry.field(
        description="执行到位率: money received by the closed cases / what they claimed."
    )
    within_limit_rate: float = strawberry.field(
        description="法定审限内结案率: closed within 6 months of filing / casesClosed."
    )
    disbursement_timely_rate: float = strawberry.field(
        description="案款发放及时率: receipts of [from, to] paid out in full within 30 days "
        "/ those receipts."
    )
    funds_received: Decimal
    funds_disbursed: Decimal

    @classmethod
    def of(cls, i: service.Indicators) -> Indicators:
        return cls(
            court=i.court,
            cases_pending=i.cases_pending,
            cases_received=i.cases_received,
            cases_closed=i.cases_closed,
            closure_rate=i.closure_rate,
            recovery_rate=i.recovery_rate,
            within_limit_rate=i.within_limit_rate,
            disbursement_timely_rate=i.disbursement_timely_rate,
            funds_received=i.funds_received,
            funds_disbursed=i.funds_disbursed,
        )


@strawberry.type
class IndicatorsRank:
    rank: int
    court: str
    court_name: str
    indicators: Indicators


@strawberry.type
class IndicatorsQuery:
    @strawberry.field(description="A court's quality indicators for [from, to] (CONTRACT §7.3).")
    async def indicators(
        self,
        info: Info,
        court: str,
        date_from: Annotated[dt.date, strawberry.argument(name="from")],
        date_to: Annotated[dt.date, strawberry.argument(name="to")],
    ) -> Indicators:
        figures = await service.for_court(
            info.context.hub.db, info.context.principal, court, date_from, date_to
        )
        return Indicators.of(figures)

    @strawberry.field(
        description="Every court whose code starts with `prefix` (e.g. 闽06), ranked by "
        "closure rate, then recovery rate: admins, or supervisors of that prefix."
    )
    async def indicators_ranking(
        self,
        info: Info,
        prefix: str,
        date_from: Annotated[dt.date, strawberry.argument(name="from")],
        date_to: Annotated[dt.date, strawberry.argument(name="to")],
    ) -> list[IndicatorsRank]:
        ranked = await service.ranking(
            info.context.hub.db, info.context.principal, prefix, date_from, date_to
        )
        return [
            IndicatorsRank(
                rank=r.rank,
                court=r.court,
                court_name=r.court_name,
                indicators=Indicators.of(r.indicators),
            )
            for r in ranked
        ]
