"""The ``hub`` command."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from hub.settings import Settings, load_settings

# Plain help (rich_markup_mode=None): the rich one labels every flag `<bool>`.
app = typer.Typer(
    help="Linkage hub: one graph between the enforcement bureau and its agencies.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
token_app = typer.Typer(
    help="Bearer tokens for principals.", no_args_is_help=True, rich_markup_mode=None
)
adapters_app = typer.Typer(
    help="Installed adapter kinds.", no_args_is_help=True, rich_markup_mode=None
)
audit_app = typer.Typer(
    help="The audit log: verify, checkpoint, prove.", no_args_is_help=True, rich_markup_mode=None
)
schema_app = typer.Typer(help="The GraphQL schema.", no_args_is_help=True, rich_markup_mode=None)
courts_app = typer.Typer(
    help="The courts reference list.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(token_app, name="token")
app.add_typer(adapters_app, name="adapters")
app.add_typer(audit_app, name="audit")
app.add_typer(schema_app, name="schema")
graphiql_app = typer.Typer(
    help="GraphiQL's scripts and styles, for a hub without internet access.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(courts_app, name="courts")
app.add_typer(graphiql_app, name="graphiql")

DatabaseOpt = Annotated[
    str | None, typer.Option("--database-url", help="Overrides HUB_DATABASE_URL / hub.toml.")
]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="hub.toml (agencies, settings).")]


def _settings(**flags: object) -> Settings:
    return load_settings(**flags)


def _refuse_busy(host: str, ports: list[int], flag: str) -> None:
    """One line and exit 1 when a port is taken; called before anything is written."""
    from hub.ports import PortsBusy, require_free

    try:
        require_free(host, ports, flag)
    except PortsBusy as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def _refuse_unsafe(settings: Settings) -> None:
    from hub.settings import UnsafeSettings, check_startup

    try:
        check_startup(settings)
    except UnsafeSettings as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


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
    _refuse_unsafe(settings)
    _refuse_busy(settings.host, [settings.port], "--port")
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
    port_base: Annotated[int, typer.Option("--port-base", help="First port; six are used.")] = 9100,
    write_config: Annotated[
        Path | None, typer.Option("--write-config", help="Write a hub.toml for these mocks.")
    ] = None,
) -> None:
    """Run the mock agencies (the built-in kinds' and any installed kind's), each on its port."""
    from mocks.runner import HOST, port_offsets, run

    _refuse_busy(HOST, [port_base + o for o in sorted(port_offsets().values())], "--port-base")

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
    from mocks.runner import HOST, PORT_OFFSETS

    _refuse_busy(HOST, [port], "--port")
    mock_ports = [mock_port_base + o for o in sorted(PORT_OFFSETS.values())]
    _refuse_busy(HOST, mock_ports, "--mock-port-base")

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
    role: Annotated[
        str, typer.Option(help="court_officer, agency_officer, observer, admin or applicant.")
    ],
    scope: Annotated[
        str, typer.Option(help="Court code, agency id, case numbers, or * for admin.")
    ],
    name: Annotated[str | None, typer.Option(help="A label for the principal.")] = None,
    expires_days: Annotated[
        int | None, typer.Option("--expires-days", min=1, help="Expire after N days (1 or more).")
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
    from adapters.sdk.registry import describe_kinds, load_adapter_class

    kinds = describe_kinds()
    if as_json:
        typer.echo(json.dumps(kinds, ensure_ascii=False, indent=2, default=str))
        return
    for entry in kinds:
        typer.echo(f"{entry['kind']}  ({entry['source']})  {entry['description']}".rstrip())
        typer.echo(f"  capabilities: {', '.join(entry['capabilities']) or '-'}")
        typer.echo(f"  actions:      {', '.join(entry['actions']) or '-'}")
        if entry["error"]:
            typer.echo(f"  error:        {entry['error']}")
            continue
        cls = load_adapter_class(entry["kind"])
        for c in sorted(cls.capabilities):
            shape = f"[{c.graphql_type}!]!" if c.many else c.graphql_type
            asset = ", an Asset" if c.asset is not None else ""
            typer.echo(f"    {c.name}: Dossier.{c.field}: {shape}{asset} ({c.title})")
        for name in sorted(cls.actions):
            spec = cls.action_specs[name]
            takes = ", ".join(spec.details.model_fields) if spec.details is not None else "-"
            typer.echo(f"    {name} ({spec.label}): details {takes}; effect {spec.effect.value}")


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
def audit_verify(
    database_url: DatabaseOpt = None,
    config: ConfigOpt = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="A checkpoint kept from `hub audit checkpoint`."),
    ] = None,
) -> None:
    """Re-walk the audit log: exit 0 intact, 1 with the first bad entry."""
    from hub.audit_keys import Checkpoint, load_signer
    from hub.audit_sequencer import Sequencer
    from hub.audit_verify import Verdict, verify_log
    from hub.storage import Database

    settings = _settings(database_url=database_url, config=config)
    signer = load_signer(settings)
    kept = None
    if checkpoint is not None:
        try:
            kept = Checkpoint.from_dict(json.loads(checkpoint.read_text()))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            typer.echo(f"not a checkpoint: {checkpoint}: {exc}", err=True)
            raise typer.Exit(2) from exc

    async def run() -> Verdict:
        db = Database(settings.database_url)
        try:
            await Sequencer(db, signer).sequence()
            return await verify_log(db, trusted=signer.public, checkpoint=kept)
        finally:
            await db.dispose()

    verdict = asyncio.run(run())
    if verdict.broken == 0:
        typer.echo(f"checkpoint REJECTED: {verdict.reason}")
        raise typer.Exit(1)
    if verdict.broken is not None:
        named = (
            f" (entry id {verdict.entry_id})"
            if verdict.entry_id not in (None, verdict.broken)
            else ""
        )
        typer.echo(f"audit chain BROKEN at entry {verdict.broken}: {verdict.reason}{named}")
        raise typer.Exit(1)
    against = f", consistent with the checkpoint of size {kept.tree_size}" if kept else ""
    typer.echo(f"audit chain intact: {verdict.checked} entries{against}")


@audit_app.command("checkpoint")
def audit_checkpoint(database_url: DatabaseOpt = None, config: ConfigOpt = None) -> None:
    """Print the latest signed checkpoint (JSON) for a third party to keep."""
    from hub.audit_keys import Checkpoint, load_signer
    from hub.audit_sequencer import Sequencer
    from hub.audit_verify import latest_checkpoint
    from hub.storage import Database

    settings = _settings(database_url=database_url, config=config)
    signer = load_signer(settings)

    async def run() -> Checkpoint:
        db = Database(settings.database_url)
        try:
            await Sequencer(db, signer).sequence()
            return await latest_checkpoint(db, signer)
        finally:
            await db.dispose()

    typer.echo(json.dumps(asyncio.run(run()).as_dict(), indent=2))


@audit_app.command("prove")
def audit_prove(
    entry_id: Annotated[int, typer.Argument(help="The entry's id.")],
    database_url: DatabaseOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Print an RFC 6962 inclusion proof of one entry in the latest checkpoint (JSON)."""
    from dataclasses import asdict

    from hub.audit_keys import load_signer
    from hub.audit_sequencer import Sequencer
    from hub.audit_verify import InclusionProof, inclusion_proof
    from hub.storage import Database

    settings = _settings(database_url=database_url, config=config)
    signer = load_signer(settings)

    async def run() -> InclusionProof | None:
        db = Database(settings.database_url)
        try:
            await Sequencer(db, signer).sequence()
            return await inclusion_proof(db, signer, entry_id)
        finally:
            await db.dispose()

    proof = asyncio.run(run())
    if proof is None:
        typer.echo(f"no audit entry {entry_id}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(asdict(proof), ensure_ascii=False, indent=2))


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


@graphiql_app.command("fetch")
def graphiql_fetch(
    folder: Annotated[Path, typer.Argument(help="The folder to fill (graphiql_assets_dir).")],
    npm: Annotated[
        str | None, typer.Option("--npm", help="The npm to run; default the one on PATH.")
    ] = None,
) -> None:
    """Fetch the files the GraphiQL page loads from unpkg.com (npm pack, from the npm
    registry or the mirror npm is set up for) into FOLDER, each checked against the
    page's integrity hash; then set HUB_GRAPHIQL_ASSETS_DIR=FOLDER on the hub."""
    from hub.web.graphiql_assets import (
        AssetMismatch,
        AssetsUnavailable,
        fetch,
        ide_html,
        page_assets,
    )

    assets = page_assets(ide_html())
    try:
        written = fetch(folder, assets, npm=npm)
    except (AssetsUnavailable, AssetMismatch) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for path in written:
        typer.echo(str(path))
    typer.echo(f"{len(written)} files in {folder}: set HUB_GRAPHIQL_ASSETS_DIR={folder.resolve()}")


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
