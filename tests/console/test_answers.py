"""Reading an agency officer's answer form into the service's (outcome, result)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hub.console.answers import read_answer
from hub.errors import BadUserInput

LATER = (date.today() + timedelta(days=1000)).isoformat()


def test_a_seal_answer_carries_rank_expiry_and_certificate() -> None:
    form = {"outcome": ["sealed"], "rank": ["first"], "expires_on": [LATER]}
    outcome, result = read_answer(
        "SEAL", form, {"certificate": "闽(2017)漳浦县不动产权第0006789号"}
    )
    assert outcome == "sealed"
    assert result == {
        "rank": "FIRST",
        "expires_on": LATER,
        "certificate": "闽(2017)漳浦县不动产权第0006789号",
    }


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"outcome": ["done"], "rank": ["FIRST"], "expires_on": [LATER]}, "outcome"),
        ({"outcome": ["sealed"], "rank": ["SECOND"], "expires_on": [LATER]}, "result.rank"),
        ({"outcome": ["sealed"], "rank": ["FIRST"], "expires_on": ["soon"]}, "result.expires_on"),
        ({"outcome": ["sealed"], "rank": ["FIRST"], "expires_on": ["2020-01-01"]}, "result.expires_on"),
    ],
)  # fmt: skip
def test_a_bad_seal_answer_names_its_field(form: dict[str, list[str]], field: str) -> None:
    with pytest.raises(BadUserInput) as caught:
        read_answer("SEAL", form, {})
    assert caught.value.field == field


def test_a_query_answer_lists_filled_rows_only() -> None:
    form = {
        "outcome": ["found"],
        "holding_certificate": ["A-1", "", "B-2"],
        "holding_address": ["甲地", "", "乙地"],
        "holding_area": ["89.50", "", "120"],
    }
    outcome, result = read_answer("QUERY", form, {})
    assert outcome == "found"
    assert result == {
        "found": True,
        "properties": [
            {"certificate": "A-1", "address": "甲地", "area_m2": "89.50"},
            {"certificate": "B-2", "address": "乙地", "area_m2": "120"},
        ],
    }
    assert read_answer("QUERY", {"outcome": ["not_found"]}, {}) == (
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
        read_answer("QUERY", form, {})
    assert caught.value.field == field


def test_other_actions_take_free_text() -> None:
    form = {"outcome": [" 已协助查找 "], "result_text": ["被执行人现居漳州市区"]}
    assert read_answer("LOCATE_PERSON", form, {}) == (
        "已协助查找",
        {"text": "被执行人现居漳州市区"},
    )
    assert read_answer("TAX_ASSIST", {"outcome": ["已办理"]}, {}) == ("已办理", {})
    with pytest.raises(BadUserInput) as caught:
        read_answer("TAX_ASSIST", {"outcome": [""]}, {})
    assert caught.value.field == "outcome"
