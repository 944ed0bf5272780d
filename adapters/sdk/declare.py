"""What a kind declares: the data it can read (capabilities) and the orders it takes (actions).

The hub composes everything from these declarations — the graph's types and
dossier fields, the fetcher, the snapshot codec, same-name screening, the
console's dossier sections and answer forms, the checks on ``details`` — and
names no capability or action of any particular kind itself.

A **capability** is a kind of record an agency can be asked for about a
subject, with the batch method of the same name on the adapter::

    BANK_ACCOUNTS = CapabilitySpec(
        name="bank_accounts",          # batch method, snapshot key; GraphQL enum BANK_ACCOUNTS
        record=BankAccount,            # a frozen dataclass: money Decimal, dates, instants aware
        field="bankAccounts",          # the Dossier field it contributes
        title="银行账户",               # for people (console sections)
        asset=AssetView(label=..., value=..., reference="account_number"),
        columns=(("bank_name", "开户行"), ("account_number", "账号"), ...),
    )

Records that carry ``owner_id`` (and ``owner_name``) and ``matched_by`` are
screened by the hub with ``records.match_kind``: another person's record never
reaches an answer, a name-only one is marked ``NAME_ONLY``. Records without
them are taken as the subject's (the agency keyed them by ID number).

An **action** is an order an agency takes. Kinds list action names in
``Adapter.actions`` and give each one's ``details`` and ``result`` models in
``Adapter.action_details`` / ``Adapter.action_results``; the standard names
come with their labels, due days and effects (``adapters.sdk.standard``); a
kind's own action is an ``ActionSpec`` in ``Adapter.actions``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from adapters.sdk.records import SubjectKind

BOTH = frozenset({SubjectKind.PERSON, SubjectKind.ORGANIZATION})


@dataclass(frozen=True)
class AssetView:
    """How a record shows as an ``Asset``: a line for people, a value, the reference an
    order names it by (an attribute of the record)."""

    label: Callable[[Any], str]
    reference: str
    value: Callable[[Any], Decimal | None] | None = None


@dataclass(frozen=True, eq=False)
class CapabilitySpec:
    """A kind of record agencies can be asked for about a subject.

    ``name`` is the adapter's batch method and the capability's identity: two
    kinds that declare the same name must declare the same spec object (import
    it, as police and a traffic bureau share ``Capability.VEHICLES``).
    """

    name: str
    record: type
    field: str
    title: str
    many: bool = True
    subjects: frozenset[SubjectKind] = BOTH
    asset: AssetView | None = None
    type_name: str | None = None  # the GraphQL type; the record class's name by default
    columns: tuple[tuple[str, str], ...] = ()  # console: (attribute, zh-CN heading)
    merge: Callable[[list[Any]], Any] | None = None  # single-valued: several agencies' answers
    description: str = ""
    hidden: frozenset[str] = frozenset({"owner_id", "owner_name"})  # matching data, not shown
    clue_kind: str | None = None  # property clues of this kind are routed here (e.g. "BANK")
    clue_title: str = ""  # zh-CN name of that clue kind
    noun: str = ""  # zh-CN, one of the records: "房产" in "查封此房产" (the title when empty)

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or not self.name.islower():
            raise ValueError(f"capability name {self.name!r} must be a lower-case identifier")
        if not dataclasses.is_dataclass(self.record):
            raise TypeError(f"capability {self.name!r}: record must be a dataclass")
        if self.asset is not None and not self.many:
            raise ValueError(f"capability {self.name!r}: an asset capability lists records")

    def __hash__(self) -> int:
        return hash(self.name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CapabilitySpec) and other.name == self.name

    def __lt__(self, other: CapabilitySpec) -> bool:
        return self.name < other.name

    def __repr__(self) -> str:
        return f"CapabilitySpec({self.name!r})"

    def __str__(self) -> str:
        return self.name

    @property
    def value(self) -> str:
        """The name (the capability used to be an enum; ``.value`` reads as before)."""
        return self.name

    @property
    def enum_name(self) -> str:
        return self.name.upper()

    @property
    def graphql_type(self) -> str:
        return self.type_name or self.record.__name__

    @property
    def screened(self) -> bool:
        """Records carry their owner's ID number and a ``matched_by`` for the hub to check."""
        names = {f.name for f in dataclasses.fields(self.record)}
        return {"owner_id", "matched_by"} <= names

    def applies(self, kind: SubjectKind) -> bool:
        return kind in self.subjects

    def empty(self) -> Any:
        return [] if self.many else None


