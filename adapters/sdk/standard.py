"""The shared vocabulary: capabilities and actions more than one kind speaks.

Nothing here is privileged: these are declarations like any kind's own
(``adapters.sdk.declare``), kept in the SDK because several kinds share them
(a police force and a traffic bureau both report ``Capability.VEHICLES``)
and because the graph's long-standing names (``Dossier.realEstate``,
``AssistanceAction.SEAL``) come from them. A kind with data of its own
declares its own ``CapabilitySpec`` in its package, as ``adapters.bank`` does.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from adapters.sdk.declare import ActionSpec, AssetView, CapabilitySpec, Effect
from adapters.sdk.records import (
    Action,
    CreditEntry,
    CreditStatus,
    EmploymentRecord,
    RealEstateHolding,
    SubjectKind,
    TaxProfile,
    Vehicle,
    WageArrearsCase,
    Whereabouts,
)

PERSON = frozenset({SubjectKind.PERSON})
ORGANIZATION = frozenset({SubjectKind.ORGANIZATION})


def _merge_whereabouts(values: list[Whereabouts]) -> Whereabouts | None:
    if not values:
        return None
    return Whereabouts(
        household_address=next((v.household_address for v in values if v.household_address), None),
        residence=next((v.residence for v in values if v.residence), None),
        travel=tuple(dict.fromkeys(t for v in values for t in v.travel)),
    )


def _merge_tax(values: list[TaxProfile]) -> TaxProfile | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    records = tuple(dict.fromkeys(r for v in values for r in v.records))
    return TaxProfile(records=records, arrears=sum((v.arrears for v in values), Decimal("0.00")))


def _merge_credit(values: list[CreditStatus]) -> CreditStatus | None:
    if not values:
        return None
    entries: tuple[CreditEntry, ...] = tuple(dict.fromkeys(e for v in values for e in v.entries))
    return CreditStatus(listed=any(v.listed for v in values), entries=entries)


def _holding_label(h: RealEstateHolding) -> str:
    return f"{h.address} {h.area_m2}㎡ {h.usage}".strip()


def _vehicle_label(v: Vehicle) -> str:
    return f"{v.plate} {v.model}".strip()


class Capability:
    """The shared capabilities, by their old enum names."""

    REAL_ESTATE = CapabilitySpec(
        name="real_estate",
        record=RealEstateHolding,
        field="realEstate",
        title="不动产",
        description="Holdings in every registry, merged.",
        asset=AssetView(label=_holding_label, reference="certificate_number"),
        columns=(
            ("certificate_number", "不动产权证号"),
            ("address", "坐落"),
            ("area_m2", "面积（㎡）"),
            ("usage", "用途"),
        ),
        clue_kind="REAL_ESTATE",
        clue_title="不动产",
        noun="房产",
    )
    VEHICLES = CapabilitySpec(
        name="vehicles",
        record=Vehicle,
        field="vehicles",
        title="车辆",
        asset=AssetView(label=_vehicle_label, reference="plate"),
        columns=(("plate", "号牌"), ("model", "品牌型号")),
        clue_kind="VEHICLE",
        clue_title="车辆",
        noun="车",
    )
    WHEREABOUTS = CapabilitySpec(
        name="whereabouts",
        record=Whereabouts,
        field="whereabouts",
        title="下落",
        many=False,
        subjects=PERSON,
        merge=_merge_whereabouts,
        columns=(("household_address", "户籍地址"), ("residence", "居住地")),
    )
    TAX = CapabilitySpec(
        name="tax",
        record=TaxProfile,
        field="tax",
        title="纳税",
        many=False,
        merge=_merge_tax,
        columns=(("arrears", "欠税（元）"),),
    )
    EMPLOYMENT = CapabilitySpec(
        name="employment",
        record=EmploymentRecord,
        field="employment",
        title="就业与社保",
        subjects=PERSON,
        columns=(
            ("employer_name", "用人单位"),
            ("monthly_base", "缴费基数（元）"),
            ("since", "起始"),
            ("until", "截止"),
        ),
        clue_kind="EMPLOYER",
        clue_title="工作单位",
    )
    WAGE_ARREARS = CapabilitySpec(
        name="wage_arrears",
        record=WageArrearsCase,
        field="wageArrears",
        title="欠薪案件",
        subjects=ORGANIZATION,
        description="Wage-arrears cases of an organization as an employer.",
        columns=(("workers", "涉及人数"), ("amount", "欠薪金额（元）"), ("status", "状态")),
    )
    CREDIT = CapabilitySpec(
        name="credit",
        record=CreditStatus,
        field="credit",
        title="信用惩戒",
        many=False,
        merge=_merge_credit,
        columns=(("listed", "已纳入名单"),),
    )

    @classmethod
    def all(cls) -> tuple[CapabilitySpec, ...]:
        return tuple(v for v in vars(cls).values() if isinstance(v, CapabilitySpec))


def _std(name: Action, label: str, **kw: Any) -> ActionSpec:
    return ActionSpec(name=name.value, label=label, **kw)


# The standard actions with their labels, effects and the calendar days an agency
# has by default (writes that change a legal state are urgent: property moves fast).
STANDARD_ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        _std(Action.QUERY, "查询", due_days=7),
        _std(Action.SEAL, "查封", effect=Effect.ENCUMBER, due_days=3, needs_document=True),
        _std(Action.UNSEAL, "解除查封", effect=Effect.LIFT, lifts="SEAL", due_days=3,
             needs_document=True),
        _std(Action.RENEW_SEAL, "续行查封", effect=Effect.RENEW, lifts="SEAL", due_days=3,
             needs_document=True),
        _std(Action.FREEZE, "冻结", effect=Effect.ENCUMBER, due_days=3, needs_document=True),
        _std(Action.UNFREEZE, "解除冻结", effect=Effect.LIFT, lifts="FREEZE", due_days=3,
             needs_document=True),
        _std(Action.DEDUCT, "扣划", effect=Effect.MOVE_MONEY, due_days=3, needs_document=True),
        _std(Action.TRANSFER, "协助过户", effect=Effect.TRANSFER, due_days=15,
             needs_document=True),
        _std(Action.LOCATE_PERSON, "查找下落", due_days=15),
        _std(Action.CONTROL_VEHICLE, "查控车辆", due_days=7),
        _std(Action.WATCH, "布控", effect=Effect.WATCH, due_days=30),
        _std(Action.DETAIN, "协助拘留", due_days=3, needs_document=True),
        _std(Action.LIST_DISHONEST, "纳入失信名单", effect=Effect.DECISION, due_days=3,
             needs_document=True),
        _std(Action.RESTRICT_CONSUMPTION, "限制高消费", effect=Effect.DECISION, due_days=3,
             needs_document=True),
        _std(Action.DELIST, "移出失信名单", effect=Effect.DECISION, due_days=3,
             needs_document=True, lifts="LIST_DISHONEST"),
        _std(Action.LIFT_RESTRICTION, "解除限制高消费", effect=Effect.DECISION, due_days=3,
             needs_document=True, lifts="RESTRICT_CONSUMPTION"),
        _std(Action.TAX_ASSIST, "协助办税", due_days=15),
        _std(Action.WAGE_ASSIST, "协助清欠", due_days=15),
    )
}  # fmt: skip
