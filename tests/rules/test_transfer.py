"""Title transfer (过户) after an auction: only once the sale's taxes are settled."""

from __future__ import annotations

from typing import Any

from tests.assistance.loop import Admin, Loop, data, error, file_case

FLAT = "闽(2019)漳州市不动产权第0012345号"
BUYER = {
    "ruling": "（2026）闽0602执1号之五",
    "buyer_name": "林某",
    "buyer_id": "350302198806110029",
}


def transfer(**details: Any) -> dict[str, Any]:
    return {
        "agencyId": "realestate-zhangzhou",
        "action": "TRANSFER",
        "documentNumber": "（2026）闽0602执1号之六",
        "details": {"certificate": FLAT, **BUYER, **details},
    }


async def test_transfer_waits_for_a_completed_tax_request_of_the_case(
    live: tuple[Loop, Admin],
) -> None:
    loop, _ = live
    for details in ({}, {"tax_request_id": "no-such-request"}):
        refused = error(await loop.create(**transfer(**details)))
        assert refused["extensions"] == {
            "code": "BAD_USER_INPUT",
            "field": "details.tax_request_id",
        }

    tax = data(
        await loop.create(
            agencyId="tax-fujian", action="TAX_ASSIST", details={"price": "1500000.00"}
        )
    )["createAssistanceRequest"]
    # not yet completed, and another case's completed request does not count
    other = await file_case(loop.live, 2)
    foreign = data(
        await other.create(
            agencyId="tax-fujian", action="TAX_ASSIST", details={"price": "1500000.00"}
        )
    )["createAssistanceRequest"]
    await other.wait_status(foreign["id"], {"COMPLETED"})
    refused = error(await loop.create(**transfer(tax_request_id=foreign["id"])))
    assert refused["extensions"]["field"] == "details.tax_request_id"

    await loop.wait_status(tax["id"], {"COMPLETED"})
    created = data(await loop.create(**transfer(tax_request_id=tax["id"])))[
        "createAssistanceRequest"
    ]
    done = await loop.wait_status(created["id"], {"COMPLETED", "REJECTED"})
    assert done["status"] == "COMPLETED", done
    assert done["answer"]["result"]["new_owner"] == "林某"
