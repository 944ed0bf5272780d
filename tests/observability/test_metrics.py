"""/metrics and /readyz against the real hub and the real mock agencies."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from mocks.runner import MockCluster
from tests.observability.conftest import CASE, CASE_INPUT, DEBTOR, FILE_CASE, agency_configs
from tests.support import LiveHub, free_port, start_hub

ROOT = Path(__file__).resolve().parents[2]

CREDIT_ONLY = """query CreditOnly($c: String!, $i: String!) {
  dossier(caseNumber: $c, idNumber: $i) { credit { listed } sources { agency { id } state } }
}"""

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(live: LiveHub) -> Samples:
    response = await live.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample's value; 0.0 when it does not exist (yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum over every sample of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


async def test_metrics_count_operations_and_agency_calls(
    database_url: str, cluster: MockCluster
) -> None:
    agencies = agency_configs(cluster)
    async with (
        start_hub(database_url, agencies=agencies, dossier_reads_per_minute=1000) as live,
        httpx.AsyncClient(timeout=10) as admin,
    ):
        officer = await live.token("court_officer", "闽0602")
        assert "errors" not in await live.gql(FILE_CASE, {"input": CASE_INPUT}, token=officer)
        before = await scrape(live)

        body = await live.gql(CREDIT_ONLY, {"c": CASE, "i": DEBTOR}, token=officer)
        assert "errors" not in body, body
        await live.gql("{ me { role } }", token=officer)
        await live.gql("{ nosuchfield }", token=officer)
        after = await scrape(live)

        def delta(name: str, **labels: str) -> float:
            return value(after, name, **labels) - value(before, name, **labels)

        ops = "hub_graphql_operations_total"
        assert delta(ops, operation="CreditOnly", outcome="ok") == 1
        assert delta("hub_graphql_latency_seconds_count", operation="CreditOnly") == 1
        assert delta(ops, operation="me", outcome="ok") == 1  # anonymous: named by its fields
        assert delta(ops, operation="invalid", outcome="bad_user_input") == 1
        calls = total(after, "hub_agency_calls_total", agency="credit-fujian") - total(
            before, "hub_agency_calls_total", agency="credit-fujian"
        )
        assert calls == 1  # one batch call for the one subject
        assert delta("hub_agency_attempts_total", agency="credit-fujian") == 1
        assert delta("hub_agency_latency_seconds_count", agency="credit-fujian") == 1
        assert value(after, "hub_agency_circuit_state", agency="credit-fujian") == 0
        # only the capability asked for was consulted
        assert delta("hub_agency_attempts_total", agency="police-fujian") == 0

        credit_url = cluster.base_urls["credit"]
        (await admin.put(f"{credit_url}/_admin/faults", json={"down": True})).raise_for_status()
        failed = await live.gql(CREDIT_ONLY, {"c": CASE, "i": DEBTOR}, token=officer)
        codes = {e["extensions"]["code"] for e in failed.get("errors", [])}
        assert codes == {"UPSTREAM_UNAVAILABLE"}, failed
        last = await scrape(live)
        assert (
            value(last, ops, operation="CreditOnly", outcome="upstream_unavailable")
            - value(after, ops, operation="CreditOnly", outcome="upstream_unavailable")
            == 1
        )
        failures = "hub_agency_failures_total"
        assert (
            value(last, failures, agency="credit-fujian", failure="retriable")
            - value(after, failures, agency="credit-fujian", failure="retriable")
            == 1
        )


async def test_metrics_expose_dispatcher_and_circuit_families(hub: LiveHub) -> None:
    text = (await hub.client.get("/metrics")).text
    for family in (
        "hub_dispatch_queue_depth",
        "hub_dispatch_lag_seconds",
        "hub_graphql_operations_total",
        "hub_agency_circuit_state",
    ):
        assert f"# TYPE {family} " in text


async def test_readyz_reports_database_and_each_circuit(
    database_url: str, cluster: MockCluster
) -> None:
    agencies = agency_configs(cluster)
    async with start_hub(database_url, agencies=agencies) as live:
        ready = await live.client.get("/readyz")
        assert ready.status_code == 200
        body = ready.json()
        assert body["status"] == "ready"
        assert body["database"] == "ok"
        assert set(body["agencies"]) == {a.id for a in agencies}
        assert body["agencies"]["credit-fujian"]["circuit"] == "closed"
        assert body["agencies"]["realestate-zhangpu"]["circuit"] == "not_applicable"

        # the credit agency's recent attempts all failed: its breaker opens
        agency = live.state.agencies.get("credit-fujian")
        assert agency is not None
        breaker = agency.adapter.connector.breaker
        for _ in range(breaker.policy.breaker_min_calls):
            breaker.record(False, probe=False)
        body = (await live.client.get("/readyz")).json()
        assert body["agencies"]["credit-fujian"]["circuit"] == "open"
        assert body["agencies"]["tax-fujian"]["circuit"] == "closed"
        samples = await scrape(live)
        assert value(samples, "hub_agency_circuit_state", agency="credit-fujian") == 2
        assert value(samples, "hub_agency_circuit_state", agency="tax-fujian") == 0


async def test_readyz_is_unavailable_without_a_database() -> None:
    async with start_hub("sqlite:////nonexistent-dir/hub.db") as live:
        response = await live.client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["database"] == "unreachable"
        assert (await live.client.get("/healthz")).status_code == 200


def spawn_worker(database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HUB_METRICS_PORT": str(port), "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "hub.cli", "worker", "--database-url", database_url]
    with log.open("wb") as sink:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=sink, stderr=sink)


async def test_a_worker_serves_its_metrics_when_asked(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    process = spawn_worker(database_url, port, tmp_path / "worker.log")
    try:
        text = ""
        async with httpx.AsyncClient(timeout=1) as client:
            for _ in range(400):
                assert process.poll() is None, "the worker exited"
                try:
                    response = await client.get(f"http://127.0.0.1:{port}/metrics")
                except httpx.HTTPError:
                    await asyncio.sleep(0.05)
                    continue
                text = response.text
                if "hub_dispatch_queue_depth 0.0" in text:
                    break
                await asyncio.sleep(0.05)
        assert "hub_dispatch_queue_depth 0.0" in text
        assert "# TYPE hub_dispatch_deliveries_total counter" in text
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(process.wait, 20)
