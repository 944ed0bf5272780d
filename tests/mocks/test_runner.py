"""The runner: apps for every kind, a real cluster on local ports, a working hub.toml."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from adapters.bank import BankAccount, BankAdapter
from adapters.sdk.config import AgencyConfig
from adapters.sdk.records import Subject
from mocks._common import DEV_SECRETS, KINDS, load_world
from mocks.bank import bank_code
from mocks.runner import (
    AGENCY_SLUGS,
    PORT_OFFSETS,
    MockCluster,
    bank_agency_id,
    build_apps,
    registry_agency_id,
    render_config,
    run,
)


def free_port_base() -> int:
    """A base with a free port for each kind, consecutive (checked, then released)."""
    for _ in range(50):
        base = random.randint(20000, 60000)
        socks: list[socket.socket] = []
        try:
            for offset in range(len(KINDS)):
                sock = socket.socket()
                socks.append(sock)
                sock.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError("no free ports")


def test_build_apps_covers_every_kind() -> None:
    apps = build_apps({"persons": []})
    assert set(apps) == set(KINDS)
    assert all(app.state.agency.world == {"persons": []} for app in apps.values())


def test_registry_slugs() -> None:
    assert AGENCY_SLUGS["350600"] == "realestate-zhangzhou"
    assert registry_agency_id("350200") == "realestate-xiamen"
    assert registry_agency_id("350500") == "realestate-350500"


def test_rendered_config_parses_and_validates() -> None:
    world = load_world()
    text = render_config(9100, world, public_url="http://127.0.0.1:8000")
    assert text.startswith("#")
    document = tomllib.loads(text)
    assert document["hub"] == {"public_url": "http://127.0.0.1:8000"}
    configs = {c.id: c for c in (AgencyConfig(**entry) for entry in document["agencies"])}
    assert set(configs) == {
        "police-fujian",
        "realestate-zhangzhou",
        "realestate-xiamen",
        "realestate-putian",
        "realestate-zhangpu",
        "tax-fujian",
        "hr-fujian",
        "credit-fujian",
        "bank-icbc-zhangzhou",
        "bank-cib-zhangzhou",
    }
    police = configs["police-fujian"]
    assert (police.base_url, police.jurisdiction, police.channel) == (
        "http://127.0.0.1:9100",
        "35",
        "api",
    )
    assert police.shared_secret() == DEV_SECRETS["police"]
    zhangzhou = configs["realestate-zhangzhou"]
    assert zhangzhou.name == "漳州市不动产登记中心"
    assert (zhangzhou.extra("registry"), zhangzhou.base_url) == ("350600", "http://127.0.0.1:9101")
    zhangpu = configs["realestate-zhangpu"]
    assert (zhangpu.channel, zhangpu.base_url, zhangpu.extra("registry")) == (
        "console",
        None,
        "350623",
    )
    assert configs["credit-fujian"].base_url == "http://127.0.0.1:9104"
    assert configs["tax-fujian"].name == "国家税务总局福建省税务局"
    icbc = configs["bank-icbc-zhangzhou"]
    assert (icbc.kind, icbc.name, icbc.extra("bank")) == (
        "bank",
        "中国工商银行漳州分行",
        "icbc-zhangzhou",
    )
    assert icbc.base_url == "http://127.0.0.1:9105" == configs["bank-cib-zhangzhou"].base_url
    assert icbc.shared_secret() == DEV_SECRETS["bank"]


def test_bank_agencies_follow_the_world() -> None:
    assert PORT_OFFSETS["bank"] == 5
    world: dict[str, Any] = {
        "bank_accounts": [{"bank": "中国工商银行漳州分行"}, {"bank": "某农村商业银行"}] * 2
    }
    agencies = tomllib.loads(render_config(9100, world))["agencies"]
    banks = [(a["id"], a["name"], a["bank"]) for a in agencies if a["kind"] == "bank"]
    code = bank_code("某农村商业银行")
    assert banks == [
        ("bank-icbc-zhangzhou", "中国工商银行漳州分行", "icbc-zhangzhou"),
        (code, "某农村商业银行", code),  # a derived code already reads bank-...
    ]
    assert code.startswith("bank-") and bank_agency_id(code) == code


def test_config_follows_the_world_and_escapes() -> None:
    world: dict[str, Any] = {"real_estate": [{"registry": '35"05'}, {"registry": "350600"}]}
    document = tomllib.loads(render_config(9200, world))
    ids = [a["id"] for a in document["agencies"]]
    assert 'realestate-35"05' in ids and "realestate-xiamen" not in ids
    assert "hub" not in document


async def _bank_accounts(url: str, subject: Subject) -> list[BankAccount]:
    config = AgencyConfig(
        id="bank-icbc-zhangzhou",
        kind="bank",
        name="中国工商银行漳州分行",
        base_url=url,
        bank="icbc-zhangzhou",
        secret=DEV_SECRETS["bank"],
    )
    adapter = BankAdapter(config)
    try:
        return (await adapter.bank_accounts([subject]))[subject.id_number]
    finally:
        await adapter.aclose()


class _Hub:
    """A stand-in for the hub's callback endpoint, served by uvicorn on a free port."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", interface="asgi3")
        self.server = uvicorn.Server(config)
        self.server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]

    async def app(self, scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        self.bodies.append(message.get("body", b""))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def eventually(check: Any, limit: int = 300) -> None:
    for _ in range(limit):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")


async def test_cluster_serves_each_kind_and_calls_back() -> None:
    base = free_port_base()
    hub = _Hub()
    hub_task = asyncio.create_task(hub.server.serve(sockets=[hub.sock]))
    try:
        async with MockCluster(load_world(), port_base=base) as cluster:
            urls = cluster.base_urls
            assert urls["police"] == f"http://127.0.0.1:{base}"
            assert urls["credit"] == f"http://127.0.0.1:{base + 4}"
            assert urls["bank"] == f"http://127.0.0.1:{base + 5}"
            async with httpx.AsyncClient() as client:
                for kind, url in urls.items():
                    assert (await client.get(f"{url}/_admin/stats")).status_code == 200, kind
                found = await client.post(
                    f"{urls['police']}/api/v1/persons/search",
                    json={"id_numbers": ["350602198003150015"]},
                    headers={"Authorization": f"Bearer {DEV_SECRETS['police']}"},
                )
                assert found.json()["persons"][0]["name"] == "陈某某"
                await client.put(f"{urls['bank']}/_admin/faults", json={"complete_after_ms": 0})
                accounts = await _bank_accounts(
                    urls["bank"], Subject("350602198003150015", "陈某某")
                )
                assert [a.account_number for a in accounts] == ["6222021408001234567"]

                # an order with a callback URL reports back over real HTTP
                await client.put(f"{urls['hr']}/_admin/faults", json={"complete_after_ms": 30})
                order = {
                    "category": "QUERY",
                    "subject": {"id": "350602198003150015"},
                    "callback": f"{hub.url}/callbacks/hr-fujian",
                }
                headers = {
                    "Authorization": f"Bearer {DEV_SECRETS['hr']}",
                    "Idempotency-Key": "cb-1",
                }
                sent = await client.post(f"{urls['hr']}/assistance", json=order, headers=headers)
                assert sent.is_success

                async def delivered() -> bool:
                    stats = (await client.get(f"{urls['hr']}/_admin/stats")).json()
                    return bool(stats["callbacks_sent"] == 2)

                await eventually(delivered)
            assert [b'"ACKNOWLEDGED"' in b for b in hub.bodies] == [True, False]
            # a busy port is an error, not a crash
            with pytest.raises(OSError):
                async with MockCluster(load_world(), port_base=base):
                    pass
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.ConnectError):
                await client.get(f"{urls['police']}/_admin/stats")
    finally:
        hub.server.should_exit = True
        await hub_task


