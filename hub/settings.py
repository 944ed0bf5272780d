"""Settings: flags win over ``HUB_*`` environment variables, which win over ``hub.toml``."""

from __future__ import annotations

import os
import tomllib
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.sdk.config import AgencyConfig

DEFAULT_DATABASE_URL = "sqlite:///./hub.db"
DEV_SECRET_KEY = "dev-only-change-me"
MIN_SECRET_KEY_CHARS = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    config: Path | None = None  # hub.toml
    env: str = "development"  # "production" turns introspection and suggestions off
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None  # what agencies call back; default http://HOST:PORT
    secret_key: str = DEV_SECRET_KEY  # signs console sessions; production refuses the default
    log_level: str = "INFO"
    log_json: bool = True
    metrics_port: int | None = None  # `hub worker` serves /metrics here (serve has its own)

    # GraphQL hardening
    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_body_bytes: int = 256 * 1024
    dossier_reads_per_minute: int = 120
    # query cost (hub.cost): weight x times run, per operation
    max_cost: int = 20000
    cost_list_size: int = 5  # assumed length of a list without `first` (parties, seals...)
    cost_weights: dict[str, int] = Field(default_factory=dict)  # "Type.field" -> weight
    # persisted queries (hub.persisted): "apq" (hashes registered by clients, Apollo's
    # protocol), "allowlist" (only the queries in persisted_queries_file), or "off"
    persisted_queries: str = "apq"
    persisted_queries_file: Path | None = None  # JSON {"<sha256>": "<query>", ...}
    # GraphiQL's scripts and styles served by the hub at /graphiql-assets/ instead of
    # unpkg.com (an intranet): a folder of <package>@<version>/<path>, filled by
    # `hub graphiql fetch DIR`; unset, the page loads them from unpkg.com
    graphiql_assets_dir: Path | None = None

    # dispatcher
    dispatcher_poll_s: float = 0.2
    dispatcher_batch: int = 200  # rows in flight per dispatcher; receipts are written together
    dispatcher_lease_s: float = 60.0  # longer than any delivery, renewed while it runs
    dispatcher_max_attempts: int = 8
    dispatcher_backoff_s: float = 1.0
    poll_after_s: float = 30.0  # poll an agency when no callback came in this long
    callback_max_age_s: float = 300.0
    # delivery waits out outages: it gives up only after this long (72 h) ...
    dispatcher_retry_budget_s: float = 72 * 3600.0
    dispatcher_backoff_max_s: float = 600.0  # ... with waits between tries of at most 10 min
    probe_every_s: float = 5.0  # probe an agency this often while its circuit is not closed
    probe_timeout_s: float = 2.0
    # simulated time for soak tests: the dispatcher's clock runs this many times faster
    # than the wall clock, counted from dispatcher_clock_epoch (Unix seconds)
    dispatcher_clock_speed: float = 1.0
    dispatcher_clock_epoch: float | None = None

    # database connection pools (PostgreSQL), per process
    db_pool_size: int = 10
    db_max_overflow: int = 20

    # behind a proxy: the proxies whose X-Forwarded-For/-Proto uvicorn believes (comma-separated
    # addresses or networks, "*" for any), so the console's cookies are Secure behind TLS
    forwarded_allow_ips: str = "127.0.0.1"
    # who sees /metrics and the agency detail of /readyz: these client addresses, or
    # anyone sending `Authorization: Bearer <ops_token>`; others get 403 / the bare status
    ops_allow_ips: str = "127.0.0.1,::1"
    ops_token: str | None = None

    # audit log (hub/audit_sequencer.py, hub/audit_keys.py)
    audit_key: str | None = None  # base64 Ed25519 seed that signs checkpoints; or:
    audit_key_file: Path | None = None  # PEM; without either a development key is kept
    audit_sequence_interval_s: float = 1.0  # sequencing also follows each audited commit
    audit_sequence_batch: int = 1000
    # after a commit wakes the sequencer it waits this long, so that a busy hub's entries
    # are chained and signed many to a checkpoint instead of one each
    audit_sequence_linger_s: float = 0.2

    # tracing (hub/tracing.py; needs the `otel` extra)
    otel_endpoint: str | None = None  # OTLP/HTTP, e.g. http://collector:4318/v1/traces
    otel_service_name: str = "linkage-hub"
    # enforcement rules
    seal_reminder_days: int = 30  # remind officers this long before an effective seal lapses
    recheck_interval_days: int = 180  # 终本 cases: re-query the respondents' property this often
    recheck_years: int = 5  # ... for this long after the case was terminated
    recheck_tick_s: float = 600.0  # how often the worker looks for re-checks due

    agencies: list[AgencyConfig] = Field(default_factory=list)
    due_days: dict[str, int] = Field(default_factory=dict)  # "kind.ACTION" or "ACTION" -> days

    # applicants' tickets (诉求): see hub.ticket_due for the defaults
    ticket_due_days: dict[str, int] = Field(default_factory=dict)  # CATEGORY -> working days
    ticket_holidays: list[date] = Field(default_factory=list)  # days off besides weekends
    ticket_workdays: list[date] = Field(default_factory=list)  # weekends worked (调休)
    ticket_heads: dict[str, str] = Field(default_factory=dict)  # court code -> 执行局负责人
    ticket_remind_hours: float = 4.0  # remind the officer this long before a ticket is due
    sms_url: str | None = None  # the SMS gateway; unset: notifications are only logged
    sms_key: str | None = None

    @property
    def production(self) -> bool:
        return self.env.lower() == "production"

    @cached_property
    def callback_base(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


class UnsafeSettings(ValueError):
    """Settings the hub refuses to start with (a production hub on a development secret)."""


def check_startup(settings: Settings) -> None:
    """Refuse, at start, what must never run: production signing console sessions with the
    published development secret (anyone could forge a session cookie) or a short one."""
    if not settings.production:
        return
    if settings.secret_key == DEV_SECRET_KEY or len(settings.secret_key) < MIN_SECRET_KEY_CHARS:
        raise UnsafeSettings(
            "生产环境必须设置 HUB_SECRET_KEY（至少 32 个字符的随机值）/ production needs "
            f"HUB_SECRET_KEY set to a random value of at least {MIN_SECRET_KEY_CHARS} characters"
        )


def _read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def load_settings(**overrides: Any) -> Settings:
    """Build settings from hub.toml, then ``HUB_*`` variables, then ``overrides`` (CLI flags).

    ``None`` overrides are ignored, so a flag left unset does not hide the
    environment.
    """
    flags = {k: v for k, v in overrides.items() if v is not None}
    config_path = flags.get("config") or os.environ.get("HUB_CONFIG")
    values: dict[str, Any] = {}
    if config_path:
        raw = _read_toml(Path(config_path))
        values.update(raw.get("hub", {}))
        values["agencies"] = raw.get("agencies", [])
        if "due_days" in raw:
            values["due_days"] = raw["due_days"]
    # Init arguments would beat the environment in pydantic-settings, so file values
    # are passed only for keys the environment leaves unset.
    values = {k: v for k, v in values.items() if f"HUB_{k.upper()}" not in os.environ}
    values.update(flags)
    return Settings(**values)
