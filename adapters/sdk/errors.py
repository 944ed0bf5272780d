"""The hub's one exception tree.

Every failure the hub reports to a caller is one of these, raised where the
fault is found and mapped to GraphQL ``extensions.code`` at one boundary
(``schema.errors``; ``hub.errors`` re-exports it)::

    HubError                          INTERNAL (message masked, id logged)
    ├── BadUserInput(field)           BAD_USER_INPUT  (+ extensions.field)
    ├── Unauthenticated               UNAUTHENTICATED
    ├── Forbidden                     FORBIDDEN
    │   └── RateLimited               FORBIDDEN (+ extensions.retryAfter, seconds)
    ├── NotFound                      NOT_FOUND
    ├── Conflict                      CONFLICT
    └── UpstreamError(agency_id)      UPSTREAM_UNAVAILABLE  (+ extensions.agency)
        ├── UpstreamUnavailable       transport errors, 5xx and 429 once retries are spent
        │   └── CircuitOpen           the agency's breaker is open: failed fast, not sent
        ├── UpstreamRejected          the agency refused the call (a non-retriable 4xx)
        └── UpstreamTimeout           UPSTREAM_TIMEOUT: the deadline passed

Upstream messages name the agency, never the citizen: they are logged and
shown to callers as they are.
"""

from __future__ import annotations

from typing import ClassVar


class HubError(Exception):
    """Base of every error the hub raises on purpose."""

    code: ClassVar[str] = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def extensions(self) -> dict[str, object]:
        return {"code": self.code}


class BadUserInput(HubError):
    code = "BAD_USER_INPUT"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field

    def extensions(self) -> dict[str, object]:
        return {"code": self.code, "field": self.field}


class Unauthenticated(HubError):
    code = "UNAUTHENTICATED"


class Forbidden(HubError):
    code = "FORBIDDEN"


class RateLimited(Forbidden):
    """Too many reads too fast; the caller may try again after ``retry_after`` seconds.

    Still ``FORBIDDEN``: the contract's codes are fixed, and a refused read is a refused read.
    """

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def extensions(self) -> dict[str, object]:
        return {"code": self.code, "retryAfter": self.retry_after}


class NotFound(HubError):
    code = "NOT_FOUND"


class Conflict(HubError):
    code = "CONFLICT"


class UpstreamError(HubError):
    code = "UPSTREAM_UNAVAILABLE"

    def __init__(self, agency_id: str, message: str, *, attempts: int = 0) -> None:
        super().__init__(f"{agency_id}: {message}")
        self.agency_id = agency_id
        self.attempts = attempts

    def extensions(self) -> dict[str, object]:
        return {"code": self.code, "agency": self.agency_id}


class UpstreamUnavailable(UpstreamError):
    pass


class CircuitOpen(UpstreamUnavailable):
    pass


class UpstreamRejected(UpstreamError):
    pass


class UpstreamTimeout(UpstreamError):
    code = "UPSTREAM_TIMEOUT"