async def test_run_writes_config_and_serves_until_cancelled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = free_port_base()
    target = tmp_path / "hub.toml"
    task = asyncio.create_task(run(None, base, target))
    printed: list[str] = []

    async def announced() -> bool:
        printed.append(capsys.readouterr().out)
        return "bank" in "".join(printed)

    try:
        await eventually(announced)
        assert f"police      http://127.0.0.1:{base}" in "".join(printed)
        assert tomllib.loads(target.read_text(encoding="utf-8"))["agencies"]
        async with httpx.AsyncClient() as client:
            stats = await client.get(f"http://127.0.0.1:{base + 4}/_admin/stats")
            assert stats.is_success
            docs = await client.get(f"http://127.0.0.1:{base + 5}/docs")
            assert "GBK" in docs.text
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert task.cancelled()


async def test_mock_sockets_are_tcp_with_nodelay() -> None:
    """asyncio sets TCP_NODELAY only on sockets made as IPPROTO_TCP; without it a keep-alive
    answer waits for the client's delayed ACK and a fast agency looks 40 ms slower."""
    async with MockCluster(load_world(), port_base=free_port_base()) as cluster:
        sockets = [
            sock
            for server in cluster._servers
            for listener in server.servers
            for sock in listener.sockets
        ]
        assert len(sockets) == len(KINDS)
        for sock in sockets:
            assert sock.proto == socket.IPPROTO_TCP  # what accepted connections inherit
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
