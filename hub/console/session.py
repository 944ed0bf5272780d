"""Console sessions: a signed cookie naming the principal, and its CSRF token.

The cookie holds no token, only the principal's id, a prefix of its token hash
(so a cookie dies with the token it was made from) and a random CSRF value,
signed with ``settings.secret_key`` by itsdangerous. It is HttpOnly,
SameSite=Strict and scoped to ``/console``. Every principal check happens again
on each request: a revoked or expired principal loses its session at once.

An anonymous session (CSRF value only) protects the sign-in form itself.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from hub.auth import Principal, Role
from hub.models import Principal as PrincipalRow
from hub.models import utcnow
from hub.storage import Database

COOKIE = "hub_console"
COOKIE_PATH = "/console"
MAX_AGE_S = 8 * 3600  # one working day; signing in again is cheap
CSRF_FIELD = "csrf"
_SALT = "hub.console.session"
_HASH_PREFIX = 16  # enough to bind the cookie to one token, not enough to matter if read


@dataclass(frozen=True)
class Session:
    csrf: str
    principal_id: int | None = None
    token_hash: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.principal_id is not None


class SessionCodec:
    """Signs and reads the session cookie with the hub's secret key."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)

    def dumps(self, session: Session) -> str:
        payload = {"c": session.csrf, "p": session.principal_id, "h": session.token_hash}
        return self._serializer.dumps(payload)

    def loads(self, value: str | None) -> Session | None:
        """The session, or ``None`` when absent, tampered with or older than ``MAX_AGE_S``."""
        if not value:
            return None
        try:
            data = self._serializer.loads(value, max_age=MAX_AGE_S)
        except BadSignature:  # SignatureExpired is a BadSignature too
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        pid, digest = data.get("p"), data.get("h")
        if pid is not None and (not isinstance(pid, int) or not isinstance(digest, str)):
            return None
        return Session(csrf=data["c"], principal_id=pid, token_hash=digest)


def anonymous() -> Session:
    return Session(csrf=secrets.token_urlsafe(24))


def signed_in(principal_id: int, token_hash: str) -> Session:
    """A fresh session (a new CSRF value too) for a principal who just signed in."""
    return Session(
        csrf=secrets.token_urlsafe(24),
        principal_id=principal_id,
        token_hash=token_hash[:_HASH_PREFIX],
    )


def read(request: Request, codec: SessionCodec) -> Session | None:
    return codec.loads(request.cookies.get(COOKIE))


def store(response: Response, request: Request, codec: SessionCodec, session: Session) -> None:
    response.set_cookie(
        COOKIE,
        codec.dumps(session),
        max_age=MAX_AGE_S,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear(response: Response) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")


def csrf_ok(session: Session | None, submitted: object) -> bool:
    if session is None or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(session.csrf.encode(), submitted.encode())


async def principal_of(db: Database, session: Session) -> Principal | None:
    """The session's principal if it is still valid (not revoked, not expired, same token)."""
    if session.principal_id is None or session.token_hash is None:
        return None
    async with db.session() as s:
        row = await s.get(PrincipalRow, session.principal_id)
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= utcnow():
        return None
    if not hmac.compare_digest(row.token_hash[:_HASH_PREFIX], session.token_hash):
        return None
    return Principal(row.id, row.name, Role(row.role), row.scope)
