"""Settings: flags win over ``HUB_*`` environment variables, which win over ``hub.toml``."""

from __future__ import annotations

import os
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.sdk.config import AgencyConfig

DEFAULT_DATABASE_URL = "sqlite:///./hub.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    config: Path | None = None  # hub.toml
    env: str = "development"  # "production" turns introspection and suggestions off
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None  # what agencies call back; default http://HOST:PORT
    secret_key: str = "dev-only-change-me"  # signs console sessions
    log_level: str = "INFO"
    log_json: bool = True
    metrics_port: int | None = None  # `hub worker` serves /metrics here (serve has its own)

    # GraphQL hardening
    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_body_bytes: int = 256 * 1024
    dossier_reads_per_minute: int = 120

    # dispatcher
    dispatcher_poll_s: float = 0.2
    dispatcher_batch: int = 20
    dispatcher_lease_s: float = 60.0  # longer than any delivery, renewed while it runs
    dispatcher_max_attempts: int = 8
    dispatcher_backoff_s: float = 1.0
    poll_after_s: float = 30.0  # poll an agency when no callback came in this long
    callback_max_age_s: float = 300.0

    # enforcement rules
    seal_reminder_days: int = 30  # remind officers this long before an effective seal lapses
    recheck_interval_days: int = 180  # 终本 cases: re-query the respondents' property this often
    recheck_years: int = 5  # ... for this long after the case was terminated
    recheck_tick_s: float = 600.0  # how often the worker looks for re-checks due

    agencies: list[AgencyConfig] = Field(default_factory=list)
    due_days: dict[str, int] = Field(default_factory=dict)  # "kind.ACTION" or "ACTION" -> days

    @property
    def production(self) -> bool:
        return self.env.lower() == "production"

    @cached_property
    def callback_base(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


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
