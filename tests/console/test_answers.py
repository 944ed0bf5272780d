"""Reading an agency officer's answer form into the service's (outcome, result)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from adapters.bank import BankAdapter
from adapters.police import PoliceAdapter
from adapters.realestate import RealEstateAdapter
from adapters.sdk.standard import STANDARD_ACTIONS
from hub.errors import BadUserInput
from hub.web.console.answers import query_tables, read_answer, result_fields

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


def test_a_kind_names_its_own_choices() -> None:
    """A registry's first rank is 首封, a bank's 首冻: each kind's words, not a mix."""
    seal = {f.name: f for f in result_fields(SEAL)}["rank"]
    freeze = {f.name: f for f in result_fields(BankAdapter.action_specs["FREEZE"])}["rank"]
    assert dict(seal.choices) == {"FIRST": "首封", "WAITING": "轮候"}
    assert dict(freeze.choices) == {"FIRST": "首冻", "WAITING": "轮候"}


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


TABLES = query_tables(RealEstateAdapter.capabilities)


def holdings(**columns: list[str]) -> dict[str, list[str]]:
    return {f"real_estate.{name}": values for name, values in columns.items()}


def test_a_query_form_has_the_kind_own_columns() -> None:
    [table] = TABLES
    assert table.capability == "real_estate" and table.rows == 3
    assert [(c.name, c.title, c.kind) for c in table.columns] == [
        ("certificate_number", "不动产权证号", "text"),
        ("address", "坐落", "text"),
        ("area_m2", "面积（㎡）", "decimal"),
        ("usage", "用途", "text"),
    ]
    police = {t.capability: t for t in query_tables(PoliceAdapter.capabilities)}
    assert list(police) == ["vehicles", "whereabouts"]  # assets first
    assert [c.name for c in police["vehicles"].columns] == ["plate", "model"]
    assert police["whereabouts"].rows == 1  # one record, not a list
    assert not any(c.required for c in police["whereabouts"].columns)  # both may be unknown


def test_a_query_answer_lists_filled_rows_only() -> None:
    form = {
        "outcome": ["found"],
        **holdings(
            certificate_number=["A-1", "", "B-2"],
            address=["甲地", "", "乙地"],
            area_m2=["89.50", "", "120"],
            usage=["住宅", "", "商业"],
        ),
    }
    outcome, result = read_answer(QUERY, form, {}, TABLES)
    assert outcome == "found"
    assert result == {
        "found": True,
        "real_estate": [
            {"certificate_number": "A-1", "address": "甲地", "area_m2": "89.50", "usage": "住宅"},
            {"certificate_number": "B-2", "address": "乙地", "area_m2": "120", "usage": "商业"},
        ],
    }
    assert read_answer(QUERY, {"outcome": ["not_found"]}, {}, TABLES) == (
        "not_found",
        {"found": False, "real_estate": []},
    )


ROW = {"certificate_number": ["A-1"], "address": ["甲地"], "area_m2": ["1"], "usage": ["住宅"]}


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"outcome": ["found"]}, "result.real_estate"),
        ({"outcome": ["maybe"]}, "outcome"),
        ({"outcome": ["not_found"], **holdings(**ROW)}, "outcome"),
        ({"outcome": ["found"], **holdings(**{**ROW, "area_m2": ["-3"]})},
         "result.real_estate.0.area_m2"),
        ({"outcome": ["found"], **holdings(**{**ROW, "area_m2": ["很大"]})},
         "result.real_estate.0.area_m2"),
        ({"outcome": ["found"], **holdings(**{**ROW, "address": [""]})},
         "result.real_estate.0.address"),
    ],
)  # fmt: skip
def test_a_bad_query_answer_names_its_field(form: dict[str, list[str]], field: str) -> None:
    with pytest.raises(BadUserInput) as caught:
        read_answer(QUERY, form, {}, TABLES)
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


def test_a_query_of_a_kind_without_columns_takes_free_text() -> None:
    form = {"outcome": ["已查询"], "result_text": ["未发现登记信息"]}
    assert read_answer(QUERY, form, {}, query_tables([])) == (
        "已查询",
        {"text": "未发现登记信息"},
    )
