"""The CLI refuses early and clearly: busy ports (nothing written first), token expiry,
and help without noise."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.auth import expiry
from hub.cli import app
from hub.errors import BadUserInput
from mocks.runner import PORT_OFFSETS
from tests.support import free_port

runner = CliRunner()


@pytest.fixture
def taken() -> Iterator[int]:
    """A port something is listening on."""
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def one_line_refusal(output: str, port: int, flag: str) -> None:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "已被占用" in lines[0] and "already in use" in lines[0], lines[0]
    assert str(port) in lines[0] and flag in lines[0]
    assert "Traceback" not in output


def test_demo_on_a_busy_port_writes_nothing(
    taken: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "demo.db"
    result = runner.invoke(app, ["demo", "--port", str(taken), "--database-url", f"sqlite:///{db}"])
    assert result.exit_code == 1
    one_line_refusal(result.output, taken, "--port")
    assert list(tmp_path.iterdir()) == []  # no hub.demo.toml, no database


def test_demo_with_a_busy_mock_port_writes_nothing(
    taken: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    base = taken - max(PORT_OFFSETS.values())  # the last mock's port is the busy one
    result = runner.invoke(app, ["demo", "--port", str(free_port()), "--mock-port-base", str(base)])
    assert result.exit_code == 1
    one_line_refusal(result.output, taken, "--mock-port-base")
    assert list(tmp_path.iterdir()) == []


def test_serve_on_a_busy_port_migrates_nothing(taken: int, tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    args = ["serve", "--port", str(taken), "--database-url", f"sqlite:///{db}"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    one_line_refusal(result.output, taken, "--port")
    assert not db.exists()


def test_mocks_on_a_busy_port_write_no_config(taken: int, tmp_path: Path) -> None:
    config = tmp_path / "hub.toml"
    result = runner.invoke(app, ["mocks", "--port-base", str(taken), "--write-config", str(config)])
    assert result.exit_code == 1
    one_line_refusal(result.output, taken, "--port-base")
    assert not config.exists()


def test_serve_refuses_production_on_the_development_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_ENV", "production")
    monkeypatch.delenv("HUB_SECRET_KEY", raising=False)
    db = tmp_path / "hub.db"
    args = ["serve", "--port", str(free_port()), "--database-url", f"sqlite:///{db}"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "HUB_SECRET_KEY" in result.output and "Traceback" not in result.output
    assert not db.exists()


@pytest.mark.parametrize("days", ["0", "-1"])
def test_token_expiry_is_at_least_one_day(days: str, tmp_path: Path) -> None:
    args = ["token", "create", "--role", "admin", "--scope", "*", "--expires-days", days]
    result = runner.invoke(app, [*args, "--database-url", f"sqlite:///{tmp_path}/hub.db"])
    assert result.exit_code == 2
    assert "--expires-days" in result.output
    with pytest.raises(BadUserInput) as refused:
        expiry(int(days))
    assert refused.value.field == "expiresDays"


def test_help_shows_no_type_noise() -> None:
    for args in (["--help"], ["serve", "--help"], ["token", "create", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0
        assert "<bool>" not in result.output, result.output
        assert "--help" in result.output
