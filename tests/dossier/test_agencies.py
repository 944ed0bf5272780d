"""``agencies``: each configured agency, what it can read and do, and its live circuit."""

from __future__ import annotations

from tests.dossier.conftest import Scene

QUERY = "{ agencies { id kind name jurisdiction channel capabilities actions circuitState } }"


async def test_agencies_lists_the_configuration(scene: Scene) -> None:
    observer = await scene.hub.token("observer", "（2023）闽0602执1234号")
    body = await scene.hub.gql(QUERY, token=observer)
    assert "errors" not in body, body
    agencies = {a["id"]: a for a in body["data"]["agencies"]}
    assert list(agencies) == [
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
    ]
    assert agencies["realestate-xiamen"] == {
        "id": "realestate-xiamen",
        "kind": "realestate",
        "name": "厦门市不动产登记中心",
        "jurisdiction": "350200",
        "channel": "API",
        "capabilities": ["REAL_ESTATE"],
        "actions": ["QUERY", "RENEW_SEAL", "SEAL", "TRANSFER", "UNSEAL"],
        "circuitState": "CLOSED",
    }
    assert agencies["realestate-zhangpu"]["channel"] == "CONSOLE"
    assert agencies["realestate-zhangpu"]["circuitState"] == "NOT_APPLICABLE"
    assert agencies["police-fujian"]["capabilities"] == ["VEHICLES", "WHEREABOUTS"]
    assert agencies["hr-fujian"]["capabilities"] == ["EMPLOYMENT", "WAGE_ARREARS"]
