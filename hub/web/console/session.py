"""Console sessions: a signed cookie naming the principal, and its CSRF token.

The cookie holds no token, only the principal's id, a prefix of its token hash
(so a cookie dies with the token it was made from) and a random CSRF value,
signed with ``settings.secret_key`` by itsdangerous. It is HttpOnly,
SameSite=Strict and scoped to ``/console``. Every principal check happens again
on each request: a revoked or expired principal loses its session at once.
A signed-in session also has a random id: signing out records it as ended
(``ended_sessions``), so a copy of the cookie stops working then too, not
only when its eight hours are up.

An anonymous session (CSRF value only) protects the sign-in form itself.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete
from starlette.requests import Request
from starlette.responses import Response

from hub.models import EndedSession, utcnow
from hub.models import Principal as PrincipalRow
from hub.principal import Principal, Role
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
    id: str | None = None  # signed-in sessions only; what signing out ends

    @property
    def signed_in(self) -> bool:
        return self.principal_id is not None


class SessionCodec:
    """Signs and reads the session cookie with the hub's secret key."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)

    def dumps(self, session: Session) -> str:
        payload = {
            "c": session.csrf,
            "p": session.principal_id,
            "h": session.token_hash,
            "s": session.id,
        }
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
        pid, digest, sid = data.get("p"), data.get("h"), data.get("s")
        if pid is not None and (
            not isinstance(pid, int) or not isinstance(digest, str) or not isinstance(sid, str)
        ):
            return None
        return Session(csrf=data["c"], principal_id=pid, token_hash=digest, id=sid)


def anonymous() -> Session:
    return Session(csrf=secrets.token_urlsafe(24))


def signed_in(principal_id: int, token_hash: str) -> Session:
    """A fresh session (a new CSRF value too) for a principal who just signed in."""
    return Session(
        csrf=secrets.token_urlsafe(24),
        principal_id=principal_id,
        token_hash=token_hash[:_HASH_PREFIX],
        id=secrets.token_urlsafe(24),
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
    """The session's principal if it is still valid (not revoked, not expired, same token,
    not signed out)."""
    if session.principal_id is None or session.token_hash is None or session.id is None:
        return None
    async with db.session() as s:
        row = await s.get(PrincipalRow, session.principal_id)
        if await s.get(EndedSession, session.id) is not None:
            return None
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= utcnow():
        return None
    if not hmac.compare_digest(row.token_hash[:_HASH_PREFIX], session.token_hash):
        return None
    return Principal(row.id, row.name, Role(row.role), row.scope)


async def end(db: Database, session: Session) -> None:
    """Sign the session out for good; ended sessions older than a cookie's life are
    pruned on the way, since no cookie that old is accepted anyway."""
    if session.id is None:
        return
    now = utcnow()
    async with db.transaction() as s:
        await s.execute(delete(EndedSession).where(EndedSession.expires_at < now))
        if await s.get(EndedSession, session.id) is None:
            s.add(
                EndedSession(
                    id=session.id, ended_at=now, expires_at=now + timedelta(seconds=MAX_AGE_S)
                )
            )
