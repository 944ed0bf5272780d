"""The ``hub`` command."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from hub.settings import Settings, load_settings

app = typer.Typer(
    help="Linkage hub: one graph between the enforcement bureau and its agencies.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
token_app = typer.Typer(help="Bearer tokens for principals.", no_args_is_help=True)
adapters_app = typer.Typer(help="Installed adapter kinds.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit chain.", no_args_is_help=True)
schema_app = typer.Typer(help="The GraphQL schema.", no_args_is_help=True)
courts_app = typer.Typer(help="The courts reference list.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(adapters_app, name="adapters")
app.add_typer(audit_app, name="audit")
app.add_typer(schema_app, name="schema")
app.add_typer(courts_app, name="courts")

DatabaseOpt = Annotated[
    str | None, typer.Option("--database-url", help="Overrides HUB_DATABASE_URL / hub.toml.")
]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="hub.toml (agencies, settings).")]


def _settings(**flags: object) -> Settings:
    return load_settings(**flags)


@app.command()
def migrate(database_url: DatabaseOpt = None, config: ConfigOpt = None) -> None:
    """Bring the database schema to the newest revision."""
    from hub.storage import migrate as run_migrations

    settings = _settings(database_url=database_url, config=config)
    run_migrations(settings.database_url)
    typer.echo(f"database at the newest revision: {_safe_url(settings.database_url)}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
    public_url: Annotated[
        str | None, typer.Option("--public-url", help="What agencies call back.")
    ] = None,
    no_dispatcher: Annotated[
        bool, typer.Option("--no-dispatcher", help="Serve only; leave delivery to `hub worker`.")
    ] = False,
) -> None:
    """Serve the hub (GraphQL, console, callbacks, metrics), dispatcher included."""
    from hub.server import serve_forever

    settings = _settings(
        host=host, port=port, config=config, database_url=database_url, public_url=public_url
    )
    _ensure_schema(settings)
    asyncio.run(serve_forever(settings, dispatcher=not no_dispatcher))


@app.command()
def worker(config: ConfigOpt = None, database_url: DatabaseOpt = None) -> None:
    """Run the dispatcher alone; any number may share one PostgreSQL."""
    from hub.server import run_worker

    settings = _settings(config=config, database_url=database_url)
    _ensure_schema(settings)
    asyncio.run(run_worker(settings))


@app.command()
def mocks(
    world: Annotated[Path | None, typer.Option("--world", help="World file (JSON).")] = None,
    port_base: Annotated[
        int, typer.Option("--port-base", help="First port; five are used.")
    ] = 9100,
    write_config: Annotated[
        Path | None, typer.Option("--write-config", help="Write a hub.toml for these mocks.")
    ] = None,
) -> None:
    """Run the five mock agencies, each on its own port."""
    from mocks.runner import run

    try:
        asyncio.run(run(world, port_base, write_config))
    except KeyboardInterrupt:
        pass


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="The hub's port.")] = 8000,
    world: Annotated[Path | None, typer.Option("--world", help="World file for the mocks.")] = None,
    database_url: DatabaseOpt = None,
    mock_port_base: Annotated[
        int, typer.Option("--mock-port-base", help="First mock port.")
    ] = 9100,
) -> None:
    """Mocks, a seeded database and the hub, all in one; prints URLs and tokens."""
    from hub.demo import run_demo

    try:
        asyncio.run(
            run_demo(
                port=port, world=world, database_url=database_url, mock_port_base=mock_port_base
            )
        )
    except KeyboardInterrupt:
        pass


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="court_officer, agency_officer, observer or admin.")],
    scope: Annotated[
        str, typer.Option(help="Court code, agency id, case numbers, or * for admin.")
    ],
    name: Annotated[str | None, typer.Option(help="A label for the principal.")] = None,
    expires_days: Annotated[
        int | None, typer.Option("--expires-days", help="Expire after N days.")
    ] = None,
    database_url: DatabaseOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Create a principal; its token is the last line printed."""
    from hub.auth import Role, create_principal, expiry
    from hub.errors import HubError
    from hub.storage import Database

    try:
        role_value = Role(role)
    except ValueError:
        typer.echo(f"unknown role {role!r}; one of: {', '.join(r.value for r in Role)}", err=True)
        raise typer.Exit(2) from None
    settings = _settings(database_url=database_url, config=config)

    async def create() -> tuple[int, str]:
        db = Database(settings.database_url)
        try:
            principal, token = await create_principal(
                db, role=role_value, scope=scope, name=name, expires_in=expiry(expires_days)
            )
            return principal.id, token
        finally:
            await db.dispose()

    try:
        principal_id, token = asyncio.run(create())
    except HubError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"principal {principal_id} ({role_value.value} @ {scope})")
    typer.echo(token)


