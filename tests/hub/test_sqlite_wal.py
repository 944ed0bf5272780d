"""A SQLite file is in WAL mode before the process's pools race for it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hub.storage import Database


async def test_a_new_database_object_puts_its_file_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    with sqlite3.connect(path) as plain:  # a file in the default rollback-journal mode
        plain.execute("CREATE TABLE t (x INTEGER)")
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    db = Database(f"sqlite:///{path}")
    try:
        with sqlite3.connect(path) as plain:
            # before any pooled connection was opened: no race left to lose
            assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        await db.dispose()


async def test_a_missing_folder_is_left_for_the_first_connection_to_report(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path}/missing/hub.db")  # no error here
    await db.dispose()
    assert not (tmp_path / "missing").exists()
