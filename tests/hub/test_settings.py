"""Settings precedence: flags over HUB_* environment over hub.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.settings import DEFAULT_DATABASE_URL, load_settings

TOML = """
[hub]
database_url = "sqlite:///from-file.db"
port = 8100
env = "production"

[[agencies]]
id = "police-fujian"
kind = "police"
name = "福建省公安厅"
base_url = "http://127.0.0.1:9100"
secret_env = "HUB_SECRET_POLICE"

[[agencies]]
id = "realestate-zhangzhou"
kind = "realestate"
name = "漳州市不动产登记中心"
base_url = "http://127.0.0.1:9101"
registry = "350600"
channel = "api"
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("HUB_DATABASE_URL", "HUB_PORT", "HUB_ENV", "HUB_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "hub.toml"
    path.write_text(TOML, encoding="utf-8")
    return path


def test_defaults_without_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUB_DATABASE_URL", raising=False)
    monkeypatch.delenv("HUB_CONFIG", raising=False)
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite:///./hub.db"
    assert settings.agencies == []


def test_file_values_and_agencies(config: Path) -> None:
    settings = load_settings(config=config)
    assert settings.database_url == "sqlite:///from-file.db"
    assert settings.port == 8100
    assert settings.production
    assert [a.id for a in settings.agencies] == ["police-fujian", "realestate-zhangzhou"]
    assert settings.agencies[1].extra("registry") == "350600"


def test_environment_beats_file_and_flags_beat_environment(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_DATABASE_URL", "sqlite:///from-env.db")
    monkeypatch.setenv("HUB_PORT", "8200")
    settings = load_settings(config=config)
    assert settings.database_url == "sqlite:///from-env.db"
    assert settings.port == 8200
    flagged = load_settings(config=config, database_url="sqlite:///from-flag.db", port=None)
    assert flagged.database_url == "sqlite:///from-flag.db"
    assert flagged.port == 8200  # an unset flag does not hide the environment


def test_config_path_from_environment(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_CONFIG", str(config))
    assert load_settings().port == 8100


def test_secret_env_is_read_at_use(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_SECRET_POLICE", "s3cret")
    police = load_settings(config=config).agencies[0]
    assert police.shared_secret() == "s3cret"
    assert "s3cret" not in police.model_dump_json()  # the secret itself never lands in config dumps


def test_graphiql_assets_dir_from_file_or_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUB_GRAPHIQL_ASSETS_DIR", raising=False)
    monkeypatch.delenv("HUB_CONFIG", raising=False)
    assert load_settings().graphiql_assets_dir is None  # the page loads from unpkg.com
    path = tmp_path / "hub.toml"
    path.write_text('[hub]\ngraphiql_assets_dir = "/srv/hub/graphiql-assets"\n', encoding="utf-8")
    assert load_settings(config=path).graphiql_assets_dir == Path("/srv/hub/graphiql-assets")
    monkeypatch.setenv("HUB_GRAPHIQL_ASSETS_DIR", "/opt/graphiql")
    assert load_settings(config=path).graphiql_assets_dir == Path("/opt/graphiql")