@token_app.command("revoke")
def token_revoke(
    principal_id: Annotated[int, typer.Argument(help="The principal's id.")],
    database_url: DatabaseOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Revoke a principal's token at once."""
    from hub.auth import revoke
    from hub.storage import Database

    settings = _settings(database_url=database_url, config=config)

    async def run() -> bool:
        db = Database(settings.database_url)
        try:
            return await revoke(db, principal_id)
        finally:
            await db.dispose()

    if not asyncio.run(run()):
        typer.echo(f"no active principal {principal_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"principal {principal_id} revoked")


@adapters_app.command("list")
def adapters_list(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The installed adapter kinds with their capabilities and actions."""
    from adapters.sdk.registry import describe_kinds

    kinds = describe_kinds()
    if as_json:
        typer.echo(json.dumps(kinds, ensure_ascii=False, indent=2, default=str))
        return
    for entry in kinds:
        typer.echo(f"{entry['kind']}")
        typer.echo(f"  capabilities: {', '.join(entry['capabilities']) or '-'}")
        typer.echo(f"  actions:      {', '.join(entry['actions']) or '-'}")
        if entry.get("source"):
            typer.echo(f"  from:         {entry['source']}")


@adapters_app.command("new")
def adapters_new(
    name: Annotated[str, typer.Argument(help="The new kind's name, e.g. bank.")],
    dest: Annotated[Path, typer.Option("--dest", help="Where to write the package.")] = Path("."),
) -> None:
    """Scaffold an adapter distribution for a new agency kind."""
    from adapters.sdk.scaffold import create_adapter_package

    for path in create_adapter_package(name, dest):
        typer.echo(str(path))


@audit_app.command("verify")
def audit_verify(database_url: DatabaseOpt = None, config: ConfigOpt = None) -> None:
    """Re-walk the audit chain: exit 0 intact, 1 with the first broken entry."""
    from hub.audit import verify_chain
    from hub.storage import Database

    settings = _settings(database_url=database_url, config=config)

    async def run() -> tuple[int, int | None, str]:
        db = Database(settings.database_url)
        try:
            return await verify_chain(db)
        finally:
            await db.dispose()

    count, broken, reason = asyncio.run(run())
    if broken is not None:
        typer.echo(f"audit chain BROKEN at entry {broken}: {reason}")
        raise typer.Exit(1)
    typer.echo(f"audit chain intact: {count} entries")


@schema_app.command("export")
def schema_export() -> None:
    """Print the GraphQL SDL."""
    from schema import build_schema

    sys.stdout.write(build_schema().as_str() + "\n")


@courts_app.command("add")
def courts_add(
    code: Annotated[str, typer.Argument(help="e.g. 浙0102")],
    name: Annotated[str, typer.Argument(help="e.g. 杭州市上城区人民法院")],
    level: Annotated[str, typer.Option(help="high, intermediate, basic or special.")] = "basic",
    division: Annotated[str | None, typer.Option(help="Administrative division code.")] = None,
    database_url: DatabaseOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Add a court to the reference list."""
    from hub.cases import add_court
    from hub.errors import HubError
    from hub.storage import Database

    settings = _settings(database_url=database_url, config=config)

    async def run() -> None:
        db = Database(settings.database_url)
        try:
            await add_court(db, code, name, level, division)
        finally:
            await db.dispose()

    try:
        asyncio.run(run())
    except HubError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"court {code} added")


@courts_app.command("list")
def courts_list(database_url: DatabaseOpt = None, config: ConfigOpt = None) -> None:
    """List the known courts."""
    from hub.cases import courts
    from hub.storage import Database

    settings = _settings(database_url=database_url, config=config)

    async def run() -> None:
        db = Database(settings.database_url)
        try:
            for court in await courts(db):
                typer.echo(f"{court.code}\t{court.name}")
        finally:
            await db.dispose()

    asyncio.run(run())


@app.command()
def bench(
    quick: Annotated[
        bool, typer.Option("--quick", help="A short run (under two minutes).")
    ] = False,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the figures as JSON.")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="Run on this database (PostgreSQL); default SQLite."),
    ] = None,
    soak: Annotated[
        bool,
        typer.Option("--soak", help="Add the soak: faults, an outage, kill -9 (PostgreSQL)."),
    ] = False,
) -> None:
    """Run the benchmark scenarios against local mocks and print the figures."""
    from bench.run import main as run_bench

    run_bench(quick=quick, json_path=json_path, database_url=database_url, soak=soak)


def _ensure_schema(settings: Settings) -> None:
    """Serve and worker bring a fresh or older database to the newest revision first
    (idempotent; on PostgreSQL concurrent starters wait for the one that migrates)."""
    from hub.storage import migrate as run_migrations

    run_migrations(settings.database_url)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
