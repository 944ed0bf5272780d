"""``hub adapters new NAME``: a ready-to-fill adapter distribution for a new agency kind.

``create_adapter_package("customs", Path("."))`` writes ``./hub-adapter-customs/``::

    pyproject.toml                   the "hub.adapters" entry point: customs = ...:CustomsAdapter
    README.md                        what to fill in, in order
    hub_adapter_customs/__init__.py  exports CustomsAdapter
    hub_adapter_customs/adapter.py   its own record and capability, actions, methods to fill in
    hub_adapter_customs/mock.py      a mock agency on the hub's shared mock machinery
    tests/test_customs.py            the conformance suite, in one line

The methods raise ``NotImplementedError`` until written, so the conformance
suite starts red and says what is missing.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from adapters.sdk.registry import BUILTIN_KINDS

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

_PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "hub-adapter-__DASHED__"
version = "0.1.0"
description = "Linkage hub adapter for the __NAME__ agency"
requires-python = ">=3.11"
dependencies = ["linkage-hub"]

[project.optional-dependencies]
test = ["pytest>=8", "pytest-asyncio>=0.24"]

# How the hub finds this adapter: `hub adapters list` shows it once installed.
[project.entry-points."hub.adapters"]
__NAME__ = "__PACKAGE__:__CLASS__"

[tool.setuptools.packages.find]
include = ["__PACKAGE__*"]

[tool.pytest.ini_options]
testpaths = ["tests"]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
filterwarnings = ["error"]
"""

_README = """\
# hub-adapter-__DASHED__

A linkage hub adapter for the __NAME__ agency (kind `__NAME__`).

1. `pip install -e ".[test]"` beside the hub; `hub adapters list` now shows `__NAME__`.
2. `pytest`: the conformance suite fails, naming what is missing.
3. In `__PACKAGE__/mock.py`, answer the agency's API the way the agency does,
   from `agency.world`; in `__PACKAGE__/adapter.py`, declare what the agency
   can do and fill in each method. Repeat 2 until green.
4. In `hub.toml`: `[[agencies]]` with `kind = "__NAME__"`, `base_url`, `secret_env`.

The hub's guide: `docs/adapters.md` in the linkage-hub repository.
"""

_INIT = """\
from __PACKAGE__.adapter import __CLASS__

__all__ = ["__CLASS__"]
"""

_ADAPTER = '''\
"""The __NAME__ adapter: the agency's own protocol in, hub-neutral records out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from adapters.sdk.base import Adapter
from adapters.sdk.declare import AssetView, CapabilitySpec
from adapters.sdk.records import (
    Action,
    AssistanceOrder,
    DispatchReceipt,
    MatchKind,
    OrderProgress,
    Subject,
)
from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class __RECORD__:
    """One thing the agency holds of a subject (rename and reshape it: money as Decimal,
    dates as date, instants timezone-aware)."""

    reference: str = field(metadata={"description": "The agency's own number for it."})
    description: str
    value: Decimal | None
    owner_id: str | None  # with matched_by: the hub drops another person's records
    owner_name: str
    matched_by: MatchKind


# What the hub shows of it: the Dossier field, the GraphQL type, a section in the console.
__CAPABILITY__ = CapabilitySpec(
    name="__NAME___records",
    record=__RECORD__,
    field="__FIELD__",
    title="__NAME__",  # for people, in zh-CN
    asset=AssetView(label=lambda r: r.description, reference="reference", value=lambda r: r.value),
    columns=(("reference", "编号"), ("description", "名称"), ("value", "价值（元）")),
)


class RecordDetails(BaseModel):
    """What an order about one record names; checked when the court makes the request."""

    model_config = ConfigDict(extra="allow")

    reference: str = Field(min_length=1, max_length=64, title="编号")


class __CLASS__(Adapter):
    """The __NAME__ agency (one line on what it holds: `hub adapters list` shows it)."""

    kind = "__NAME__"
    capabilities = frozenset({__CAPABILITY__})
    actions = frozenset({Action.QUERY, Action.FREEZE})
    action_details: dict[str, type[BaseModel]] = {Action.FREEZE: RecordDetails}
    action_overrides: dict[str, dict[str, Any]] = {
        Action.FREEZE: {"capability": "__NAME___records", "reference": "reference"}
    }
    batch_size = 50  # most subjects the agency takes in one call
    default_auth = "bearer"  # or "basic", "hmac:<Prefix>", "api_key_header", "none"

    async def __NAME___records(self, subjects: Sequence[Subject]) -> dict[str, list[__RECORD__]]:
        """One entry per subject, keyed by id_number; [] when the agency knows nothing.

        A search sent as POST is safe to repeat: pass idempotent=True so it is retried.
        Records carrying another ID number are not the subject's (records.match_kind).
        """
        raise NotImplementedError("__CLASS__.__NAME___records")

    async def dispatch(self, order: AssistanceOrder) -> DispatchReceipt:
        """Send the order with idempotency_key=order.idempotency_key; return the agency's ref."""
        raise NotImplementedError("__CLASS__.dispatch")

    async def lookup(self, idempotency_key: str) -> DispatchReceipt | None:
        """The receipt of an order sent earlier with this key; None when the agency has none."""
        raise NotImplementedError("__CLASS__.lookup")

    async def poll(self, agency_ref: str) -> OrderProgress:
        """RECEIVED, ACKNOWLEDGED, COMPLETED or REJECTED, with outcome and result when done."""
        raise NotImplementedError("__CLASS__.poll")

    async def urge(self, agency_ref: str, note: str | None) -> None:
        raise NotImplementedError("__CLASS__.urge")
'''

