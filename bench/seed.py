"""The benchmark's database: migrated, with tokens and enough cases to list and look up.

The demo debtor's case is filed through the case service, as a court files
one. The generated cases go in with one bulk insert (case and party rows
only): filing hundreds one by one would take longer than the
scenarios themselves, and filing is not what the bench measures. Seeding is
idempotent: cases already there (a reused PostgreSQL database) are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from hub.auth import Principal, Role, create_principal
from hub.cases import CaseData, PartyData, deadline_for, file_case
from hub.errors import Conflict
from hub.models import Case, Party
from hub.storage import Database, migrate_async

COURT = "闽0602"
# The demo debtor: the default world gives them records at every agency kind.
DEBTOR_CASE = "（2023）闽0602执1234号"
DEBTOR_ID = "350602198003150015"
DEBTOR_NAME = "陈某某"
CREDITOR = ("ORGANIZATION", "漳州市某典当有限责任公司", "91350600MA2Y00001B")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def resident_id(n: int, region: str = "350602") -> str:
    """A valid, made-up resident ID number, different for every ``n`` below 365 000."""
    born = date(1960, 1, 1).toordinal() + n % 12000
    day = date.fromordinal(born).strftime("%Y%m%d")
    body = f"{region}{day}{(n // 12000) % 1000:03d}"
    return body + _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def case_number(n: int) -> str:
    return f"（2024）{COURT}执{n + 1}号"


@dataclass(frozen=True)
class Seeded:
    officer_token: str
    case_numbers: list[str]  # the generated cases, newest last
    respondents: dict[str, str]  # case number -> respondent's ID number


async def prepare(database_url: str, cases: int) -> Seeded:
    """Migrate, file ``cases`` generated cases plus the demo debtor's, mint a court token."""
    await migrate_async(database_url)
    db = Database(database_url)
    try:
        seeder = Principal(0, "bench-seed", Role.COURT_OFFICER, COURT)
        await _file(
            db,
            seeder,
            CaseData(
                number=DEBTOR_CASE,
                filed_on=date(2023, 6, 12),
                cause="典当纠纷",
                amount_claimed="150000.00",
                parties=[
                    PartyData("APPLICANT", *CREDITOR),
                    PartyData("RESPONDENT", "PERSON", DEBTOR_NAME, DEBTOR_ID),
                ],
            ),
        )
        numbers = [case_number(n) for n in range(cases)]
        respondents = {case_number(n): resident_id(n) for n in range(cases)}
        await _bulk_file(db, numbers, respondents)
        _, token = await create_principal(
            db, role=Role.COURT_OFFICER, scope=COURT, name="bench officer"
        )
        return Seeded(token, numbers, respondents)
    finally:
        await db.dispose()


async def _file(db: Database, seeder: Principal, data: CaseData) -> None:
    try:
        await file_case(db, seeder, data)
    except Conflict:
        pass  # filed by an earlier run on the same database


async def _bulk_file(db: Database, numbers: list[str], respondents: dict[str, str]) -> None:
    async with db.transaction() as session:
        existing = set(
            (await session.scalars(select(Case.number).where(Case.number.in_(numbers)))).all()
        )
        for n, number in enumerate(numbers):
            if number in existing:
                continue
            filed_on = date(2024, 1 + n % 12, 1 + n % 28)
            case = Case(
                number=number,
                court_code=COURT,
                filed_on=filed_on,
                deadline=deadline_for(filed_on),
                cause="民间借贷纠纷",
                status="OPEN",
                amount_claimed=Decimal(f"{10000 + n}.00"),
                amount_recovered=Decimal("0.00"),
                created_by="bench-seed",
            )
            case.parties = [
                Party(role="APPLICANT", kind=CREDITOR[0], name=CREDITOR[1], id_number=CREDITOR[2]),
                Party(
                    role="RESPONDENT",
                    kind="PERSON",
                    name=f"债务人{n:04d}",
                    id_number=respondents[number],
                ),
            ]
            session.add(case)
        await session.flush()
