"""``hub demo``: the five mock agencies, a seeded database and the hub in one process."""

from __future__ import annotations

import asyncio
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hub.assistance import RequestData, create_request
from hub.auth import Principal, Role, create_principal
from hub.cases import CaseData, PartyData, file_case
from hub.errors import Conflict
from hub.settings import Settings, load_settings
from hub.state import HubState
from hub.storage import migrate_async
from hub.tickets import TicketData, open_ticket, reply_ticket
from hub.web.app import build_state

DEMO_CASES: list[dict[str, Any]] = [
    {
        # a pawn shop's claim against a private debtor, at a district court in Zhangzhou
        "court": "闽0602",
        "number": "（2023）闽0602执1234号",
        "filed_on": date(2023, 6, 12),
        "cause": "典当纠纷",
        "amount": "150000.00",
        "livelihood": None,
        "parties": [
            ("APPLICANT", "ORGANIZATION", "漳州市某典当有限责任公司", "91350600MA2Y00001B"),
            ("RESPONDENT", "PERSON", "陈某某", "350602198003150015"),
        ],
    },
    {
        "court": "闽0602",
        "number": "（2026）闽0602执2088号",
        "filed_on": date(2026, 9, 3),
        "cause": "民间借贷纠纷",
        "amount": "80000.00",
        "livelihood": None,
        "parties": [
            ("APPLICANT", "PERSON", "张某", "350602197501010010"),
            ("RESPONDENT", "PERSON", "陈某某", "350602198003150015"),
        ],
    },
    {
        # a debtor whose flat lies in a county whose registry has no system of its own:
        # the demo's seal order waits in that registry's console inbox
        "court": "闽0602",
        "number": "（2026）闽0602执2301号",
        "filed_on": date(2026, 10, 20),
        "cause": "买卖合同纠纷",
        "amount": "260000.00",
        "livelihood": None,
        "parties": [
            ("APPLICANT", "ORGANIZATION", "厦门某贸易有限公司", "91350200MA2Y00002R"),
            ("RESPONDENT", "PERSON", "周某", "350623197005050023"),
        ],
    },
    {
        # migrant workers' wages against a construction firm (根治欠薪)
        "court": "闽0206",
        "number": "（2026）闽0206执567号",
        "filed_on": date(2026, 8, 18),
        "cause": "追索劳动报酬纠纷",
        "amount": "150000.00",
        "livelihood": "WAGES",
        "parties": [
            ("APPLICANT", "PERSON", "王某", "350206199209090052"),
            ("RESPONDENT", "ORGANIZATION", "福建某建设工程有限公司", "91350206MA2Y00003K"),
        ],
    },
    {
        # an alimony claim
        "court": "闽0302",
        "number": "（2026）闽0302执89号",
        "filed_on": date(2026, 10, 9),
        "cause": "扶养费纠纷",
        "amount": "36000.00",
        "livelihood": "ALIMONY",
        "parties": [
            ("APPLICANT", "PERSON", "黄某", "350302199002030044"),
            ("RESPONDENT", "PERSON", "林某", "350302198806110029"),
        ],
    },
]

DEMO_ORDERS: list[tuple[str, RequestData]] = [
    (
        "闽0602",
        RequestData(
            case_number="（2026）闽0602执2301号",
            subject_id_number="350623197005050023",
            agency_id="realestate-zhangpu",
            action="SEAL",
            document_number="（2026）闽0602执2301号之一",
            details={"certificate": "闽(2017)漳浦县不动产权第0006789号"},
            idempotency_key="demo-seal-zhangpu-2301",
        ),
    ),
]

DEMO_PRINCIPALS: list[tuple[Role, str, str]] = [
    (Role.COURT_OFFICER, "闽0602", "芗城区法院执行局 李法官"),
    (Role.COURT_OFFICER, "闽0206", "湖里区法院执行局 吴法官"),
    (Role.AGENCY_OFFICER, "realestate-zhangpu", "漳浦县不动产登记中心 窗口"),
    (Role.AGENCY_OFFICER, "realestate-zhangzhou", "漳州市不动产登记中心 窗口"),
    (Role.OBSERVER, "（2023）闽0602执1234号", "申请执行人代理律师"),
    (Role.ADMIN, "*", "系统管理员"),
    (Role.APPLICANT, "（2026）闽0602执2088号:350602197501010010", "申请执行人 张某"),
    (Role.SUPERVISOR, "闽06", "漳州市中级人民法院执行局 督导"),
]

