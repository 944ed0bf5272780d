"""The database: engine, sessions and migrations.

``sqlite:///path`` runs on aiosqlite, ``postgresql://...`` on asyncpg; the
URL a user writes is translated here, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS = Path(__file__).parent / "migrations"


def async_url(url: str) -> URL:
    """``sqlite:///x.db`` → ``sqlite+aiosqlite``, ``postgresql://`` → ``postgresql+asyncpg``."""
    parsed = make_url(url)
    driver = parsed.drivername
    if driver in ("sqlite", "sqlite+pysqlite"):
        return parsed.set(drivername="sqlite+aiosqlite")
    if driver in ("postgresql", "postgres", "postgresql+psycopg2"):
        return parsed.set(drivername="postgresql+asyncpg")
    return parsed


# A pooled PostgreSQL connection idle longer than this is pinged before use (a restarted
# server or a dropped link shows here, not in the request's first statement). One used
# moments ago is not: under load that ping was three round trips (BEGIN, ";", ROLLBACK)
# before nearly every transaction. A connection the server closed meanwhile is refused
# all the same (asyncpg learns of the close as it happens: no round trip); a link lost
# silently in between fails its statement, and the pool then renews every connection
# older than the failure.
PING_AFTER_IDLE_S = 2.0
_CHECKED_IN_AT = "hub.checked_in_at"


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info[_CHECKED_IN_AT] = time.monotonic()


def _check_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    if record.driver_connection.is_closed():  # the asyncpg connection
        raise DisconnectionError("the server closed this connection")
    at = record.info.get(_CHECKED_IN_AT)
    if at is None or time.monotonic() - at < PING_AFTER_IDLE_S:
        return  # new, or back in the pool only moments ago
    try:
        dbapi_connection.ping()
    except Exception as exc:
        # the pool drops this connection and checks out another (up to three times)
        raise DisconnectionError(f"a pooled connection failed its ping: {exc}") from exc


def _wal(path: str | None) -> None:
    """Put a SQLite file in WAL mode before this process opens its pools.

    The mode is the file's and lasts, but switching needs the file to itself:
    left to each pooled connection's first pragma, the dispatcher, the audit
    sequencer and the probes of a starting worker raced for it, the switch
    silently failed, and the file stayed in rollback-journal mode, where a
    reader blocks every writer ("database is locked" after ten seconds).
    """
    if not path or path == ":memory:" or not Path(path).parent.is_dir():
        return  # nothing to switch, or a path the first connection will report on
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer; busy_timeout makes writers queue
    # instead of failing when several processes (serve + worker) share the file.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_manual_begin(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN


def _sqlite_begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One engine and session factory per process."""

    def __init__(
        self, url: str, *, echo: bool = False, pool_size: int = 10, max_overflow: int = 20
    ) -> None:
        self.url = async_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 10}
            _wal(self.url.database)
        else:
            kwargs.update(pool_size=pool_size, max_overflow=max_overflow)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_postgres:
            event.listen(self.engine.sync_engine.pool, "checkin", _note_checkin)
            event.listen(self.engine.sync_engine.pool, "checkout", _check_out)
        self.reader: AsyncEngine = self.engine
        if self.is_sqlite:
            # SQLite in WAL mode fails a deferred transaction that reads, then writes
            # after another writer committed (SQLITE_BUSY_SNAPSHOT, no waiting). Write
            # transactions therefore take the write lock up front (BEGIN IMMEDIATE);
            # reads use a second engine with plain deferred transactions, which WAL
            # lets run beside the writer.
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "connect", _sqlite_manual_begin)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin_immediate)
            self.reader = create_async_engine(self.url, **kwargs)
            event.listen(self.reader.sync_engine, "connect", _sqlite_pragmas)
        # Single statements that only read (a token's principal) need no transaction
        # around them: on PostgreSQL that saves a BEGIN and a ROLLBACK each.
        self.single_reads: AsyncEngine = self.reader
        if self.is_postgres:
            self.single_reads = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = async_sessionmaker(self.reader, expire_on_commit=False)
        # SQLite has one writer at a time. Writers of this process queue here, in order;
        # left to SQLite's busy handler (which sleeps and retries), late comers overtake
        # and a busy process starves some writers past busy_timeout ("database is locked").
        self._write_turn = asyncio.Lock() if self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reading (it may write too, but on SQLite prefer ``transaction``)."""
        async with self.read_sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on exit and rolls back on any error.

        Do not open one inside another in the same task: on SQLite the second waits
        for the first forever.
        """
        if self._write_turn is None:
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._write_turn, self.sessions() as session, session.begin():
            yield session

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.reader is not self.engine:
            await self.reader.dispose()


def _alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", async_url(url).render_as_string(hide_password=False))
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (Alembic upgrade); safe to call repeatedly."""
    from alembic import command

    command.upgrade(_alembic_config(url), revision)


async def migrate_async(url: str) -> None:
    await asyncio.to_thread(migrate, url)