_MOCK = '''\
"""A mock __NAME__ agency for tests: its own routes on the hub's shared mock machinery.

``build_app`` adds the admin surface (faults, stats, reset), fault injection
and the order lifecycle; write the routes in the agency's own style.
"""

from __future__ import annotations

from typing import Any

from mocks._common import MockAgency, bearer_ok, build_app, json_error
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

WORLD: dict[str, Any] = {
    "persons": [
        {"id_number": "350602198003150015", "name": "陈某某", "residence": "漳州市芗城区"},
    ],
}


def create_app(world: dict[str, Any] | None = None, *, secret: str | None = None) -> Starlette:
    agency = MockAgency("__NAME__", world if world is not None else WORLD, secret=secret)

    async def search(request: Request) -> Response:
        if not bearer_ok(request, agency.secret):
            return json_error(401, "bad token")
        # Answer from agency.world, in the agency's own shape.
        return JSONResponse({"results": []})

    # Orders: agency.submit_order(key, fields), agency.get_order(ref),
    # agency.order_by_key(key), agency.urge_order(ref); Idempotency-Key required.
    routes = [Route("/search", search, methods=["POST"])]
    return build_app(agency, routes)


app = create_app()
'''

_TEST = """\
from adapters.sdk.records import Subject
from adapters.sdk.testing import adapter_test_class

from __PACKAGE__ import __CLASS__
from __PACKAGE__.mock import create_app

Test__CLASS__ = adapter_test_class(
    __CLASS__, mock=create_app, known=Subject("350602198003150015", "陈某某")
)
"""


def class_name(name: str) -> str:
    """``"customs_hk"`` → ``"CustomsHkAdapter"``."""
    return "".join(part.capitalize() for part in name.split("_") if part) + "Adapter"


def create_adapter_package(name: str, dest: Path) -> list[Path]:
    """Write ``dest/hub-adapter-<name>/`` for a new adapter kind; return the files written.

    ``name`` is the kind: lower-case letters, digits and underscores, not a
    built-in kind. An existing directory is never overwritten.
    """
    if not _NAME.match(name) or keyword.iskeyword(name) or name.endswith("_") or "__" in name:
        raise ValueError(
            f"adapter kind {name!r}: use lower-case letters, digits and underscores, "
            "starting with a letter"
        )
    if name in BUILTIN_KINDS:
        raise ValueError(f"adapter kind {name!r} is built into the hub")
    dashed = name.replace("_", "-")
    package = f"hub_adapter_{name}"
    root = Path(dest) / f"hub-adapter-{dashed}"
    if root.exists():
        raise FileExistsError(f"{root} exists; not overwriting it")
    camel = "".join(part.capitalize() for part in name.split("_") if part)
    values = {
        "__PACKAGE__": package,
        "__CLASS__": class_name(name),
        "__RECORD__": f"{camel}Record",
        "__CAPABILITY__": f"{name.upper()}_RECORDS",
        "__FIELD__": camel[:1].lower() + camel[1:] + "Records",
        "__DASHED__": dashed,
        "__NAME__": name,
    }
    files = {
        "pyproject.toml": _PYPROJECT,
        "README.md": _README,
        f"{package}/__init__.py": _INIT,
        f"{package}/adapter.py": _ADAPTER,
        f"{package}/mock.py": _MOCK,
        f"tests/test_{name}.py": _TEST,
    }
    written: list[Path] = []
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = template
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
