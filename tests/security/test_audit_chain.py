"""The audit chain holds: tampering behind the application's back is found and named by
``hub audit verify`` (the real command, run as a subprocess), concurrent appends do not
fork it, and the application itself cannot change an entry."""

from __future__ import annotations

import asyncio
import itertools

import pytest
import sqlalchemy as sa

from hub import audit
from hub.audit import AuditTampering
from hub.audit_sequencer import sequencer_for
from hub.models import AuditEntry
from tests.security.scene import (
    audit_rows,
    case_input,
    case_number,
    file_case,
    hub_command,
    ok,
    raw_sql,
)
from tests.support import LiveHub

FILE_CASE = "mutation($input: FileCaseInput!) { fileCase(input: $input) { number } }"


async def verify(url: str) -> tuple[int, str]:
    return await hub_command("audit", "verify", "--database-url", url)


async def sequenced_rows(hub: LiveHub) -> list[AuditEntry]:
    """Every entry, in log order, after the sequencer has taken in all of them."""
    await sequencer_for(hub.state).sequence()
    rows = sorted(await audit_rows(hub), key=lambda r: r.seq or 0)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    return rows


async def some_history(hub: LiveHub, cases: int = 4) -> list[int]:
    """Positions of the entries some filed cases left (one signed checkpoint per case)."""
    token = await hub.token("court_officer", "闽0602")
    for _ in range(cases):
        await file_case(hub, token)
        await sequencer_for(hub.state).sequence()
    positions = [r.seq for r in await sequenced_rows(hub) if r.seq is not None]
    assert len(positions) >= cases
    return positions


async def test_an_intact_chain_verifies(hub: LiveHub, database_url: str) -> None:
    ids = await some_history(hub)
    status, out = await verify(database_url)
    assert status == 0, out
    assert f"intact: {len(ids)} entries" in out


async def flip_a_byte(hub: LiveHub, database_url: str, column: str) -> int:
    ids = await some_history(hub)
    victim = ids[len(ids) // 2]
    rows = {r.seq: r for r in await sequenced_rows(hub)}
    original = getattr(rows[victim], column)
    flipped = ("X" if original[0] != "X" else "Y") + original[1:]
    await raw_sql(
        database_url, f"UPDATE audit_log SET {column} = :v WHERE seq = :s", v=flipped, s=victim
    )
    return victim


async def test_a_changed_byte_is_found_and_named(hub: LiveHub, database_url: str) -> None:
    victim = await flip_a_byte(hub, database_url, "actor")

    status, out = await verify(database_url)

    assert status == 1, out
    assert f"BROKEN at entry {victim}: content does not match its hash" in out


@pytest.mark.parametrize("column", ["action", "purpose", "hash", "prev_hash"])
async def test_every_column_is_covered(hub: LiveHub, database_url: str, column: str) -> None:
    victim = await flip_a_byte(hub, database_url, column)
    assert (await audit.verify_chain(hub.state.db))[1] == victim


async def test_a_changed_detail_is_found(hub: LiveHub, database_url: str) -> None:
    token = await hub.token("court_officer", "闽0602")
    number = await file_case(hub, token)
    changed = await hub.gql(
        "mutation($n: String!) { updateCaseStatus(number: $n, status: SETTLED) { status } }",
        {"n": number},
        token=token,
    )
    ok(changed)
    entry = next(r for r in await sequenced_rows(hub) if r.action == "case.status")
    assert entry.detail["to"] == "SETTLED"
    await raw_sql(
        database_url,
        "UPDATE audit_log SET detail = :d WHERE id = :id",
        d='{"from": "OPEN", "to": "CONCLUDED"}',
        id=entry.id,
    )
    assert (await audit.verify_chain(hub.state.db))[1] == entry.seq


async def test_a_deleted_entry_in_the_middle_is_found(hub: LiveHub, database_url: str) -> None:
    ids = await some_history(hub)
    victim = ids[len(ids) // 2]
    await raw_sql(database_url, "DELETE FROM audit_log WHERE seq = :s", s=victim)

    status, out = await verify(database_url)

    assert status == 1, out
    assert f"BROKEN at entry {victim}: entry missing" in out


async def test_a_deleted_tail_is_found(hub: LiveHub, database_url: str) -> None:
    ids = await some_history(hub)
    await raw_sql(database_url, "DELETE FROM audit_log WHERE seq = :s", s=ids[-1])
    assert (await audit.verify_chain(hub.state.db))[1:] == (ids[-1], "entry missing")


async def test_an_emptied_log_is_found(hub: LiveHub, database_url: str) -> None:
    await some_history(hub)
    await raw_sql(database_url, "DELETE FROM audit_log")
    assert (await audit.verify_chain(hub.state.db))[1:] == (1, "entry missing")


async def test_a_renumbered_chain_is_found(hub: LiveHub, database_url: str) -> None:
    """Removing an entry and closing the gap breaks the next entry's link."""
    ids = await some_history(hub)
    victim = ids[1]
    await raw_sql(database_url, "DELETE FROM audit_log WHERE seq = :s", s=victim)
    for later in ids[2:]:
        await raw_sql(database_url, "UPDATE audit_log SET seq = seq - 1 WHERE seq = :s", s=later)
    await raw_sql(database_url, "DELETE FROM audit_checkpoints WHERE tree_size = :n", n=ids[-1])
    assert (await audit.verify_chain(hub.state.db))[1] == victim


async def test_concurrent_appends_keep_one_chain(hub: LiveHub, database_url: str) -> None:
    token = await hub.token("court_officer", "闽0602")
    await hub.gql("{ me { id } }", token=token)
    numbers = [case_number(700_000 + i) for i in range(50)]

    bodies = await asyncio.gather(
        *(hub.gql(FILE_CASE, {"input": case_input(n)}, token=token) for n in numbers)
    )

    assert all("errors" not in b for b in bodies), [b for b in bodies if "errors" in b][:1]
    rows = await sequenced_rows(hub)
    assert sorted(r.purpose for r in rows if r.action == "case.filed") == sorted(numbers)
    assert sorted(r.id for r in rows) == list(range(1, len(rows) + 1))
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    checked, broken, why = await audit.verify_chain(hub.state.db)
    assert (checked, broken, why) == (len(rows), None, "")


async def test_the_application_cannot_change_or_remove_entries(hub: LiveHub) -> None:
    await some_history(hub, cases=1)
    db = hub.state.db
    with pytest.raises(AuditTampering):
        async with db.transaction() as session:
            entry = await session.get(AuditEntry, 1)
            assert entry is not None
            entry.actor = "someone else"
    with pytest.raises(AuditTampering):
        async with db.transaction() as session:
            entry = await session.get(AuditEntry, 1)
            await session.delete(entry)
    with pytest.raises(AuditTampering):
        async with db.transaction() as session:
            await session.execute(sa.delete(AuditEntry).where(AuditEntry.id == 1))
    with pytest.raises(AuditTampering):
        async with db.transaction() as session:
            await session.execute(sa.update(AuditEntry).values(actor="someone else"))
    assert (await audit.verify_chain(db))[1] is None
