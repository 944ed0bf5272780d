"""The PostgreSQL pool: a connection idle a while is pinged before use, one used moments
ago is not (that ping was three round trips before nearly every transaction)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from hub import storage
from hub.storage import Database


async def _backend_pid(db: Database) -> int:
    async with db.session() as session:
        return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(database_url: str, pid: int) -> None:
    """End server process ``pid``'s session from another connection (a restart, in small)."""
    other = Database(database_url)
    try:
        async with other.session() as session:
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await other.dispose()


async def test_a_connection_killed_while_idle_is_replaced_before_use(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(database_url, pool_size=1, max_overflow=0)
    if not db.is_postgres:
        await db.dispose()
        pytest.skip("SQLite has no server to lose")
    try:
        pid = await _backend_pid(db)
        await _terminate(database_url, pid)
        monkeypatch.setattr(storage, "PING_AFTER_IDLE_S", 0.0)  # it has been idle long enough
        # the dead connection fails its ping; the pool opens a new one and the read succeeds
        assert await _backend_pid(db) != pid
    finally:
        await db.dispose()


async def test_a_connection_back_moments_ago_is_used_without_a_ping(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(database_url, pool_size=1, max_overflow=0)
    if not db.is_postgres:
        await db.dispose()
        pytest.skip("SQLite connections are not pinged")
    try:
        pid = await _backend_pid(db)
        pings: list[object] = []
        async with db.session() as session:
            raw = await (await session.connection()).get_raw_connection()
            adapted = type(raw.dbapi_connection)
        monkeypatch.setattr(adapted, "ping", lambda connection: pings.append(connection))

        monkeypatch.setattr(storage, "PING_AFTER_IDLE_S", 3600.0)
        assert await _backend_pid(db) == pid
        assert pings == []

        monkeypatch.setattr(storage, "PING_AFTER_IDLE_S", 0.0)
        assert await _backend_pid(db) == pid
        assert len(pings) == 1
    finally:
        await db.dispose()


async def test_a_connection_the_server_closed_moments_ago_is_replaced_without_a_ping(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(database_url, pool_size=1, max_overflow=0)
    if not db.is_postgres:
        await db.dispose()
        pytest.skip("SQLite has no server to lose")
    try:
        pid = await _backend_pid(db)
        await _terminate(database_url, pid)
        await asyncio.sleep(0.2)  # the close reaches the idle connection's socket
        monkeypatch.setattr(storage, "PING_AFTER_IDLE_S", 3600.0)  # no ping would be sent
        # asyncpg saw the close: the pool refuses that connection at checkout, not the read
        assert await _backend_pid(db) != pid
    finally:
        await db.dispose()
