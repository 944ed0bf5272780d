"""The README's tour matches what `hub demo` seeds: its tokens, its waiting order."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from hub.demo import DEMO_ORDERS, DEMO_PRINCIPALS
from mocks._common import load_world
from mocks.runner import render_config

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_two_commands_stay_two() -> None:
    block = README.split("## Two commands", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split()[:2] for line in block.strip().splitlines()] == [
        ["make", "demo"],
        ["make", "test"],
    ]


def test_the_tour_names_the_token_of_each_step() -> None:
    tour = README.split("## A tour", 1)[1].split("## Where things live", 1)[0]
    for role, scope, _name in DEMO_PRINCIPALS:
        if scope != "闽0206":  # the second court is not in the tour
            assert f"`{role.value} {scope}" in tour, (role, scope)
    # where GraphiQL's variables and headers go
    assert "*Headers*" in tour and "*Variables*" in tour
    assert '{"Authorization": "Bearer hub_..."}' in tour
    assert re.search(r'\{"id": "[^"]+"\}', tour)


def test_the_waiting_inbox_order_is_where_the_tour_says() -> None:
    tour = README.split("## A tour", 1)[1]
    agencies = tomllib.loads(render_config(9100, load_world()))["agencies"]
    channels = {a["id"]: a.get("channel", "api") for a in agencies}
    for _court, order in DEMO_ORDERS:
        assert channels[order.agency_id] == "console"
        assert f"agency_officer {order.agency_id}" in tour
        assert order.case_number in tour
