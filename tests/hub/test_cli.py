"""The ``hub`` command: migrations, tokens, schema export, courts."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from hub.auth import authenticate
from hub.cli import app
from hub.storage import Database

runner = CliRunner()


def test_every_command_has_help() -> None:
    for args in (
        [], ["demo"], ["serve"], ["worker"], ["mocks"], ["migrate"], ["token", "create"],
        ["token", "revoke"], ["adapters", "list"], ["audit", "verify"], ["schema", "export"],
        ["bench"], ["courts", "add"],
    ):  # fmt: skip
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.output


def test_token_create_prints_token_last_and_stores_only_its_hash(database_url: str) -> None:
    result = runner.invoke(
        app,
        [
            "token",
            "create",
            "--role",
            "court_officer",
            "--scope",
            "闽0602",
            "--database-url",
            database_url,
        ],
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("hub_")

    async def check() -> None:
        db = Database(database_url)
        try:
            principal = await authenticate(db, token)
            assert principal is not None and principal.scope == "闽0602"
            async with db.session() as session:
                from sqlalchemy import text

                stored = (
                    (await session.execute(text("SELECT token_hash FROM principals")))
                    .scalars()
                    .all()
                )
            assert token not in stored and len(stored) == 1
        finally:
            await db.dispose()

    asyncio.run(check())


def test_token_create_refuses_bad_role_and_scope(database_url: str) -> None:
    bad_role = runner.invoke(
        app, ["token", "create", "--role", "judge", "--scope", "x", "--database-url", database_url]
    )
    assert bad_role.exit_code == 2
    bad_scope = runner.invoke(
        app,
        [
            "token",
            "create",
            "--role",
            "court_officer",
            "--scope",
            "nowhere",
            "--database-url",
            database_url,
        ],
    )
    assert bad_scope.exit_code == 2


def test_token_revoke(database_url: str) -> None:
    created = runner.invoke(
        app, ["token", "create", "--role", "admin", "--scope", "*", "--database-url", database_url]
    )
    token = created.output.strip().splitlines()[-1]
    principal_id = created.output.split()[1]
    revoked = runner.invoke(app, ["token", "revoke", principal_id, "--database-url", database_url])
    assert revoked.exit_code == 0, revoked.output

    async def check() -> None:
        db = Database(database_url)
        try:
            assert await authenticate(db, token) is None
        finally:
            await db.dispose()

    asyncio.run(check())
    again = runner.invoke(app, ["token", "revoke", principal_id, "--database-url", database_url])
    assert again.exit_code == 1


def test_migrate_is_repeatable_and_courts_are_seeded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert runner.invoke(app, ["migrate", "--database-url", url]).exit_code == 0
    assert runner.invoke(app, ["migrate", "--database-url", url]).exit_code == 0
    listed = runner.invoke(app, ["courts", "list", "--database-url", url])
    assert "闽0602\t漳州市芗城区人民法院" in listed.output
    added = runner.invoke(
        app, ["courts", "add", "浙0102", "杭州市上城区人民法院", "--database-url", url]
    )
    assert added.exit_code == 0, added.output
    assert "浙0102" in runner.invoke(app, ["courts", "list", "--database-url", url]).output
    dup = runner.invoke(
        app, ["courts", "add", "浙0102", "杭州市上城区人民法院", "--database-url", url]
    )
    assert dup.exit_code == 2


def test_schema_export_matches_checked_in_copy() -> None:
    result = runner.invoke(app, ["schema", "export"])
    checked_in = (Path(__file__).parents[2] / "schema" / "schema.graphql").read_text(
        encoding="utf-8"
    )
    assert result.output == checked_in


def test_console_script_is_installed() -> None:
    hub = Path(sys.executable).with_name("hub")
    result = subprocess.run(
        [str(hub), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0
    assert "token" in result.stdout and "demo" in result.stdout
