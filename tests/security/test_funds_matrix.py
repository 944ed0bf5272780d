"""Case money and indicators × every role (the supervisor included), as test_matrix does
for the contract's §4: allowed, or refused with nothing written."""

from __future__ import annotations

from datetime import date

import pytest

from tests.security.scene import COURT, Principals, Scene, ok
from tests.security.test_matrix import (
    BAD_INPUT,
    FORBIDDEN,
    OK,
    ROLES,
    Op,
    audit_rows,
    last_audit_id,
    outcome,
    scene_for,
)
from tests.support import LiveHub

pytestmark = pytest.mark.asyncio(loop_scope="module")

TODAY = date.today().isoformat()
RECEIPT = """mutation($n: String!, $d: Date!) { recordReceipt(input: {caseNumber: $n,
  amount: "100.00", receivedOn: $d, source: DEBTOR}) { id } }"""


async def _money_in(sc: Scene) -> None:
    body = await sc.live.gql(RECEIPT, {"n": sc.case, "d": TODAY}, token=sc.who.court_own)
    ok(body)


PERIOD = {"f": f"{date.today().year}-01-01", "t": TODAY}

OPS: dict[str, Op] = {
    "caseFunds": Op(
        "case",
        "query($n: String!) { case(number: $n) { funds { held } } }",
        lambda sc: {"n": sc.case},
    ),
    "recordReceipt": Op(
        "recordReceipt", RECEIPT, lambda sc: {"n": sc.case, "d": TODAY}, mutation=True
    ),
    "disburse": Op(
        "disburse",
        """mutation($n: String!, $d: Date!) { disburse(input: {caseNumber: $n, amount: "40.00",
          paidOn: $d, payeeName: "漳州市某典当有限责任公司", payeeAccount: "6222020402012345678"})
          { id } }""",
        lambda sc: {"n": sc.case, "d": TODAY},
        prepare=_money_in,
        mutation=True,
    ),
    "overdueFunds": Op(
        "overdueFunds",
        "query($c: String!) { overdueFunds(court: $c) { daysOverdue } }",
        lambda sc: {"c": COURT},
    ),
    "fundsReconciliation": Op(
        "fundsReconciliation",
        "query($c: String!) { fundsReconciliation(court: $c) { balanced } }",
        lambda sc: {"c": COURT},
    ),
    "indicators": Op(
        "indicators",
        "query($c: String!, $f: Date!, $t: Date!) { indicators(court: $c, from: $f, to: $t)"
        " { closureRate } }",
        lambda sc: {"c": COURT, **PERIOD},
    ),
    "indicatorsRanking": Op(
        "indicatorsRanking",
        'query($f: Date!, $t: Date!) { indicatorsRanking(prefix: "闽06", from: $f, to: $t)'
        " { rank } }",
        lambda sc: PERIOD,
    ),
}

ALL_ROLES = (*ROLES, "supervisor")
_WRITE = (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)
_FIGURES = (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK)
MATRIX: dict[str, tuple[str, ...]] = {
    "caseFunds": (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK, FORBIDDEN),
    "recordReceipt": _WRITE,
    "disburse": _WRITE,
    "overdueFunds": _FIGURES,
    "fundsReconciliation": _FIGURES,
    "indicators": _FIGURES,
    "indicatorsRanking": (FORBIDDEN,) * 6 + (OK, OK),
}

CELLS = [
    pytest.param(op, role, expected, id=f"{op}-{role}")
    for op, row in MATRIX.items()
    for role, expected in zip(ALL_ROLES, row, strict=True)
]


async def test_the_table_covers_the_operations() -> None:
    assert set(MATRIX) == set(OPS)
    assert BAD_INPUT not in {cell for row in MATRIX.values() for cell in row}


@pytest.mark.parametrize(("op_name", "role", "expected"), CELLS)
async def test_role_operation(
    shared_hub: tuple[LiveHub, Principals], op_name: str, role: str, expected: str
) -> None:
    live, who = shared_hub
    op = OPS[op_name]
    sc = await scene_for(live, who, op, expected)
    token = sc.token(role)
    await live.gql("{ me { id } }", token=token)  # first use of a token is audited; not here
    before = await last_audit_id(live)
    body = await live.gql(op.document, op.variables(sc), token=token)
    assert outcome(op, sc, body) == expected, body
    if expected != OK:
        assert body["data"] is None or body["data"][op.field] is None
        written = [r.action for r in await audit_rows(live, after=before)]
        assert written == [], f"a refused {op_name} wrote {written}"
