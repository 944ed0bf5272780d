"""A QUERY answered in the console takes the answering agency kind's own columns.

A county public-security bureau without a system of its own (a ``police``
agency on the console channel) answers with vehicles and whereabouts, not
with a real-estate registry's certificates and areas. Plain HTTP: the form
is fetched, filled and posted as a browser would.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from adapters.sdk.config import AgencyConfig
from hub import assistance
from tests.console.conftest import (
    CASE_NUMBER,
    SUBJECT_ID,
    ZHANGPU,
    Console,
    csrf_of,
    file_demo_case,
)
from tests.support import start_hub

POLICE = AgencyConfig(
    id="police-zhangpu",
    kind="police",
    name="漳浦县公安局",
    channel="console",
)
OFFICER = ("agency_officer", POLICE.id)


@pytest.fixture
async def console(database_url: str) -> AsyncIterator[Console]:
    async with start_hub(database_url, agencies=[ZHANGPU, POLICE]) as live:
        yield Console(live, await file_demo_case(live))


async def query(console: Console) -> str:
    row = await assistance.create_request(
        console.live.state,
        console.officer,
        assistance.RequestData(CASE_NUMBER, SUBJECT_ID, POLICE.id, "QUERY"),
    )
    return row.id


async def test_the_form_has_the_kind_own_columns(console: Console) -> None:
    request_id = await query(console)
    async with console.signed_in(*OFFICER) as client:
        page = (await client.get(f"/console/requests/{request_id}")).text
    assert page.count('name="vehicles.plate"') == 3  # a list: three blank rows
    assert page.count('name="whereabouts.residence"') == 1  # one record
    for heading in ("号牌", "品牌型号", "户籍地址", "居住地"):
        assert f"<th>{heading}</th>" in page
    assert "certificate" not in page and "不动产权证号" not in page


async def test_the_answer_is_read_by_those_columns(console: Console) -> None:
    request_id = await query(console)
    async with console.signed_in(*OFFICER) as client:
        page = await client.get(f"/console/requests/{request_id}")
        response = await client.post(
            f"/console/requests/{request_id}/answer",
            data={
                "csrf": csrf_of(page.text),
                "outcome": "found",
                "vehicles.plate": ["闽E12345", "", "闽E67890"],
                "vehicles.model": ["比亚迪秦", "", "五菱宏光"],
                "whereabouts.household_address": ["漳浦县绥安镇某村"],
                "whereabouts.residence": ["厦门市思明区某小区"],
            },
        )
        assert response.status_code == 303, response.text
        shown = (await client.get(f"/console/requests/{request_id}")).text
    assert "车辆：闽E12345 · 比亚迪秦" in shown
    assert "下落：漳浦县绥安镇某村 · 厦门市思明区某小区" in shown
    answered = await console.request(request_id)
    assert (answered.status, answered.outcome) == ("COMPLETED", "found")
    assert answered.result == {
        "found": True,
        "vehicles": [
            {"plate": "闽E12345", "model": "比亚迪秦"},
            {"plate": "闽E67890", "model": "五菱宏光"},
        ],
        "whereabouts": [
            {"household_address": "漳浦县绥安镇某村", "residence": "厦门市思明区某小区"}
        ],
    }


async def test_a_row_missing_a_required_column_is_marked_and_nothing_written(
    console: Console,
) -> None:
    request_id = await query(console)
    async with console.signed_in(*OFFICER) as client:
        page = await client.get(f"/console/requests/{request_id}")
        response = await client.post(
            f"/console/requests/{request_id}/answer",
            data={
                "csrf": csrf_of(page.text),
                "outcome": "found",
                "vehicles.plate": ["闽E12345"],
                "vehicles.model": [""],
            },
        )
    assert response.status_code == 400
    assert "第 1 行须填写「品牌型号」" in response.text
    assert re.search(r'name="vehicles.model"[^>]*class="invalid"', response.text)
    assert 'value="闽E12345"' in response.text  # what was typed is kept
    assert (await console.request(request_id)).status == "DISPATCHED"


async def test_not_found_is_said_so(console: Console) -> None:
    request_id = await query(console)
    async with console.signed_in(*OFFICER) as client:
        page = await client.get(f"/console/requests/{request_id}")
        response = await client.post(
            f"/console/requests/{request_id}/answer",
            data={"csrf": csrf_of(page.text), "outcome": "not_found"},
        )
        assert response.status_code == 303
        shown = (await client.get(f"/console/requests/{request_id}")).text
    assert "未查到财产" in shown
    answered = await console.request(request_id)
    assert answered.result == {"found": False, "vehicles": [], "whereabouts": []}
