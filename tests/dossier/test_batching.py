"""A list of cases with their parties' dossiers: one upstream call per agency (per batch)."""

from __future__ import annotations

from mocks.runner import MockCluster
from tests.dossier.conftest import Scene, case_input, open_scene, resident_id

LIST = """
{ cases(first: 50) { nodes { number parties(role: RESPONDENT) { role dossier {
    credit { listed } realEstate { certificateNumber } sources { agency { id } state } } } } } }
"""


async def file_cases(scene: Scene, count: int) -> list[str]:
    """``count`` more cases, each with its own respondent (the first one is 陈某某's)."""
    numbers = []
    for i in range(count):
        number = f"（2023）闽0602执{2000 + i}号"
        await scene.file(case_input(number, (f"当事人{i}", resident_id(i))))
        numbers.append(number)
    return numbers


async def test_list_of_cases_costs_one_call_per_agency(scene: Scene) -> None:
    await file_cases(scene, 19)  # 20 cases: 20 respondents (applicants have no dossier)
    before = await scene.requests()
    body = await scene.hub.gql(LIST, token=scene.officer)
    assert "errors" not in body, body
    cases = body["data"]["cases"]["nodes"]
    assert len(cases) == 20
    dossiers = [p["dossier"] for c in cases for p in c["parties"]]
    assert all(s["state"] in ("OK", "NOT_APPLICABLE") for d in dossiers for s in d["sources"])
    chen = next(c for c in cases if c["number"] == "（2023）闽0602执1234号")
    assert chen["parties"][0]["dossier"]["credit"] == {"listed": True}
    assert len(chen["parties"][0]["dossier"]["realEstate"]) == 3

    after = await scene.requests()
    # credit: one batch; real estate: one batch per registry (three behind one server)
    assert {k: after[k] - before[k] for k in after} == {
        "police": 0,
        "realestate": 3,
        "tax": 0,
        "hr": 0,
        "credit": 1,
        "bank": 0,
    }
    assert len(await scene.audit("dossier.read")) == 20  # every respondent of every case
    exchanges = await scene.audit("agency.read")
    assert len(exchanges) == 4
    assert {e.detail["subjects"] for e in exchanges} == {20}


async def test_batches_are_cut_at_the_agency_batch_size(
    database_url: str, cluster: MockCluster
) -> None:
    small = {"credit-fujian": {"batch_size": 8}}
    async with open_scene(database_url, cluster, small) as scene:
        await file_cases(scene, 19)
        before = await scene.requests()
        query = (
            "{ cases(first: 50) { nodes { parties(role: RESPONDENT) {"
            " dossier { credit { listed } } } } } }"
        )
        body = await scene.hub.gql(query, token=scene.officer)
        assert "errors" not in body, body
        after = await scene.requests()
        assert after["credit"] - before["credit"] == 3  # 20 subjects in chunks of 8
        assert after["realestate"] == before["realestate"]
