"""Settings: flags win over ``HUB_*`` environment variables, which win over ``hub.toml``."""

from __future__ import annotations

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

    # GraphQL hardening
    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_body_bytes: int = 256 * 1024
    dossier_reads_per_minute: int = 120

    # dispatcher
    dispatcher_poll_s: float = 0.2
    dispatcher_batch: int = 20
    dispatcher_lease_s: float = 30.0
    dispatcher_max_attempts: int = 8
    dispatcher_backoff_s: float = 1.0
    poll_after_s: float = 30.0  # poll an agency when no callback came in this long
    callback_max_age_s: float = 300.0

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
    """Build settings from hub.toml, then the environment, then ``overrides`` (CLI flags).

    ``None`` overrides are ignored, so a flag left unset does not hide the
    environment.
    """
    flags = {k: v for k, v in overrides.items() if v is not None}
    env_only = Settings(**{k: v for k, v in flags.items() if k == "config"})
    config_path = env_only.config
    file_values: dict[str, Any] = {}
    if config_path is not None:
        raw = _read_toml(Path(config_path))
        hub_section = raw.get("hub", {})
        file_values = {k: v for k, v in hub_section.items()}
        file_values["agencies"] = raw.get("agencies", [])
        if "due_days" in raw:
            file_values["due_days"] = raw["due_days"]
    # Environment beats the file: start from the file, let pydantic-settings read env
    # variables over it by passing only the keys the environment does not set.
    env_set = Settings()
    env_keys = {name for name in Settings.model_fields if _env_has(name)}
    merged: dict[str, Any] = {}
    for key, value in file_values.items():
        if key not in env_keys:
            merged[key] = value
    for key in env_keys:
        merged[key] = getattr(env_set, key)
    merged.update(flags)
    return Settings(**merged)


def _env_has(name: str) -> bool:
    import os

    return f"HUB_{name.upper()}" in os.environ
