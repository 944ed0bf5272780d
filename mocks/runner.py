"""Serve the six mock agencies on local ports and write a ``hub.toml`` for them.

``hub mocks`` calls ``run``; tests and ``hub demo`` use ``MockCluster``::

    async with MockCluster(load_world(), port_base=9100) as cluster:
        cluster.base_urls["police"]        # "http://127.0.0.1:9100"

Ports: police ``B+0``, realestate ``B+1``, tax ``B+2``, hr ``B+3``, credit ``B+4``,
bank ``B+5`` (one server for every bank in the world; one agency per bank); the
mocks other distributions bring (entry-point group ``hub.mocks``, ``mocks._kind``)
take ``B+6`` on, in the order of their names.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette

from mocks._common import DEV_SECRETS, KINDS, load_world
from mocks._kind import MockKind, installed_mocks
from mocks.bank import banks

HOST = "127.0.0.1"
PORT_OFFSETS: dict[str, int] = {kind: offset for offset, kind in enumerate(KINDS)}
CONSOLE_REGISTRY = "350623"  # 漳浦县: a county registry without a system of its own

# Real-estate registries by code: agency id and name.
AGENCY_SLUGS: dict[str, str] = {
    "350600": "realestate-zhangzhou",
    "350200": "realestate-xiamen",
    "350300": "realestate-putian",
    "350623": "realestate-zhangpu",
}
REGISTRY_NAMES: dict[str, str] = {
    "350600": "漳州市不动产登记中心",
    "350200": "厦门市不动产登记中心",
    "350300": "莆田市不动产登记中心",
    "350623": "漳浦县不动产登记中心",
}

# The province-wide agencies: kind → (id, name).
PROVINCIAL: dict[str, tuple[str, str]] = {
    "police": ("police-fujian", "福建省公安厅"),
    "tax": ("tax-fujian", "国家税务总局福建省税务局"),
    "hr": ("hr-fujian", "福建省人力资源和社会保障厅"),
    "credit": ("credit-fujian", "福建省公共信用信息中心"),
}


def registry_agency_id(code: str) -> str:
    return AGENCY_SLUGS.get(code, f"realestate-{code}")


def registry_name(code: str) -> str:
    return REGISTRY_NAMES.get(code, f"不动产登记中心（{code}）")


def extra_mocks() -> list[MockKind]:
    """The mocks installed distributions bring, after the built-in ones."""
    return installed_mocks(exclude=frozenset(KINDS))


def served_kinds() -> list[str]:
    return [*KINDS, *(m.kind for m in extra_mocks())]


def port_offsets() -> dict[str, int]:
    return {kind: offset for offset, kind in enumerate(served_kinds())}


def build_apps(world: Mapping[str, Any] | None) -> dict[str, Starlette]:
    """One fresh app per kind, all on (copies of) the same world."""
    apps: dict[str, Starlette] = {}
    for kind in KINDS:
        module = importlib.import_module(f"mocks.{kind}")
        apps[kind] = module.create_app(dict(world) if world is not None else None)
    for mock in extra_mocks():
        apps[mock.kind] = mock.create_app(dict(world) if world is not None else None)
    return apps


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to whoever runs the loop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class MockCluster:
    """The six mocks served by uvicorn on ``HOST``, in the current event loop."""

    def __init__(
        self,
        world: Mapping[str, Any] | None = None,
        *,
        port_base: int = 9100,
        host: str = HOST,
    ) -> None:
        self.world = dict(world) if world is not None else load_world()
        self.port_base = port_base
        self.host = host
        self.apps: dict[str, Starlette] = {}
        self._servers: list[_Server] = []
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def base_urls(self) -> dict[str, str]:
        return {
            kind: f"http://{self.host}:{self.port_base + offset}"
            for kind, offset in port_offsets().items()
        }

    async def start(self) -> None:
        # Bind first: a taken port is an OSError here, not a sys.exit inside uvicorn.
        sockets: list[socket.socket] = []
        try:
            offsets = port_offsets()
            kinds = list(offsets)
            for kind in kinds:
                sockets.append(self._bind(self.port_base + offsets[kind]))
        except OSError:
            for sock in sockets:
                sock.close()
            raise
        self.apps = build_apps(self.world)
        try:
            for kind, sock in zip(kinds, sockets, strict=True):
                config = uvicorn.Config(
                    self.apps[kind],
                    log_level="warning",
                    access_log=False,
                    lifespan="on",
                    timeout_graceful_shutdown=1,
                )
                server = _Server(config)
                self._servers.append(server)
                self._tasks.append(asyncio.create_task(server.serve(sockets=[sock])))
            while not all(s.started for s in self._servers):
                for task in self._tasks:
                    if task.done():  # it stopped before it started: surface why
                        task.result()
                        raise RuntimeError("a mock agency server stopped during startup")
                await asyncio.sleep(0.01)
        except BaseException:
            await self.stop()
            for sock in sockets:  # uvicorn closes them on shutdown, if it got that far
                sock.close()
            raise

    def _bind(self, port: int) -> socket.socket:
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says
        # TCP, and accepted sockets inherit it; without it every keep-alive answer after
        # the first waits for the client's delayed ACK (~40 ms).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self.host, port))
        except OSError:
            sock.close()
            raise
        sock.set_inheritable(True)
        return sock

    async def stop(self) -> None:
        for server in self._servers:
            server.should_exit = True
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._servers.clear()
        self._tasks.clear()

    async def __aenter__(self) -> MockCluster:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


# -- hub.toml --------------------------------------------------------------------------------


def _toml_string(value: str) -> str:
    """A TOML basic string; ``json.dumps`` escapes are valid TOML escapes."""
    return json.dumps(value, ensure_ascii=False)


def _table(entries: Mapping[str, str | None]) -> str:
    lines = ["[[agencies]]"]
    lines += [f"{key} = {_toml_string(value)}" for key, value in entries.items() if value]
    return "\n".join(lines)


def bank_agency_id(code: str) -> str:
    """``bank-icbc-zhangzhou`` for the bank coded ``icbc-zhangzhou``."""
    return code if code.startswith("bank-") else f"bank-{code}"


def registry_codes(world: Mapping[str, Any]) -> list[str]:
    """Registry codes in the world's real-estate records, in order of first appearance."""
    codes = (str(r.get("registry")) for r in world.get("real_estate", []) if r.get("registry"))
    return list(dict.fromkeys(codes))


