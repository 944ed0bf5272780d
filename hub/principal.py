"""Who is calling: a principal and its role. A leaf module, imported by every layer
(``hub.auth`` makes principals from tokens; ``hub.audit`` names them as actors)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hub.errors import BadUserInput


class Role(StrEnum):
    COURT_OFFICER = "court_officer"
    AGENCY_OFFICER = "agency_officer"
    OBSERVER = "observer"
    ADMIN = "admin"
    APPLICANT = "applicant"  # scope CASE_NUMBER:ID_NUMBER, an applicant party of that case
    SUPERVISOR = "supervisor"  # a higher court's view of the courts under it: figures only


@dataclass(frozen=True)
class Principal:
    """Who is calling, and for what: the scope's meaning depends on the role."""

    id: int
    name: str
    role: Role
    scope: str

    @property
    def court(self) -> str | None:
        return self.scope if self.role is Role.COURT_OFFICER else None

    @property
    def agency(self) -> str | None:
        return self.scope if self.role is Role.AGENCY_OFFICER else None

    @property
    def case_numbers(self) -> frozenset[str]:
        if self.role is not Role.OBSERVER:
            return frozenset()
        from hub.validation import normalize_case_number

        numbers = set()
        for raw in self.scope.split(","):
            raw = raw.strip()
            if raw:
                try:
                    numbers.add(normalize_case_number(raw))
                except BadUserInput:
                    continue
        return frozenset(numbers)

    @property
    def applicant_case(self) -> str | None:
        """The case an applicant's token is for (its scope's part before the colon)."""
        if self.role is not Role.APPLICANT:
            return None
        return self.scope.rpartition(":")[0] or None

    @property
    def applicant_id(self) -> str | None:
        return self.scope.rpartition(":")[2] if self.role is Role.APPLICANT else None

    @property
    def actor(self) -> str:
        return f"{self.role.value}:{self.name}#{self.id}"