class Effect(StrEnum):
    """What an action does to the debtor's property, in the hub's own vocabulary.

    ``ENCUMBER``: a seal or freeze with a rank (FIRST / WAITING) and a term;
    ``LIFT``: ends one (names it in ``details`` by the request or the reference);
    ``RENEW``: extends one, keeping its rank; ``MOVE_MONEY``: money reaches the
    case account (a deduction); ``TRANSFER``: title moves after an auction;
    ``WATCH``: a standing watch whose reports are events until it is cancelled;
    ``DECISION``: a court decision the agency publishes (credit listings);
    ``NONE``: a query or an assistance that changes no property.
    """

    NONE = "NONE"
    ENCUMBER = "ENCUMBER"
    LIFT = "LIFT"
    RENEW = "RENEW"
    MOVE_MONEY = "MOVE_MONEY"
    TRANSFER = "TRANSFER"
    WATCH = "WATCH"
    DECISION = "DECISION"


@dataclass(frozen=True)
class ActionSpec:
    """An order an agency takes.

    ``details`` (a pydantic model) is checked when a request is created, so a
    FREEZE without an amount is refused then (``details.amount``), never first
    at dispatch; ``result`` is the answer's shape, checked when staff answer in
    the console and used to label the answer for people. ``reference`` names the
    ``details`` key that points at one record of ``capability`` (a certificate,
    an account): an ``ENCUMBER`` or ``MOVE_MONEY`` of a record matched by name
    only needs an officer's confirmation first. ``term_years``: how long an
    encumbrance lasts before it must be renewed.
    """

    name: str
    label: str
    effect: Effect = Effect.NONE
    due_days: int = 7
    needs_document: bool = False
    details: type[BaseModel] | None = None
    result: type[BaseModel] | None = None
    capability: str | None = None
    reference: str | None = None
    term_years: int | None = None
    # LIFT / RENEW: the action whose measure it acts on; DECISION: the decision it revokes
    lifts: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or not self.name.isupper():
            raise ValueError(f"action name {self.name!r} must be an upper-case identifier")

    def with_models(
        self,
        details: type[BaseModel] | None = None,
        result: type[BaseModel] | None = None,
        **changes: Any,
    ) -> ActionSpec:
        """This spec with a kind's own ``details`` / ``result`` models and other changes."""
        if details is not None:
            changes["details"] = details
        if result is not None:
            changes["result"] = result
        return dataclasses.replace(self, **changes)

    @property
    def guards_name_only(self) -> bool:
        return self.reference is not None and self.effect in (Effect.ENCUMBER, Effect.MOVE_MONEY)


def resolve_actions(
    owner: str,
    declared: object,
    standard: Mapping[str, ActionSpec],
    details: Mapping[str, type[BaseModel]],
    results: Mapping[str, type[BaseModel]],
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, ActionSpec]:
    """A kind's action specs by name, from what it declared.

    ``declared`` holds names of standard actions and ``ActionSpec``s of the
    kind's own; ``details`` / ``results`` / ``overrides`` refine them by name.
    """
    specs: dict[str, ActionSpec] = {}
    for item in declared or ():  # type: ignore[attr-defined]
        if isinstance(item, ActionSpec):
            spec = item
        else:
            name = str(item)
            if name not in standard:
                raise TypeError(
                    f"{owner}: action {name!r} is not a standard action; declare it as an "
                    f"ActionSpec (standard actions: {', '.join(sorted(standard))})"
                )
            spec = standard[name]
        specs[spec.name] = spec
    for name, model in details.items():
        _known(owner, name, specs)
        specs[name] = dataclasses.replace(specs[name], details=model)
    for name, model in results.items():
        _known(owner, name, specs)
        specs[name] = dataclasses.replace(specs[name], result=model)
    for name, changes in (overrides or {}).items():
        _known(owner, name, specs)
        specs[name] = dataclasses.replace(specs[name], **dict(changes))
    return specs


def _known(owner: str, name: str, specs: Mapping[str, ActionSpec]) -> None:
    if name not in specs:
        raise TypeError(f"{owner}: refines action {name!r}, which it does not declare")