def render_config(
    port_base: int, world: Mapping[str, Any], *, public_url: str | None = None
) -> str:
    """A ``hub.toml`` that works as it is against mocks served at ``port_base``.

    ``public_url`` (what agencies call back) goes into the ``[hub]`` table.
    """
    urls = {kind: f"http://{HOST}:{port_base + offset}" for kind, offset in port_offsets().items()}
    head = [
        "# hub.toml for the local mock agencies (`hub mocks --port-base "
        f"{port_base}`), written by mocks.runner.",
        "# Dev secrets are inline; production configs use secret_env instead of secret.",
    ]
    if public_url:
        head.append(f"# Agencies call the hub back at {public_url}/callbacks/<agency id>.")
        head.append(f"\n[hub]\npublic_url = {_toml_string(public_url)}")
    tables: list[str] = []

    def provincial(kind: str) -> None:
        agency_id, name = PROVINCIAL[kind]
        tables.append(
            _table(
                {
                    "id": agency_id,
                    "kind": kind,
                    "name": name,
                    "base_url": urls[kind],
                    "channel": "api",
                    "jurisdiction": "35",
                    "secret": DEV_SECRETS[kind],
                }
            )
        )

    provincial("police")
    for code in registry_codes(world):
        if code == CONSOLE_REGISTRY:
            continue
        tables.append(
            _table(
                {
                    "id": registry_agency_id(code),
                    "kind": "realestate",
                    "name": registry_name(code),
                    "base_url": urls["realestate"],
                    "registry": code,
                    "jurisdiction": code,
                    "channel": "api",
                    "secret": DEV_SECRETS["realestate"],
                }
            )
        )
    tables.append(
        "# A county registry with no system of its own: its staff answer in the hub console.\n"
        + _table(
            {
                "id": registry_agency_id(CONSOLE_REGISTRY),
                "kind": "realestate",
                "name": registry_name(CONSOLE_REGISTRY),
                "registry": CONSOLE_REGISTRY,
                "jurisdiction": CONSOLE_REGISTRY,
                "channel": "console",
            }
        )
    )
    for kind in ("tax", "hr", "credit"):
        provincial(kind)
    for code, name in banks(world).items():
        tables.append(
            _table(
                {
                    "id": bank_agency_id(code),
                    "kind": "bank",
                    "name": name,
                    "base_url": urls["bank"],
                    "bank": code,
                    "jurisdiction": "35",
                    "channel": "api",
                    "secret": DEV_SECRETS["bank"],
                }
            )
        )
    for mock in extra_mocks():
        tables.extend(_table(entry) for entry in mock.agencies(world, urls[mock.kind]))
    return "\n".join(head) + "\n\n" + "\n\n".join(tables) + "\n"


async def run(world_path: Path | None, port_base: int, write_config: Path | None) -> None:
    """Serve the mocks until cancelled (Ctrl-C), optionally writing a matching hub.toml."""
    world = await asyncio.to_thread(load_world, world_path)
    if write_config is not None:
        text = render_config(port_base, world)
        await asyncio.to_thread(write_config.write_text, text, encoding="utf-8")
    async with MockCluster(world, port_base=port_base) as cluster:
        if write_config is not None:
            print(f"wrote {write_config}", flush=True)
        for kind, url in cluster.base_urls.items():
            print(f"{kind:<11} {url}", flush=True)
        await asyncio.Event().wait()