# Applicants' requests (诉求) on the service centre's channels: (court, ticket, the reply
# if it has been answered). Idempotency keys make them once.
DEMO_TICKETS: list[tuple[str, TicketData, str | None]] = [
    (
        "闽0602",
        TicketData(
            case_number="（2026）闽0602执2088号",
            channel="HOTLINE",
            category="PROGRESS",
            content="来电询问：案件立案已两个月，被执行人的房产是否已查封？",
            applicant_name="张某",
            applicant_phone="13800000001",
            idempotency_key="demo-ticket-2088-hotline",
        ),
        "已向不动产登记中心发出查询，结果回复后将第一时间告知。",
    ),
    (
        "闽0602",
        TicketData(
            case_number="（2026）闽0602执2088号",
            channel="WINDOW",
            category="FUNDS",
            content="窗口来访：被执行人已部分履行，申请人询问案款何时发放。",
            applicant_name="张某",
            applicant_phone="13800000001",
            idempotency_key="demo-ticket-2088-window",
        ),
        None,
    ),
    (
        "闽0602",
        TicketData(
            case_number="（2023）闽0602执1234号",
            channel="LETTER",
            category="COMPLAINT",
            content="来信反映：承办法官长期未与申请人联系。",
            applicant_name="漳州市某典当有限责任公司",
            received_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
            idempotency_key="demo-ticket-1234-letter",
        ),
        None,
    ),
]


async def seed_tickets(hub: HubState) -> None:
    for court, data, reply in DEMO_TICKETS:
        desk = Principal(0, "诉求服务中心", Role.COURT_OFFICER, court)
        ticket = await open_ticket(hub, desk, data)
        if reply is not None and ticket.reply is None:
            await reply_ticket(hub, desk, ticket.id, reply)


async def seed(hub: HubState) -> list[tuple[Principal, str]]:
    """Demo cases and orders (once) and fresh demo tokens (every run: only hashes are stored)."""
    for spec in DEMO_CASES:
        officer = Principal(0, "demo-seed", Role.COURT_OFFICER, spec["court"])
        data = CaseData(
            number=spec["number"],
            filed_on=spec["filed_on"],
            cause=spec["cause"],
            amount_claimed=spec["amount"],
            livelihood=spec["livelihood"],
            parties=[PartyData(*p) for p in spec["parties"]],
        )
        try:
            await file_case(hub.db, officer, data)
        except Conflict:
            pass  # seeded by an earlier run
    for court, order in DEMO_ORDERS:
        if hub.agencies.get(order.agency_id) is not None:
            officer = Principal(0, "demo-seed", Role.COURT_OFFICER, court)
            await create_request(hub, officer, order)  # the idempotency key makes it once
    await seed_tickets(hub)
    return [await create_principal(hub.db, role=r, scope=s, name=n) for r, s, n in DEMO_PRINCIPALS]


def demo_settings(port: int, database_url: str | None, config_path: Path) -> Settings:
    return load_settings(
        port=port,
        database_url=database_url,
        config=config_path,
        log_json=False,
        log_level="WARNING",
    )


async def run_demo(
    *, port: int, world: Path | None, database_url: str | None, mock_port_base: int
) -> None:
    from hub.logs import configure_logging
    from hub.server import make_server
    from mocks._common import load_world
    from mocks.runner import MockCluster, render_config

    world_doc = load_world(world)
    config_path = Path("hub.demo.toml")
    public_url = f"http://127.0.0.1:{port}"
    rendered = render_config(mock_port_base, world_doc, public_url=public_url)
    await asyncio.to_thread(config_path.write_text, rendered, encoding="utf-8")
    settings = demo_settings(port, database_url, config_path)
    configure_logging(settings)
    await migrate_async(settings.database_url)
    seeding = build_state(settings)
    try:
        tokens = await seed(seeding)
    finally:
        await seeding.aclose()
    async with MockCluster(world_doc, port_base=mock_port_base) as cluster:
        server = make_server(settings)
        serving = asyncio.create_task(server.serve())
        while not server.started and not serving.done():  # noqa: ASYNC110 - uvicorn has no start event
            await asyncio.sleep(0.05)
        if server.started:
            _print_banner(settings, cluster.base_urls, tokens, config_path)
        await serving


def _print_banner(
    settings: Settings, mocks: dict[str, str], tokens: list[tuple[Principal, str]], config: Path
) -> None:
    base = settings.callback_base
    agencies = tomllib.loads(config.read_text(encoding="utf-8")).get("agencies", [])
    print("\nlinkage hub demo is running — Ctrl-C stops everything\n")
    print(f"  GraphiQL   {base}/graphql")
    print('             its Headers tab (bottom left): {"Authorization": "Bearer <token>"}')
    print(f"  Console    {base}/console/login")
    print(f"  Metrics    {base}/metrics    Ready  {base}/readyz")
    print("\n  mock agencies:")
    for kind, url in mocks.items():
        print(f"    {kind:<11} {url}")
    print(f"\n  {len(agencies)} agencies configured in {config}")
    print("\n  demo tokens (one per role):")
    for principal, token in tokens:
        print(f"    {principal.role.value:<15} {principal.scope:<24} {principal.name}")
        print(f"      {token}")
    print("\n  try in GraphiQL:")
    print('    { case(number: "（2023）闽0602执1234号") {')
    print("        number deadline status parties { name idNumber } } }")
    print(flush=True)


def main() -> None:  # pragma: no cover - convenience for python -m hub.demo
    asyncio.run(run_demo(port=8000, world=None, database_url=None, mock_port_base=9100))


__all__ = ["DEMO_CASES", "run_demo", "seed"]
