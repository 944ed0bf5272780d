"""Principals and bearer tokens.

A token is shown once, when created; the database keeps only its SHA-256.
Tokens carry 256 bits of randomness, so a plain hash (not a slow KDF) is the
right tool: nobody can brute-force the preimage.

Use of a token is evidence too: a console sign-in is audited as
``auth.sign_in`` (``sign_in`` / ``record_sign_in``), and bearer use as one
``auth.token_used`` entry per principal per clock hour, claimed with a
conditional update of ``last_used_at`` so that concurrent requests and
processes write it once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.errors import BadUserInput
from hub.models import Principal as PrincipalRow
from hub.models import utcnow
from hub.principal import Principal, Role
from hub.storage import Database

TOKEN_PREFIX = "hub_"
LAST_USED_RESOLUTION = timedelta(minutes=1)  # don't write on every request
TOKEN_USED = "auth.token_used"
CLI_ACTOR = "hub:cli"  # who creates and revokes principals when no principal does
SIGN_IN = "auth.sign_in"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def validate_scope(role: Role, scope: str) -> str:
    scope = scope.strip()
    if not scope:
        raise BadUserInput("scope", "scope must not be empty")
    if role is Role.ADMIN and scope != "*":
        raise BadUserInput("scope", "the admin scope is '*'")
    if role in (Role.COURT_OFFICER, Role.SUPERVISOR):
        from hub.validation import parse_case_number

        # a court code is a case number's court part; reuse that grammar
        parse_case_number(f"（2000）{scope}执1号", field="scope")
    if role is Role.OBSERVER:
        from hub.validation import normalize_case_number

        scope = ",".join(normalize_case_number(p.strip(), field="scope") for p in scope.split(","))
    if role is Role.APPLICANT:
        from hub.validation import normalize_case_number

        number, sep, id_number = scope.rpartition(":")
        if not sep or not number or not id_number:
            raise BadUserInput("scope", "an applicant's scope is CASE_NUMBER:ID_NUMBER")
        scope = f"{normalize_case_number(number, field='scope')}:{id_number.strip().upper()}"
    return scope


async def _require_applicant_party(db: Database, scope: str) -> None:
    """An applicant token is issued only to an applicant party of the case it names."""
    from hub.cases import find_case

    number, _, id_number = scope.rpartition(":")
    async with db.session() as session:
        case = await find_case(session, number, field="scope")
    if case is None or not any(
        p.role == "APPLICANT" and p.id_number == id_number for p in case.parties
    ):
        raise BadUserInput("scope", "no applicant of that case has this ID number")


async def create_principal(
    db: Database,
    *,
    role: Role,
    scope: str,
    name: str | None = None,
    expires_in: timedelta | None = None,
    actor: Principal | str = CLI_ACTOR,
) -> tuple[Principal, str]:
    """Store a new principal; returns it and its token (the only time it is visible).

    Audited as ``auth.principal_created`` by ``actor`` (the command line unless said).
    """
    from hub import audit

    scope = validate_scope(role, scope)
    if role is Role.APPLICANT:
        await _require_applicant_party(db, scope)
    token = new_token()
    row = PrincipalRow(
        name=name or f"{role.value}@{scope}",
        role=role.value,
        scope=scope,
        token_hash=hash_token(token),
        expires_at=utcnow() + expires_in if expires_in else None,
    )
    async with db.transaction() as session:
        session.add(row)
        await session.flush()
        await audit.record(
            session,
            actor=actor,
            action="auth.principal_created",
            target=f"principal:{row.id}",
            detail={
                "role": role.value,
                "scope": row.scope,
                "expires_at": row.expires_at.isoformat() if row.expires_at else None,
            },
        )
    return Principal(row.id, row.name, role, row.scope), token


# Every request runs this lookup, so it is kept lean: the columns it needs, over a
# plain connection (no ORM session), one statement object (its cache key derived once).
_BY_TOKEN_HASH = select(
    PrincipalRow.id,
    PrincipalRow.name,
    PrincipalRow.role,
    PrincipalRow.scope,
    PrincipalRow.token_hash,
    PrincipalRow.revoked_at,
    PrincipalRow.expires_at,
    PrincipalRow.last_used_at,
).where(PrincipalRow.token_hash == bindparam("digest"))


async def authenticate(db: Database, token: str | None) -> Principal | None:
    """The principal a bearer token belongs to, or ``None`` (unknown, expired, revoked)."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = hash_token(token)
    async with db.single_reads.connect() as conn:
        row = (await conn.execute(_BY_TOKEN_HASH, {"digest": digest})).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    now = utcnow()
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    principal = Principal(row.id, row.name, Role(row.role), row.scope)
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        await _touch(db, principal, row.last_used_at, now)
    return principal


