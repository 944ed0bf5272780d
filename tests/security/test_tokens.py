"""Bearer tokens: hashes only, expiry, revocation by the real command, and the evidence
their use leaves (sign-ins, one ``auth.token_used`` per principal per hour)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import sqlalchemy as sa

from hub import auth
from hub.auth import Role, create_principal
from hub.models import Principal as PrincipalRow
from hub.models import utcnow
from tests.security.scene import audit_rows, hub_command, raw_sql
from tests.support import LiveHub

ME = {"query": "{ me { id role } }"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def status_of(hub: LiveHub, token: str) -> int:
    return (await hub.client.post("/graphql", json=ME, headers=bearer(token))).status_code


async def test_revoked_by_the_command_then_refused(hub: LiveHub, database_url: str) -> None:
    principal, token = await create_principal(
        hub.state.db, role=Role.OBSERVER, scope="(2026)闽0602执1号"
    )
    assert await status_of(hub, token) == 200

    status, out = await hub_command(
        "token", "revoke", str(principal.id), "--database-url", database_url
    )

    assert status == 0, out
    response = await hub.client.post("/graphql", json=ME, headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await auth.revoke(hub.state.db, principal.id) is False  # nothing left to revoke
    trail = [
        (r.action, r.actor, r.detail.get("role"))
        for r in await audit_rows(hub)
        if r.target == f"principal:{principal.id}"
    ]
    assert trail == [
        ("auth.principal_created", "hub:cli", "observer"),
        ("auth.revoked", "hub:cli", None),
    ]


async def test_an_expired_token_is_refused(hub: LiveHub) -> None:
    db = hub.state.db
    _, lapsed = await create_principal(
        db, role=Role.COURT_OFFICER, scope="闽0602", expires_in=timedelta(seconds=-1)
    )
    _, current = await create_principal(
        db, role=Role.COURT_OFFICER, scope="闽0602", expires_in=timedelta(days=1)
    )
    assert await status_of(hub, lapsed) == 401
    assert await status_of(hub, current) == 200


async def test_a_token_that_expires_while_in_use_stops_working(
    hub: LiveHub, database_url: str
) -> None:
    principal, token = await create_principal(
        hub.state.db, role=Role.ADMIN, scope="*", expires_in=timedelta(days=30)
    )
    assert await status_of(hub, token) == 200
    await raw_sql(
        database_url,
        "UPDATE principals SET expires_at = :at WHERE id = :id",
        at=utcnow() - timedelta(seconds=1),
        id=principal.id,
    )
    assert await status_of(hub, token) == 401


async def test_only_the_hash_is_stored(hub: LiveHub) -> None:
    principal, token = await create_principal(hub.state.db, role=Role.ADMIN, scope="*")
    async with hub.state.db.session() as session:
        row = await session.get(PrincipalRow, principal.id)
        stored = [str(v) for v in (await session.execute(sa.select(PrincipalRow.__table__))).one()]
    assert row is not None
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not any(token in value for value in stored)


async def test_token_use_is_audited_once_per_hour(hub: LiveHub, database_url: str) -> None:
    principal, token = await create_principal(hub.state.db, role=Role.ADMIN, scope="*")

    statuses = await asyncio.gather(*(status_of(hub, token) for _ in range(10)))
    assert set(statuses) == {200}
    await raw_sql(  # a minute later: last_used_at moves, still the same hour
        database_url,
        "UPDATE principals SET last_used_at = :at WHERE id = :id",
        at=utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(microseconds=1),
        id=principal.id,
    )
    assert await status_of(hub, token) == 200
    used = [r for r in await audit_rows(hub) if r.action == "auth.token_used"]
    assert [(r.principal_id, r.detail["previous_use"]) for r in used] == [(principal.id, None)]

    await raw_sql(  # last seen in the hour before: the next use is new evidence
        database_url,
        "UPDATE principals SET last_used_at = :at WHERE id = :id",
        at=utcnow() - timedelta(hours=1),
        id=principal.id,
    )
    assert await status_of(hub, token) == 200
    used = [r for r in await audit_rows(hub) if r.action == "auth.token_used"]
    assert len(used) == 2 and used[1].detail["previous_use"] is not None
    async with hub.state.db.session() as session:
        row = await session.get(PrincipalRow, principal.id)
    assert row is not None and row.last_used_at is not None
    assert utcnow() - row.last_used_at < timedelta(minutes=1)


async def test_sign_in_is_audited_and_failures_are_not(hub: LiveHub) -> None:
    principal, token = await create_principal(
        hub.state.db, role=Role.AGENCY_OFFICER, scope="realestate-zhangpu"
    )
    assert await auth.sign_in(hub.state.db, "hub_not-a-token", via="console") is None
    assert await auth.sign_in(hub.state.db, None) is None

    signed = await auth.sign_in(hub.state.db, token, via="console")

    assert signed == principal
    sign_ins = [(r.principal_id, r.detail) for r in await audit_rows(hub) if "sign" in r.action]
    assert sign_ins == [(principal.id, {"via": "console"})]
    await auth.revoke(hub.state.db, principal.id)
    assert await auth.sign_in(hub.state.db, token) is None
