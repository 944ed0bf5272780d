"""Reading an agency officer's answer form into the service's (outcome, result)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from adapters.realestate import RealEstateAdapter
from adapters.sdk.standard import STANDARD_ACTIONS
from hub.errors import BadUserInput
from hub.web.console.answers import read_answer, result_fields

SEAL = RealEstateAdapter.action_specs["SEAL"]
QUERY = RealEstateAdapter.action_specs["QUERY"]

LATER = (date.today() + timedelta(days=1000)).isoformat()


def test_a_seal_answer_carries_rank_expiry_and_certificate() -> None:
    form = {"outcome": ["sealed"], "rank": ["first"], "expires_on": [LATER]}
    outcome, result = read_answer(SEAL, form, {"certificate": "闽(2017)漳浦县不动产权第0006789号"})
    assert outcome == "sealed"
    assert result == {
        "rank": "FIRST",
        "expires_on": LATER,
        "certificate": "闽(2017)漳浦县不动产权第0006789号",
    }


def test_a_waiting_seal_has_no_term_until_promoted() -> None:
    form = {"outcome": ["已轮候查封"], "rank": ["WAITING"], "expires_on": [LATER]}
    _, result = read_answer(SEAL, form, {"certificate": "C-1"})
    assert result == {"rank": "WAITING", "certificate": "C-1"}


def test_the_form_is_drawn_from_the_result_model() -> None:
    fields = {f.name: f for f in result_fields(SEAL)}
    assert fields["rank"].kind == "choice"
    assert [v for v, _ in fields["rank"].choices] == ["FIRST", "WAITING"]
    assert fields["expires_on"].kind == "date" and fields["expires_on"].title == "查封到期日"
    assert result_fields(STANDARD_ACTIONS["TAX_ASSIST"]) == []


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"outcome": [""], "rank": ["FIRST"], "expires_on": [LATER]}, "outcome"),
        ({"outcome": ["sealed"], "rank": ["SECOND"], "expires_on": [LATER]}, "result.rank"),
        ({"outcome": ["sealed"], "rank": ["FIRST"], "expires_on": ["soon"]}, "result.expires_on"),
        ({"outcome": ["sealed"], "rank": ["FIRST"], "expires_on": ["2020-01-01"]}, "result.expires_on"),
    ],
)  # fmt: skip
def test_a_bad_seal_answer_names_its_field(form: dict[str, list[str]], field: str) -> None:
    with pytest.raises(BadUserInput) as caught:
        read_answer(SEAL, form, {})
    assert caught.value.field == field


def test_a_query_answer_lists_filled_rows_only() -> None:
    form = {
        "outcome": ["found"],
        "holding_certificate": ["A-1", "", "B-2"],
        "holding_address": ["甲地", "", "乙地"],
        "holding_area": ["89.50", "", "120"],
    }
    outcome, result = read_answer(QUERY, form, {})
    assert outcome == "found"
    assert result == {
        "found": True,
        "properties": [
            {"certificate": "A-1", "address": "甲地", "area_m2": "89.50"},
            {"certificate": "B-2", "address": "乙地", "area_m2": "120"},
        ],
    }
    assert read_answer(QUERY, {"outcome": ["not_found"]}, {}) == (
        "not_found",
        {"found": False, "properties": []},
    )


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"outcome": ["found"]}, "result.properties"),
        ({"outcome": ["maybe"]}, "outcome"),
        ({"outcome": ["not_found"], "holding_certificate": ["A-1"], "holding_address": ["甲地"],
          "holding_area": ["1"]}, "outcome"),
        ({"outcome": ["found"], "holding_certificate": ["A-1"], "holding_address": ["甲地"],
          "holding_area": ["-3"]}, "result.properties.0.area_m2"),
        ({"outcome": ["found"], "holding_certificate": ["A-1"], "holding_address": [""],
          "holding_area": ["3"]}, "result.properties.0.address"),
    ],
)  # fmt: skip
def test_a_bad_query_answer_names_its_field(form: dict[str, list[str]], field: str) -> None:
    with pytest.raises(BadUserInput) as caught:
        read_answer(QUERY, form, {})
    assert caught.value.field == field


def test_other_actions_take_free_text() -> None:
    form = {"outcome": [" 已协助查找 "], "result_text": ["被执行人现居漳州市区"]}
    assert read_answer(STANDARD_ACTIONS["LOCATE_PERSON"], form, {}) == (
        "已协助查找",
        {"text": "被执行人现居漳州市区"},
    )
    assert read_answer(STANDARD_ACTIONS["TAX_ASSIST"], {"outcome": ["已办理"]}, {}) == (
        "已办理",
        {},
    )
    with pytest.raises(BadUserInput) as caught:
        read_answer(STANDARD_ACTIONS["TAX_ASSIST"], {"outcome": [""]}, {})
    assert caught.value.field == "outcome"
