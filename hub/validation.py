"""Domain validation: case numbers, ID numbers, money and free text.

Pure functions, no I/O. Each takes the raw value a caller received plus the
name of the input ``field`` it came from, and either returns the normalized
value or raises :class:`hub.errors.BadUserInput` naming that field. Messages
are in English and never echo an ID number (it is personal data); they may
echo a case number or court code, which are public.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum

from hub import clock
from hub.errors import BadUserInput

# China has kept UTC+8 without daylight saving since 1991, so a fixed offset
# gives the court's "today" without depending on the tz database.

# Provincial-level division code → court abbreviation (the 31 of the mainland).
PROVINCES: dict[str, str] = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙",
    "21": "辽", "22": "吉", "23": "黑",
    "31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁",
    "41": "豫", "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼",
    "50": "渝", "51": "川", "52": "贵", "53": "云", "54": "藏",
    "61": "陕", "62": "甘", "63": "青", "64": "宁", "65": "新",
}  # fmt: skip

# Courts of the Xinjiang Production and Construction Corps number their cases "兵…".
COURT_ABBREVIATIONS: frozenset[str] = frozenset(PROVINCES.values()) | {"兵"}

# Resident IDs are also issued with Taiwan (71), Hong Kong (81) and Macao (82) prefixes.
ID_REGION_PREFIXES: frozenset[str] = frozenset(PROVINCES) | {"71", "81", "82"}

ENFORCEMENT_CASE_KINDS: dict[str, str] = {
    "执": "首次执行 — first enforcement",
    "执恢": "恢复执行 — resumed enforcement",
    "执保": "财产保全执行 — enforcement of a preservation order",
    "执异": "执行异议 — objection to enforcement",
    "执复": "执行复议 — review of an enforcement ruling",
    "执监": "执行监督 — supervision of enforcement",
    "执协": "执行协调 — coordination between courts",
    "执他": "其他执行 — other enforcement matters",
    "执配": "执行分配 — distribution of proceeds among creditors",
    "执请": "执行请示 — request for instructions to a higher court",
}
"""The enforcement case-type codes (案件类型代字) a case number may carry."""


def _today() -> date:
    return clock.today()


# ---------------------------------------------------------------- case numbers

# Loose on purpose: split the parts first, then say which one is wrong.
_CASE_NUMBER = re.compile(
    r"[(（](?P<year>[0-9]{4})[)）]"
    r"(?P<province>[^0-9])(?P<digits>[0-9]*)"
    r"(?P<kind>[^0-9]+)(?P<sequence>[0-9]+)号"
)
_CASE_NUMBER_SHAPE = "（2023）闽0602执1234号"


@dataclass(frozen=True)
class CaseNumber:
    """A parsed enforcement case number (案号), e.g. （2023）闽0602执1234号."""

    year: int
    court: str  # "闽0602": province abbreviation plus 0, 2 or 4 digits
    province: str  # "闽"
    kind: str  # one of ENFORCEMENT_CASE_KINDS, e.g. "执"
    sequence: int

    @property
    def text(self) -> str:
        """The canonical form, always with full-width parentheses."""
        return f"（{self.year}）{self.court}{self.kind}{self.sequence}号"

    def __str__(self) -> str:
        return self.text


def parse_case_number(
    raw: str, *, field: str = "number", known_courts: Container[str] | None = None
) -> CaseNumber:
    """Parse an enforcement case number such as ``(2023)闽0602执1234号``.

    Half- and full-width parentheses are accepted, mixed too; surrounding
    whitespace is trimmed, inner whitespace is rejected. The year must lie in
    1990..next year; the court is a court abbreviation (``COURT_ABBREVIATIONS``)
    plus nothing (high court), 2 digits (intermediate or special court) or 4
    digits (basic court); the type one of ``ENFORCEMENT_CASE_KINDS``; the
    sequence a positive integer without leading zero, followed by 号. When
    ``known_courts`` is given, the court code must be in it.
    """
    text = raw.strip()
    if not text:
        raise BadUserInput(field, "a case number is required")
    if any(ch.isspace() for ch in text):
        raise BadUserInput(field, "a case number must not contain spaces")
    match = _CASE_NUMBER.fullmatch(text)
    if match is None:
        # Not echoed: a mistyped field may hold an ID number instead.
        raise BadUserInput(field, f"a case number has the form {_CASE_NUMBER_SHAPE}")
    year = int(match["year"])
    latest = _today().year + 1
    if not 1990 <= year <= latest:
        raise BadUserInput(field, f"case year {year} is outside 1990..{latest}")
    province, digits = match["province"], match["digits"]
    if province not in COURT_ABBREVIATIONS:
        raise BadUserInput(field, f"'{province}' is not a provincial court abbreviation")
    if len(digits) not in (0, 2, 4):
        raise BadUserInput(
            field, f"court code '{province}{digits}' must have 0, 2 or 4 digits after '{province}'"
        )
    court = province + digits
    if known_courts is not None and court not in known_courts:
        raise BadUserInput(field, f"unknown court code '{court}'")
    kind = match["kind"]
    if kind not in ENFORCEMENT_CASE_KINDS:
        allowed = ", ".join(ENFORCEMENT_CASE_KINDS)
        raise BadUserInput(
            field, f"'{kind}' is not an enforcement case type; expected one of {allowed}"
        )
    sequence = match["sequence"]
    if sequence.startswith("0"):
        raise BadUserInput(field, "a case sequence number must be positive, without leading zero")
    return CaseNumber(year, court, province, kind, int(sequence))


def normalize_case_number(
    raw: str, *, field: str = "number", known_courts: Container[str] | None = None
) -> str:
    """:func:`parse_case_number`, returned as the canonical text."""
    return parse_case_number(raw, field=field, known_courts=known_courts).text


# ------------------------------------------------------------------ ID numbers

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I O Z S V
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Registration authorities of GB 32100-2015 (1 编制, 5 民政, 9 工商, Y other, and
# the later ones: 2 外交 … 8 工会, A 军队, N 农业).
_CREDIT_AUTHORITIES = frozenset("123456789ANY")
_CREDIT_REGION_PREFIXES = frozenset(PROVINCES) | {"10"}  # 10: national bodies
_ASCII_DIGITS = frozenset("0123456789")


def _is_digits(text: str) -> bool:
    # str.isdigit() also accepts full-width and other scripts' digits.
    return bool(text) and all(ch in _ASCII_DIGITS for ch in text)


def validate_resident_id(value: str, *, field: str = "idNumber") -> str:
    """Check an 18-character resident ID number (GB 11643) and return it normalized.

    Seventeen ASCII digits then a digit or X (``x`` is accepted and returned
    upper-case); the first two digits a provincial code (or 71/81/82); digits
    7–14 a real birth date, not in the future and not before 1900; the last
    character the ISO 7064 MOD 11-2 check of the first seventeen.
    """
    text = value.strip().upper()
    if len(text) != 18:
        raise BadUserInput(field, "a resident ID number has 18 characters")
    if not _is_digits(text[:17]) or not (_is_digits(text[17]) or text[17] == "X"):
        raise BadUserInput(field, "a resident ID number is 17 digits followed by a digit or X")
    if text[:2] not in ID_REGION_PREFIXES:
        raise BadUserInput(field, "the resident ID number's region code is not a real province")
    _birth_date(text, field)
    expected = _ID_CHECK[sum(int(d) * w for d, w in zip(text, _ID_WEIGHTS, strict=False)) % 11]
    if text[17] != expected:
        raise BadUserInput(field, "the resident ID number's check character does not match")
    return text


def _birth_date(text: str, field: str) -> date:
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise BadUserInput(field, "the resident ID number's birth date is not a date") from None
    if born.year < 1900 or born > _today():
        raise BadUserInput(field, "the resident ID number's birth date is out of range")
    return born


def birth_date(id_number: str, *, field: str = "idNumber") -> date:
    """The birth date a resident ID number carries (the number is validated first)."""
    return _birth_date(validate_resident_id(id_number, field=field), field)


def validate_credit_code(value: str, *, field: str = "idNumber") -> str:
    """Check an 18-character unified social credit code (GB 32100-2015), upper-cased.

    Every character from ``0-9A-Z`` without I, O, Z, S, V; the first a
    registration authority (1–9, A, N, Y); characters 3–8 a region code
    (six digits, a provincial prefix or 10 for national bodies); the last the
    GB 32100 check: 31 − (Σ value × weight mod 31), 31 meaning '0'.
    """
    text = value.strip().upper()
    if len(text) != 18:
        raise BadUserInput(field, "a unified social credit code has 18 characters")
    if any(ch not in _CREDIT_ALPHABET for ch in text):
        raise BadUserInput(
            field, "a unified social credit code uses only digits and letters other than IOZSV"
        )
    if text[0] not in _CREDIT_AUTHORITIES:
        raise BadUserInput(field, "the credit code's registration authority is unknown")
    region = text[2:8]
    if not _is_digits(region) or region[:2] not in _CREDIT_REGION_PREFIXES:
        raise BadUserInput(field, "the credit code's region code is not a real division")
    weighted = zip(text, _CREDIT_WEIGHTS, strict=False)  # the 17 characters before the check
    total = sum(_CREDIT_ALPHABET.index(ch) * w for ch, w in weighted)
    if text[17] != _CREDIT_ALPHABET[(31 - total % 31) % 31]:
        raise BadUserInput(field, "the credit code's check character does not match")
    return text


def validate_party_id(kind: str, value: str, *, field: str = "idNumber") -> str:
    """Validate a party's ID by its kind: ``PERSON`` resident ID, ``ORGANIZATION`` credit code.

    ``kind`` may be a plain string or a string-valued enum (``PartyKind``,
    ``SubjectKind``); another kind is a ``BadUserInput`` on ``kind``.
    """
    name = kind.value if isinstance(kind, Enum) else kind
    if name == "PERSON":
        return validate_resident_id(value, field=field)
    if name == "ORGANIZATION":
        return validate_credit_code(value, field=field)
    raise BadUserInput("kind", "a party kind is PERSON or ORGANIZATION")


def mask_id_number(value: str) -> str:
    """Hide an ID number for display and logs: ``350602********0015``.

    The first six and last four characters stay, every other one becomes
    ``*``; anything of ten characters or fewer is masked entirely, since
    keeping ten would reveal it.
    """
    text = value.strip()
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


# ----------------------------------------------------------------------- money

_MONEY = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_CENT = Decimal("0.01")
_MAX_INTEGER_DIGITS = 15


def parse_money(value: str | Decimal | int, *, field: str = "amount") -> Decimal:
    """Parse an amount of yuan into a ``Decimal`` quantized to 0.01.

    Strings must be plain decimals ("150000.00"): no sign, exponent, thousands
    separator, NaN or Infinity. Any value must be ≥ 0, carry no more than two
    significant decimals ("1.50" and "1.500" pass, "1.005" does not) and have
    at most 15 integer digits. Floats are refused: they cannot hold cents exactly.
    """
    if isinstance(value, bool) or not isinstance(value, str | Decimal | int):
        raise BadUserInput(field, "an amount must be a decimal string such as 150000.00")
    if isinstance(value, str):
        text = value.strip()
        if not _MONEY.fullmatch(text):
            raise BadUserInput(
                field, "an amount must be a plain non-negative decimal such as 150000.00"
            )
        amount = Decimal(text)
    else:
        amount = Decimal(value)
        if not amount.is_finite():
            raise BadUserInput(field, "an amount must be a finite number")
        if amount < 0:
            raise BadUserInput(field, "an amount must not be negative")
    # Count digits before quantizing: a huge value would overflow the decimal context.
    if amount.adjusted() >= _MAX_INTEGER_DIGITS:
        raise BadUserInput(field, f"an amount has at most {_MAX_INTEGER_DIGITS} integer digits")
    cents = amount.quantize(_CENT)
    if cents != amount:
        raise BadUserInput(field, "an amount has at most 2 decimal places")
    return abs(cents)  # abs: Decimal("-0") is zero, shown without a sign


# ------------------------------------------------------------------------ text

# Bidirectional overrides can make a name display as something else.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def require_text(value: str, *, field: str, max_length: int = 200) -> str:
    """Trim free text (a name, cause or note) and require it non-empty and printable.

    Rejects control characters (line breaks included), line/paragraph
    separators, lone surrogates and bidirectional overrides, and anything
    longer than ``max_length`` characters once trimmed.
    """
    text = value.strip()
    if not text:
        raise BadUserInput(field, "must not be empty")
    if len(text) > max_length:
        raise BadUserInput(field, f"must be at most {max_length} characters")
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or ch in _BIDI_CONTROLS:
            raise BadUserInput(field, "must not contain control characters")
    return text