async def _touch(
    db: Database, principal: Principal, previous: datetime | None, now: datetime
) -> None:
    """Move ``last_used_at``; the first use in a clock hour is also an audit entry."""
    from hub import audit

    hour = now.replace(minute=0, second=0, microsecond=0)
    stamp = update(PrincipalRow).where(PrincipalRow.id == principal.id).values(last_used_at=now)
    async with db.transaction() as session:
        if previous is not None and previous >= hour:
            await session.execute(stamp)
            return
        # only the request that moves last_used_at across the hour boundary records it
        claimed = await session.execute(
            stamp.where(or_(PrincipalRow.last_used_at.is_(None), PrincipalRow.last_used_at < hour))
        )
        if getattr(claimed, "rowcount", 0):
            await audit.record(
                session,
                actor=principal,
                action=TOKEN_USED,
                detail={"previous_use": previous.isoformat() if previous else None},
            )


async def record_sign_in(session: AsyncSession, principal: Principal, *, via: str) -> None:
    """Audit a sign-in inside the caller's transaction (``via``: "console", ...)."""
    from hub import audit

    await audit.record(session, actor=principal, action=SIGN_IN, detail={"via": via})


async def sign_in(db: Database, token: str | None, *, via: str = "console") -> Principal | None:
    """``authenticate`` for an interactive sign-in: a success is audited as ``auth.sign_in``.

    Failures are not chained (anyone can cause them, and the chain serializes
    writers); the caller logs them.
    """
    principal = await authenticate(db, token)
    if principal is not None:
        async with db.transaction() as session:
            await record_sign_in(session, principal, via=via)
    return principal


async def revoke(db: Database, principal_id: int, *, actor: Principal | str = CLI_ACTOR) -> bool:
    """Revoke at once; ``False`` when there was no active principal. Audited as ``auth.revoked``."""
    from hub import audit

    async with db.transaction() as session:
        result = await session.execute(
            update(PrincipalRow)
            .where(PrincipalRow.id == principal_id, PrincipalRow.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        revoked = bool(getattr(result, "rowcount", 0))
        if revoked:
            await audit.record(
                session, actor=actor, action="auth.revoked", target=f"principal:{principal_id}"
            )
        return revoked


async def list_principals(db: Database, principal: Principal) -> list[PrincipalRow]:
    """Every principal, newest first (administrators only); token hashes stay inside."""
    from hub import policy

    policy.require_admin(principal)
    async with db.session() as session:
        rows = await session.scalars(select(PrincipalRow).order_by(PrincipalRow.id.desc()))
        return list(rows.all())


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def expiry(days: int | None) -> timedelta | None:
    """``None``: never expires. Zero days once meant "never" and -1 "already expired"."""
    if days is None:
        return None
    if days < 1:
        raise BadUserInput("expiresDays", "a token expires after 1 day or more")
    return timedelta(days=days)


__all__ = [
    "Principal",
    "Role",
    "authenticate",
    "bearer_token",
    "create_principal",
    "list_principals",
    "record_sign_in",
    "sign_in",
]
