"""The courts of Fujian (闽), as reference data.

One high court, nine intermediate courts (one per prefecture-level city),
two special courts, and one basic court per county-level division under the
2021+ division codes. A court's code is the one its case numbers carry:
"闽" for the high court, "闽" + the city's two digits for an intermediate
court, "闽" + the last four digits of the county's division code for a basic
court (福州市鼓楼区 350102 → 闽0102).

金门县 (350527) has a division code but no court under this bureau, so it has
no entry. Railway-transport basic courts are not listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hub.validation import PROVINCES

CourtLevel = Literal["high", "intermediate", "basic", "special"]


@dataclass(frozen=True)
class Court:
    code: str  # as in case numbers: "闽", "闽06", "闽0602", "闽72"
    name: str
    level: CourtLevel
    division: str | None  # six-digit administrative division code, e.g. "350602"
    parent: str | None  # the code of the court that hears its appeals


# City division code, city name, then its county-level divisions (code, name).
_FUJIAN: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("350100", "福州市", (
        ("350102", "鼓楼区"), ("350103", "台江区"), ("350104", "仓山区"),
        ("350105", "马尾区"), ("350111", "晋安区"), ("350112", "长乐区"),
        ("350121", "闽侯县"), ("350122", "连江县"), ("350123", "罗源县"),
        ("350124", "闽清县"), ("350125", "永泰县"), ("350128", "平潭县"),
        ("350181", "福清市"),
    )),
    ("350200", "厦门市", (
        ("350203", "思明区"), ("350205", "海沧区"), ("350206", "湖里区"),
        ("350211", "集美区"), ("350212", "同安区"), ("350213", "翔安区"),
    )),
    ("350300", "莆田市", (
        ("350302", "城厢区"), ("350303", "涵江区"), ("350304", "荔城区"),
        ("350305", "秀屿区"), ("350322", "仙游县"),
    )),
    ("350400", "三明市", (
        ("350404", "三元区"), ("350405", "沙县区"), ("350421", "明溪县"),
        ("350423", "清流县"), ("350424", "宁化县"), ("350425", "大田县"),
        ("350426", "尤溪县"), ("350428", "将乐县"), ("350429", "泰宁县"),
        ("350430", "建宁县"), ("350481", "永安市"),
    )),
    ("350500", "泉州市", (
        ("350502", "鲤城区"), ("350503", "丰泽区"), ("350504", "洛江区"),
        ("350505", "泉港区"), ("350521", "惠安县"), ("350524", "安溪县"),
        ("350525", "永春县"), ("350526", "德化县"), ("350581", "石狮市"),
        ("350582", "晋江市"), ("350583", "南安市"),
    )),
    ("350600", "漳州市", (
        ("350602", "芗城区"), ("350603", "龙文区"), ("350604", "龙海区"),
        ("350605", "长泰区"), ("350622", "云霄县"), ("350623", "漳浦县"),
        ("350624", "诏安县"), ("350626", "东山县"), ("350627", "南靖县"),
        ("350628", "平和县"), ("350629", "华安县"),
    )),
    ("350700", "南平市", (
        ("350702", "延平区"), ("350703", "建阳区"), ("350721", "顺昌县"),
        ("350722", "浦城县"), ("350723", "光泽县"), ("350724", "松溪县"),
        ("350725", "政和县"), ("350781", "邵武市"), ("350782", "武夷山市"),
        ("350783", "建瓯市"),
    )),
    ("350800", "龙岩市", (
        ("350802", "新罗区"), ("350803", "永定区"), ("350821", "长汀县"),
        ("350823", "上杭县"), ("350824", "武平县"), ("350825", "连城县"),
        ("350881", "漳平市"),
    )),
    ("350900", "宁德市", (
        ("350902", "蕉城区"), ("350921", "霞浦县"), ("350922", "古田县"),
        ("350923", "屏南县"), ("350924", "寿宁县"), ("350925", "周宁县"),
        ("350926", "柘荣县"), ("350981", "福安市"), ("350982", "福鼎市"),
    )),
)  # fmt: skip

# Courts whose name does not follow the division's (平潭 is run as a pilot zone).
_NAME_EXCEPTIONS = {"350128": "平潭综合实验区人民法院"}

# Division codes retired by mergers and upgrades, with their successors. Case
# numbers filed before a change keep the old court code (（2019）闽0681执…).
RETIRED_DIVISIONS: dict[str, str] = {
    "350182": "350112",  # 长乐市 → 福州市长乐区 (2017)
    "350402": "350404",  # 三明市梅列区 → 三元区 (2021)
    "350403": "350404",  # 三明市三元区 (old code) → 三元区 (2021)
    "350427": "350405",  # 沙县 → 沙县区 (2021)
    "350625": "350605",  # 长泰县 → 漳州市长泰区 (2021)
    "350681": "350604",  # 龙海市 → 漳州市龙海区 (2021)
}


def _basic_court_name(city: str, county: str, division: str) -> str:
    if division in _NAME_EXCEPTIONS:
        return _NAME_EXCEPTIONS[division]
    # A district's court carries its city's name (鼓楼区 exists in several cities).
    return f"{city}{county}人民法院" if county.endswith("区") else f"{county}人民法院"


def _fujian_courts() -> tuple[Court, ...]:
    courts = [
        Court("闽", "福建省高级人民法院", "high", "350000", None),
        Court("闽71", "福州铁路运输中级法院", "special", None, "闽"),
        Court("闽72", "厦门海事法院", "special", None, "闽"),
    ]
    for city_division, city, counties in _FUJIAN:
        intermediate = "闽" + city_division[2:4]
        courts.append(
            Court(intermediate, f"{city}中级人民法院", "intermediate", city_division, "闽")
        )
        courts.extend(
            Court(
                "闽" + division[2:],
                _basic_court_name(city, county, division),
                "basic",
                division,
                intermediate,
            )
            for division, county in counties
        )
    return tuple(courts)


FUJIAN_COURTS: tuple[Court, ...] = _fujian_courts()
COURTS_BY_CODE: dict[str, Court] = {court.code: court for court in FUJIAN_COURTS}
_COURTS_BY_DIVISION: dict[str, Court] = {
    court.division: court for court in FUJIAN_COURTS if court.division is not None
}

KNOWN_COURT_CODES: frozenset[str] = frozenset(COURTS_BY_CODE) | {
    "闽" + division[2:] for division in RETIRED_DIVISIONS
}
"""Court codes a case number may carry: today's and those of retired divisions.

Pass it as ``known_courts`` to :func:`hub.validation.parse_case_number`.
"""


def court_for_division(code: str) -> Court | None:
    """The court whose territory is the division ``code``, or ``None`` if not listed.

    ``code`` is a division code of 2, 4 or 6 digits ("35", "3506", "350600"
    all name a level's court). A retired county code resolves to its
    successor's court.
    """
    division = code.strip().ljust(6, "0")
    division = RETIRED_DIVISIONS.get(division, division)
    return _COURTS_BY_DIVISION.get(division)


def province_abbreviation(division: str) -> str | None:
    """The court abbreviation of a division code's province: "350602" → "闽"."""
    return PROVINCES.get(division.strip()[:2])
