"""The full dossier under load: 20 clients, agencies 100 ms away, CPU per dossier.

The query asks for everything the graph's ``Dossier`` offers (every capability
of the installed kinds, the assets too), built from the graph itself so a new
kind's fields are read as soon as it is installed. The hub server's CPU time
(user + system, from ``/proc/<pid>/stat``) over the run, divided by the
dossiers it served, is ``dossier_cpu_ms``: what a read costs the hub itself,
whatever the agencies' latency.
"""

from __future__ import annotations

from collections.abc import Mapping

from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)

from bench.fanout import FANOUT_LATENCY_MS, set_faults
from bench.harness import Progress, bearer, closed_loop, cpu_seconds, gql
from bench.wire import Connection, post_request

DOSSIER_CLIENTS = 20
_MAX_DEPTH = 3


def _required_args(field: GraphQLField) -> bool:
    return any(
        isinstance(arg.type, GraphQLNonNull) and arg.default_value is None
        for arg in field.args.values()
    )


def _selection(named: GraphQLNamedType, depth: int, path: frozenset[str]) -> str:
    """Every field without required arguments, objects to ``_MAX_DEPTH`` levels, no cycles."""
    if isinstance(named, GraphQLUnionType | GraphQLInterfaceType):
        schema_types = _SCHEMA.get_possible_types(named)
        parts = ["__typename"]
        if isinstance(named, GraphQLInterfaceType):
            inner = _fields(named, depth, path)
            if inner:
                parts.append(inner)
        for t in schema_types:
            inner = _fields(t, depth, path | {t.name})
            if inner:
                parts.append(f"... on {t.name} {{ {inner} }}")
        return " ".join(parts)
    assert isinstance(named, GraphQLObjectType)
    return _fields(named, depth, path)


def _fields(
    named: GraphQLObjectType | GraphQLInterfaceType, depth: int, path: frozenset[str]
) -> str:
    picked: list[str] = []
    for name, field in named.fields.items():
        if _required_args(field):
            continue
        inner_type = get_named_type(field.type)
        if isinstance(inner_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            if depth >= _MAX_DEPTH or inner_type.name in path:
                continue
            inner = _selection(inner_type, depth + 1, path | {inner_type.name})
            if inner:
                picked.append(f"{name} {{ {inner} }}")
        else:
            picked.append(name)
    return " ".join(picked)


def _graph() -> GraphQLSchema:
    from schema import build_schema

    return build_schema()._schema


_SCHEMA = _graph()


def full_dossier_query() -> str:
    dossier = _SCHEMA.get_type("Dossier")
    assert isinstance(dossier, GraphQLObjectType)
    # the subject (a party) and agencies are the case's, not the dossier's: kept shallow
    body = _selection(dossier, 1, frozenset({"Dossier", "Case"}))
    return (
        "query FullDossier($caseNumber: String!, $idNumber: String!) {\n"
        f"  dossier(caseNumber: $caseNumber, idNumber: $idNumber) {{ {body} }}\n}}"
    )


async def dossier_load(
    hub_url: str,
    hub_pid: int,
    token: str,
    mocks: Mapping[str, str],
    case_number: str,
    id_number: str,
    seconds: float,
    progress: Progress,
) -> dict[str, float]:
    """``DOSSIER_CLIENTS`` closed-loop clients reading the full dossier for ``seconds``."""
    await set_faults(mocks, {"latency_ms": FANOUT_LATENCY_MS, "callbacks": False})
    query = full_dossier_query()
    variables = {"caseNumber": case_number, "idNumber": id_number}
    async with Connection(hub_url) as connection:
        body = await gql(connection, query, variables, token=token)  # warm-up, and a check
    bad = [
        s for s in body["data"]["dossier"]["sources"] if s["state"] not in ("OK", "NOT_APPLICABLE")
    ]
    if bad:
        raise RuntimeError(f"a dossier source failed before the load: {bad}")
    request = post_request(
        Connection(hub_url).authority,
        "/graphql",
        {"query": query, "variables": variables},
        bearer(token),
    )

    first_error: list[bytes] = []

    async def call(connection: Connection, i: int) -> bool:
        reply = await connection.send(request)
        ok = reply.status == 200 and b'"errors"' not in reply.body
        if not ok and not first_error:
            first_error.append(reply.body[:500])
        return ok

    progress(f"full dossier: {DOSSIER_CLIENTS} clients for {seconds:.0f} s")
    cpu_before = cpu_seconds(hub_pid)
    result = await closed_loop(hub_url, call, concurrency=DOSSIER_CLIENTS, duration_s=seconds)
    cpu = cpu_seconds(hub_pid) - cpu_before
    if first_error:
        progress(f"full dossier: {result.errors} errors, the first: {first_error[0]!r}")
    if result.count == 0:
        raise RuntimeError(
            f"the full-dossier load got no successful answers ({result.errors} errors)"
        )
    return {
        "dossier_rps_20": result.rps,
        "dossier_cpu_ms": cpu * 1000 / result.count,
        "dossier_p50_ms": result.ms(50),
        "dossier_p95_ms": result.ms(95),
        "dossier_errors": float(result.errors),
        "dossier_cpu_share": cpu / result.elapsed_s,
    }
