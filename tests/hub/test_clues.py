"""Property clues become proposed requests to the right agency instance."""

from __future__ import annotations

import tomllib

from adapters.sdk.config import AgencyConfig
from mocks._common import load_world
from mocks.runner import render_config
from tests.schema.test_cases import FILE, case_input
from tests.support import start_hub

SUBMIT = """
mutation($input: PropertyClueInput!) {
  submitPropertyClue(input: $input) { id kind region status proposals { agencyId action details } }
}"""


def agencies() -> list[AgencyConfig]:
    raw = tomllib.loads(render_config(9900, load_world()))["agencies"]
    return [AgencyConfig(**a) for a in raw]


async def submit(live, token: str, **clue: object) -> dict:  # type: ignore[no-untyped-def]
    variables = {
        "input": {
            "caseNumber": "（2026）闽0602执1234号",
            "subjectIdNumber": "350602198003150015",
            **clue,
        }
    }
    return await live.gql(SUBMIT, variables, token=token)


async def test_clues_are_routed_by_capability_action_and_jurisdiction(database_url: str) -> None:
    async with start_hub(database_url, agencies=agencies()) as live:
        token = await live.token("court_officer", "闽0602")
        assert "errors" not in await live.gql(FILE, {"input": case_input()}, token=token)

        house = await submit(
            live, token, kind="REAL_ESTATE", description="申请人称被执行人在芗城区有一套住宅",
            region="350602", details={"certificate": "闽(2019)漳州市不动产权第0012345号"},
        )  # fmt: skip
        proposals = house["data"]["submitPropertyClue"]["proposals"]
        assert [(p["agencyId"], p["action"]) for p in proposals] == [
            ("realestate-zhangzhou", "SEAL")
        ]

        county = await submit(
            live, token, kind="REAL_ESTATE", description="漳浦县一处房产", region="350623"
        )
        proposals = county["data"]["submitPropertyClue"]["proposals"]
        # the county registry is more specific than the city's; without a certificate: a query
        assert [(p["agencyId"], p["action"]) for p in proposals] == [
            ("realestate-zhangpu", "QUERY")
        ]

        car = await submit(
            live,
            token,
            kind="VEHICLE",
            description="车辆常停万达广场",
            details={"plate": "闽E12345"},
        )
        assert [
            (p["agencyId"], p["action"]) for p in car["data"]["submitPropertyClue"]["proposals"]
        ] == [("police-fujian", "CONTROL_VEHICLE")]

        other = await submit(live, token, kind="OTHER", description="其他线索")
        assert other["data"]["submitPropertyClue"]["proposals"] == []

        case = await live.gql(
            '{ case(number: "（2026）闽0602执1234号") { clues { kind } events { kind } } }',
            token=token,
        )
        assert [c["kind"] for c in case["data"]["case"]["clues"]] == [
            "REAL_ESTATE",
            "REAL_ESTATE",
            "VEHICLE",
            "OTHER",
        ]
        assert [e["kind"] for e in case["data"]["case"]["events"]].count("CLUE_SUBMITTED") == 4


async def test_clue_for_a_stranger_or_bad_region_writes_nothing(database_url: str) -> None:
    async with start_hub(database_url, agencies=agencies()) as live:
        token = await live.token("court_officer", "闽0602")
        assert "errors" not in await live.gql(FILE, {"input": case_input()}, token=token)
        stranger = await live.gql(
            SUBMIT,
            {"input": {"caseNumber": "（2026）闽0602执1234号", "subjectIdNumber": "350203198507220034",
                       "kind": "REAL_ESTATE", "description": "厦门的房子"}},
            token=token,
        )  # fmt: skip
        assert stranger["errors"][0]["extensions"] == {
            "code": "BAD_USER_INPUT",
            "field": "subjectIdNumber",
        }
        bad_region = await submit(live, token, kind="REAL_ESTATE", description="x", region="35A")
        assert bad_region["errors"][0]["extensions"]["field"] == "region"
        case = await live.gql(
            '{ case(number: "（2026）闽0602执1234号") { clues { id } } }', token=token
        )
        assert case["data"]["case"]["clues"] == []
        other_court = await live.token("court_officer", "闽0206")
        refused = await submit(live, other_court, kind="OTHER", description="x")
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
