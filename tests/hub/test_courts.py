from __future__ import annotations

from collections import Counter

import pytest

from hub.courts import (
    COURTS_BY_CODE,
    FUJIAN_COURTS,
    KNOWN_COURT_CODES,
    RETIRED_DIVISIONS,
    court_for_division,
    province_abbreviation,
)
from hub.validation import parse_case_number


def test_counts_by_level() -> None:
    levels = Counter(court.level for court in FUJIAN_COURTS)
    assert levels["high"] == 1
    assert levels["intermediate"] == 9
    assert levels["basic"] >= 80
    assert COURTS_BY_CODE["闽72"].level == "special"


def test_codes_names_and_divisions_unique() -> None:
    assert len(COURTS_BY_CODE) == len(FUJIAN_COURTS)
    assert len({court.name for court in FUJIAN_COURTS}) == len(FUJIAN_COURTS)
    divisions = [court.division for court in FUJIAN_COURTS if court.division]
    assert len(set(divisions)) == len(divisions)


def test_basic_courts_match_their_division_and_parent() -> None:
    for court in FUJIAN_COURTS:
        if court.level != "basic":
            continue
        assert court.division is not None and court.division.startswith("35")
        assert court.code == "闽" + court.division[2:]
        parent = COURTS_BY_CODE[court.parent or ""]
        assert parent.level == "intermediate"
        assert parent.division == court.division[:4] + "00"
        assert court.name.endswith("人民法院")


def test_intermediate_courts() -> None:
    for number in range(1, 10):
        court = COURTS_BY_CODE[f"闽0{number}"]
        assert court.level == "intermediate"
        assert court.division == f"350{number}00"
        assert court.parent == "闽"
        assert court.name.endswith("中级人民法院")
    assert COURTS_BY_CODE["闽01"].name == "福州市中级人民法院"
    assert COURTS_BY_CODE["闽09"].name == "宁德市中级人民法院"
    assert COURTS_BY_CODE["闽"].name == "福建省高级人民法院"


def test_every_court_code_parses_in_a_case_number() -> None:
    for court in FUJIAN_COURTS:
        raw = f"(2023){court.code}执1号"
        assert parse_case_number(raw, known_courts=COURTS_BY_CODE).court == court.code


@pytest.mark.parametrize(
    ("code", "name", "division"),
    [
        ("闽0602", "漳州市芗城区人民法院", "350602"),
        ("闽0582", "晋江市人民法院", "350582"),
        ("闽0206", "厦门市湖里区人民法院", "350206"),
        ("闽0623", "漳浦县人民法院", "350623"),
        ("闽0102", "福州市鼓楼区人民法院", "350102"),
        ("闽0302", "莆田市城厢区人民法院", "350302"),
        ("闽0603", "漳州市龙文区人民法院", "350603"),
        ("闽0604", "漳州市龙海区人民法院", "350604"),
        ("闽0605", "漳州市长泰区人民法院", "350605"),
    ],
)
def test_spot_checks(code: str, name: str, division: str) -> None:
    court = COURTS_BY_CODE[code]
    assert (court.name, court.level, court.division) == (name, "basic", division)


def test_retired_divisions_are_not_current_courts() -> None:
    for old, new in RETIRED_DIVISIONS.items():
        assert "闽" + old[2:] not in COURTS_BY_CODE
        assert "闽" + old[2:] in KNOWN_COURT_CODES
        assert court_for_division(old) == COURTS_BY_CODE["闽" + new[2:]]
    assert "闽0527" not in COURTS_BY_CODE  # 金门县: no court under this bureau


def test_court_for_division() -> None:
    assert court_for_division("350602") == COURTS_BY_CODE["闽0602"]
    assert court_for_division("350600") == COURTS_BY_CODE["闽06"]
    assert court_for_division("3506") == COURTS_BY_CODE["闽06"]
    assert court_for_division("35") == COURTS_BY_CODE["闽"]
    assert court_for_division("350699") is None
    assert court_for_division("440300") is None


def test_province_abbreviation() -> None:
    assert province_abbreviation("350602") == "闽"
    assert province_abbreviation("110105") == "京"
    assert province_abbreviation("990000") is None
