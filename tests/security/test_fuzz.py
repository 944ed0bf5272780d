"""Schemathesis over the live graph as an authenticated court officer: whatever the generator
sends, the hub answers without a server error and without an ``INTERNAL`` error.

Schemathesis and Hypothesis drive a blocking HTTP client, so the hub runs in a
thread of its own (its own event loop), not in the test's.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx
import schemathesis
import uvicorn
from graphql import get_introspection_query
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from hub.auth import Role, create_principal
from hub.settings import Settings
from hub.storage import Database
from hub.web.app import build_state, create_app
from tests.security.scene import CONSOLE_AGENCIES, FILE_CASE, case_input, case_number
from tests.support import free_port

EXAMPLES_PER_OPERATION = 12
CODES = {
    "BAD_USER_INPUT",
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "CONFLICT",
    "UPSTREAM_UNAVAILABLE",
    "UPSTREAM_TIMEOUT",
}

# The hub's own scalars: well-formed values and junk, both.
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.decimals(
            min_value=Decimal("-1e20"), max_value=Decimal("1e20"), allow_nan=False, places=2
        ).map(str),
        st.sampled_from(["1.005", "NaN", "-Infinity", "1e999999", "", "十万"]),
        st.text(max_size=12),
    ).map(nodes.String),
)
schemathesis.graphql.scalar(
    "JSON",
    st.one_of(
        st.builds(lambda: nodes.Object([])),
        st.text(max_size=12).map(nodes.String),
        st.integers().map(nodes.Int),
    ),
)


@contextmanager
def hub_in_a_thread(database_url: str) -> Iterator[str]:
    """The real hub, served by uvicorn on its own loop in a thread; yields its URL."""
    port = free_port()
    config = Settings(
        database_url=database_url, port=port, agencies=CONSOLE_AGENCIES, log_json=False
    )
    ready = threading.Event()
    servers: list[uvicorn.Server] = []
    failures: list[BaseException] = []

    async def serve() -> None:
        state = build_state(config)
        app = create_app(config, state=state)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        servers.append(server)
        task = asyncio.create_task(server.serve())
        try:
            while not server.started:
                if task.done():  # it stopped before it started: its result says why
                    break
                await asyncio.sleep(0.01)
            ready.set()
            await task
        finally:
            await state.aclose()

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # surfaced in the test, not lost in the thread
            failures.append(exc)
            ready.set()

    thread = threading.Thread(target=run, name="hub-under-fuzz")
    thread.start()
    try:
        assert ready.wait(60), "the hub did not start"
        assert not failures, failures
        yield f"http://127.0.0.1:{port}"
    finally:
        for server in servers:
            server.should_exit = True
        thread.join(60)
    assert not failures, failures


def court_officer_token(database_url: str) -> str:
    async def create() -> str:
        db = Database(database_url)
        try:
            _, token = await create_principal(db, role=Role.COURT_OFFICER, scope="闽0602")
            return token
        finally:
            await db.dispose()

    return asyncio.run(create())


def check(response: httpx.Response, query: str) -> None:
    assert response.status_code < 500, (response.status_code, query, response.text[:500])
    if "json" not in response.headers.get("content-type", ""):
        return  # e.g. strawberry's plain-text 400 for a request it cannot read
    body: dict[str, Any] = response.json()
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code in CODES, (code, error, query)


def test_no_server_errors_and_no_internal_errors(database_url: str) -> None:
    token = court_officer_token(database_url)
    headers = {"Authorization": f"Bearer {token}"}
    with hub_in_a_thread(database_url) as url, httpx.Client(base_url=url, timeout=30) as client:
        # something to find: one case of the officer's court
        seeded = client.post(
            "/graphql",
            json={"query": FILE_CASE, "variables": {"input": case_input(case_number(1))}},
            headers=headers,
        )
        assert "errors" not in seeded.json(), seeded.text
        introspection = client.post(
            "/graphql", json={"query": get_introspection_query()}, headers=headers
        )
        schema = schemathesis.graphql.from_dict(introspection.json()["data"])
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 17  # the contract's queries and mutations at least

        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def fuzz(case: Any) -> None:
                query = case.body
                check(client.post("/graphql", json={"query": query}, headers=headers), query)

            fuzz()
