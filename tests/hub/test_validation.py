from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from hub.courts import COURTS_BY_CODE, KNOWN_COURT_CODES
from hub.errors import BadUserInput
from hub.validation import (
    ENFORCEMENT_CASE_KINDS,
    CaseNumber,
    birth_date,
    mask_id_number,
    normalize_case_number,
    parse_case_number,
    parse_money,
    require_text,
    validate_credit_code,
    validate_party_id,
    validate_resident_id,
)

PERSON = "350602198003150015"
ORGANIZATIONS = ("91350600MA2Y00001B", "91350206MA2Y00003K", "91350200MA2Y00002R")
THIS_YEAR = datetime.now(timezone(timedelta(hours=8))).year


def with_id_check(first17: str) -> str:
    """Complete 17 digits with their MOD 11-2 check, so only the part under test is wrong."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return (
        first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]
    )


def rejected(
    expected_field: str, call: Callable[..., object], /, *args: object, **kwargs: object
) -> BadUserInput:
    """Call and require a BadUserInput naming ``expected_field``."""
    with pytest.raises(BadUserInput) as caught:
        call(*args, **kwargs)
    assert caught.value.field == expected_field
    return caught.value


# ---------------------------------------------------------------- case numbers


@pytest.mark.parametrize(
    "raw",
    [
        "（2023）闽0602执1234号",
        "(2023)闽0602执1234号",
        "（2023)闽0602执1234号",
        "(2023）闽0602执1234号",
        "  (2023)闽0602执1234号\t",
    ],
)
def test_case_number_parentheses_normalize_to_full_width(raw: str) -> None:
    parsed = parse_case_number(raw)
    assert parsed == CaseNumber(2023, "闽0602", "闽", "执", 1234)
    assert parsed.text == str(parsed) == "（2023）闽0602执1234号"
    assert normalize_case_number(raw) == "（2023）闽0602执1234号"


@pytest.mark.parametrize(
    ("raw", "court", "kind"),
    [
        ("(2022)闽执恢7号", "闽", "执恢"),
        ("(2022)闽06执复15号", "闽06", "执复"),
        ("(2022)闽72执保3号", "闽72", "执保"),
        ("(2021)兵0101执异2号", "兵0101", "执异"),
        ("(1990)京0105执请1号", "京0105", "执请"),
    ],
)
def test_case_number_court_levels_and_kinds(raw: str, court: str, kind: str) -> None:
    parsed = parse_case_number(raw)
    assert (parsed.court, parsed.province, parsed.kind) == (court, court[0], kind)


def test_every_documented_kind_parses() -> None:
    for kind in ENFORCEMENT_CASE_KINDS:
        assert parse_case_number(f"(2023)闽0602{kind}1号").kind == kind
    assert len(ENFORCEMENT_CASE_KINDS) == 10


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "(2023)闽0602执1234",  # no 号
        "(2023)闽0602执1234号abc",  # trailing garbage
        "x(2023)闽0602执1234号",
        "(2023) 闽0602执1234号",  # inner whitespace
        "(23)闽0602执1234号",
        "[2023]闽0602执1234号",
        "(2023)闽0602执号",
        "(２０２３)闽0602执1234号",  # full-width digits
    ],
)
def test_case_number_malformed(raw: str) -> None:
    rejected("number", parse_case_number, raw)


def test_case_number_error_does_not_echo_what_may_be_an_id_number() -> None:
    assert PERSON not in rejected("number", parse_case_number, PERSON).message


def test_case_number_unknown_type() -> None:
    error = rejected("caseNumber", parse_case_number, "(2023)闽0602民初1号", field="caseNumber")
    assert "民初" in error.message
    rejected("number", parse_case_number, "(2023)闽0602执X1号")


def test_case_number_bad_court_shapes() -> None:
    assert "港" in rejected("number", parse_case_number, "(2023)港0602执1号").message
    assert "闽060" in rejected("number", parse_case_number, "(2023)闽060执1号").message
    rejected("number", parse_case_number, "(2023)闽060201执1号")


def test_case_number_unknown_court_when_known_courts_given() -> None:
    raw = "(2023)闽0699执1号"
    assert parse_case_number(raw).court == "闽0699"  # shape alone is fine
    error = rejected("number", parse_case_number, raw, known_courts=COURTS_BY_CODE)
    assert "闽0699" in error.message
    assert parse_case_number("(2023)闽0602执1号", known_courts=COURTS_BY_CODE).court == "闽0602"
    # A pre-2021 court code stays acceptable on old case numbers.
    assert parse_case_number("(2019)闽0681执9号", known_courts=KNOWN_COURT_CODES).court == "闽0681"


@pytest.mark.parametrize("sequence", ["0", "01", "0012"])
def test_case_number_sequence_without_leading_zero(sequence: str) -> None:
    rejected("number", parse_case_number, f"(2023)闽0602执{sequence}号")


def test_case_number_year_range() -> None:
    assert parse_case_number(f"({THIS_YEAR + 1})闽0602执1号").year == THIS_YEAR + 1
    assert parse_case_number("(1990)闽0602执1号").year == 1990
    for year in (1989, THIS_YEAR + 2):
        assert str(year) in rejected("number", parse_case_number, f"({year})闽0602执1号").message


# ------------------------------------------------------------------ ID numbers


def test_resident_id_valid() -> None:
    assert validate_resident_id(PERSON) == PERSON
    assert validate_resident_id(f" {PERSON} ") == PERSON
    assert birth_date(PERSON) == date(1980, 3, 15)


def test_resident_id_lower_case_x_returned_upper_case() -> None:
    number = with_id_check("11010519491231002")
    assert number.endswith("X")
    assert validate_resident_id(number.lower()) == number


def test_resident_id_wrong_check_character() -> None:
    error = rejected("idNumber", validate_resident_id, PERSON[:17] + "6")
    assert "check" in error.message
    assert PERSON[:17] not in error.message  # the number is never echoed


@pytest.mark.parametrize("born", ["19800230", "20990101", "18991231", "19801301", "19800001"])
def test_resident_id_impossible_birth_date(born: str) -> None:
    error = rejected("subjectIdNumber", validate_resident_id, with_id_check(f"350602{born}001"),
                     field="subjectIdNumber")  # fmt: skip
    assert "birth date" in error.message


def test_resident_id_born_today_is_fine_but_not_tomorrow() -> None:
    today = datetime.now(timezone(timedelta(hours=8))).date()
    assert birth_date(with_id_check(f"350602{today:%Y%m%d}001")) == today
    tomorrow = today + timedelta(days=1)
    rejected("idNumber", validate_resident_id, with_id_check(f"350602{tomorrow:%Y%m%d}001"))


@pytest.mark.parametrize("region", ["000602", "160602", "990602", "720000"])
def test_resident_id_bad_region(region: str) -> None:
    error = rejected("idNumber", validate_resident_id, with_id_check(f"{region}19800315001"))
    assert "region" in error.message


def test_resident_id_special_regions_accepted() -> None:
    for region in ("710000", "810000", "820000", "650102"):
        number = with_id_check(f"{region}19800315001")
        assert validate_resident_id(number) == number


@pytest.mark.parametrize(
    "value",
    [PERSON[:17], PERSON + "1", "", "35060219800315001A", "3506021980O3150015", "X" * 18,
     "３５０６０２１９８００３１５００１５"],
)  # fmt: skip
def test_resident_id_shape(value: str) -> None:
    rejected("idNumber", validate_resident_id, value)


def test_birth_date_validates_first() -> None:
    rejected("idNumber", birth_date, PERSON[:17] + "6")


@pytest.mark.parametrize("code", ORGANIZATIONS)
def test_credit_code_valid(code: str) -> None:
    assert validate_credit_code(code) == code
    assert validate_credit_code(code.lower()) == code


def test_credit_code_wrong_check() -> None:
    error = rejected("idNumber", validate_credit_code, "91350600MA2Y00001C")
    assert "check" in error.message
    assert "MA2Y" not in error.message


@pytest.mark.parametrize("letter", "IOZSV")
def test_credit_code_forbidden_letters(letter: str) -> None:
    rejected("idNumber", validate_credit_code, f"91350600MA2Y0000{letter}B")


@pytest.mark.parametrize(
    ("code", "part"),
    [
        ("B1350600MA2Y00001B", "authority"),  # B is no registration authority
        ("91990600MA2Y00001B", "region"),
        ("913506A0MA2Y00001B", "region"),
    ],
)
def test_credit_code_parts(code: str, part: str) -> None:
    assert part in rejected("idNumber", validate_credit_code, code).message


@pytest.mark.parametrize("code", ["91350600MA2Y0001B", "91350600MA2Y00001BB", ""])
def test_credit_code_length(code: str) -> None:
    rejected("idNumber", validate_credit_code, code)


def test_party_id_dispatches_on_kind() -> None:
    assert validate_party_id("PERSON", PERSON.lower()) == PERSON
    assert validate_party_id("ORGANIZATION", ORGANIZATIONS[0].lower()) == ORGANIZATIONS[0]
    rejected("parties.0.idNumber", validate_party_id, "PERSON", ORGANIZATIONS[0],
             field="parties.0.idNumber")  # fmt: skip
    rejected("idNumber", validate_party_id, "ORGANIZATION", PERSON)
    rejected("kind", validate_party_id, "ROBOT", PERSON)


def test_mask_id_number() -> None:
    assert mask_id_number(PERSON) == "350602********0015"
    assert mask_id_number(ORGANIZATIONS[0]) == "913506********001B"
    assert mask_id_number("12345678901") == "123456*8901"
    assert mask_id_number("1234567890") == "**********"
    assert mask_id_number("") == ""


# ----------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("150000.00", "150000.00"),
        ("150000", "150000.00"),
        ("0.5", "0.50"),
        (" 12.30 ", "12.30"),
        ("1.500", "1.50"),
        ("0", "0.00"),
        ("999999999999999.99", "999999999999999.99"),
        (Decimal("12.3"), "12.30"),
        (Decimal("-0"), "0.00"),
        (42, "42.00"),
    ],
)
def test_money_valid(value: str | Decimal | int, expected: str) -> None:
    amount = parse_money(value)
    assert isinstance(amount, Decimal)
    assert str(amount) == expected


@pytest.mark.parametrize(
    "value",
    ["1.005", "-1", "+1", "1e3", "", " ", "NaN", "Infinity", "1,000.00", "1.", ".5",
     "1 000", "1000000000000000", "１２", Decimal("1.005"), Decimal("-1"), Decimal("NaN"),
     Decimal("Infinity"), Decimal("1E+15"), -1, True, 1.5],
)  # fmt: skip
def test_money_rejected(value: object) -> None:
    rejected("amountClaimed", parse_money, value, field="amountClaimed")


def test_money_default_field() -> None:
    rejected("amount", parse_money, "1.005")


# ------------------------------------------------------------------------ text


def test_require_text_trims() -> None:
    assert require_text("  典当纠纷 ", field="cause") == "典当纠纷"


@pytest.mark.parametrize(
    "value", ["", "   ", "陈\x00某", "line\nbreak", "tab\there", "a\u2028b", "a\u202eb"]
)
def test_require_text_rejected(value: str) -> None:
    rejected("name", require_text, value, field="name")


def test_require_text_max_length() -> None:
    assert require_text("字" * 5, field="note", max_length=5) == "字" * 5
    assert "5" in rejected("note", require_text, "字" * 6, field="note", max_length=5).message
