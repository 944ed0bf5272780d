"""A third party can check the audit log: signed checkpoints kept outside the database
catch a rewritten tail and a dropped end (which the database alone cannot show), and an
entry's inclusion proof checks out with an RFC 6962 verifier written here, not the hub's."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.ext.asyncio import create_async_engine

from hub.audit import canonical, entry_hash
from hub.audit_sequencer import sequencer_for
from hub.auth import Role
from hub.models import AuditCheckpoint, AuditEntry
from hub.storage import async_url
from tests.security.scene import audit_rows, file_case, hub_command, ok, raw_sql
from tests.support import LiveHub

FIELDS = ("id", "at", "principal_id", "actor", "action", "purpose", "subject", "target")


async def history(hub: LiveHub, cases: int = 5) -> list[AuditEntry]:
    """Entries of a few filed cases, in log order; each case ends a signed checkpoint."""
    token = await hub.token("court_officer", "闽0602")
    for _ in range(cases):
        await file_case(hub, token)
        await sequencer_for(hub.state).sequence()
    return sorted(await audit_rows(hub), key=lambda r: r.seq or 0)


async def checkpoint_sizes(hub: LiveHub) -> list[int]:
    async with hub.state.db.session() as session:
        return sorted(await session.scalars(sa.select(AuditCheckpoint.tree_size)))


async def keep_checkpoint(database_url: str, path: Path) -> dict[str, Any]:
    status, out = await hub_command("audit", "checkpoint", "--database-url", database_url)
    assert status == 0, out
    kept: dict[str, Any] = json.loads(out)
    await asyncio.to_thread(path.write_text, out)
    return kept


async def verify(database_url: str, checkpoint: Path | None = None) -> tuple[int, str]:
    extra = ["--checkpoint", str(checkpoint)] if checkpoint else []
    return await hub_command("audit", "verify", "--database-url", database_url, *extra)


def signature_holds(checkpoint: dict[str, Any], public_key: str) -> bool:
    """The checkpoint note, checked with nothing of the hub's but its public key."""
    note = (
        f"linkage-hub audit log\n{checkpoint['tree_size']}\n"
        f"{base64.b64encode(bytes.fromhex(checkpoint['root_hash'])).decode()}\n"
        f"{checkpoint['timestamp']}\n"
    )
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
    try:
        key.verify(base64.b64decode(checkpoint["signature"]), note.encode())
    except InvalidSignature:
        return False
    return True


def rfc6962_root(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2, from the RFC's own wording."""

    def node(a: bytes, b: bytes) -> bytes:
        return hashlib.sha256(b"\x01" + a + b).digest()

    assert index < size
    fn, sn, r = index, size - 1, leaf
    for p in path:
        assert sn != 0
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            if fn % 2 == 0:
                while fn != 0 and fn % 2 == 0:
                    fn //= 2
                    sn //= 2
        else:
            r = node(r, p)
        fn //= 2
        sn //= 2
    assert sn == 0
    return r


async def rewrite_tail(database_url: str, rows: list[AuditEntry], start: int) -> None:
    """What a database writer without the key can do, in one transaction: change entries
    from position ``start`` on, give them fresh hashes, drop the hub's checkpoints from
    there and leave the entries for the hub to sequence and sign again."""
    engine = create_async_engine(async_url(database_url))
    try:
        async with engine.begin() as conn:
            for row in rows[start - 1 :]:
                fields: dict[str, Any] = {f: getattr(row, f) for f in FIELDS}
                fields["actor"] = "someone else"
                fields["detail"] = row.detail
                fresh = entry_hash(SimpleNamespace(**fields))  # type: ignore[arg-type]
                await conn.execute(
                    sa.text(
                        "UPDATE audit_log SET actor = :a, hash = :h, prev_hash = NULL, "
                        "seq = NULL WHERE id = :id"
                    ),
                    {"a": "someone else", "h": fresh, "id": row.id},
                )
            await conn.execute(
                sa.text("DELETE FROM audit_checkpoints WHERE tree_size >= :n"), {"n": start}
            )
    finally:
        await engine.dispose()


async def test_a_rewritten_tail_fails_against_a_kept_checkpoint(
    hub: LiveHub, database_url: str, tmp_path: Path
) -> None:
    rows = await history(hub)
    kept = await keep_checkpoint(database_url, tmp_path / "checkpoint.json")
    assert kept["tree_size"] == len(rows)
    sizes = await checkpoint_sizes(hub)
    victim = sizes[len(sizes) // 2] + 1  # the first entry of a signed batch

    await rewrite_tail(database_url, rows, victim)

    status, out = await verify(database_url)  # the hub re-signs: alone, the database looks fine
    assert status == 0, out
    status, out = await verify(database_url, tmp_path / "checkpoint.json")
    assert status == 1, out
    assert f"BROKEN at entry {victim}: entries {victim}–{len(rows)} do not match" in out


async def test_a_dropped_end_with_its_head_fixed_fails_against_a_kept_checkpoint(
    hub: LiveHub, database_url: str, tmp_path: Path
) -> None:
    rows = await history(hub)
    await keep_checkpoint(database_url, tmp_path / "checkpoint.json")
    keep = (await checkpoint_sizes(hub))[-2]  # back to a signed size: the head looks right
    assert keep < len(rows)

    await raw_sql(database_url, "DELETE FROM audit_log WHERE seq > :n", n=keep)
    await raw_sql(database_url, "DELETE FROM audit_checkpoints WHERE tree_size > :n", n=keep)

    status, out = await verify(database_url)
    assert status == 0 and f"intact: {keep} entries" in out, out
    status, out = await verify(database_url, tmp_path / "checkpoint.json")
    assert status == 1, out
    assert f"BROKEN at entry {keep + 1}: entry missing" in out


async def test_an_untouched_log_is_consistent_with_an_older_checkpoint(
    hub: LiveHub, database_url: str, tmp_path: Path
) -> None:
    await history(hub, cases=2)
    kept = await keep_checkpoint(database_url, tmp_path / "checkpoint.json")
    rows = await history(hub, cases=2)
    assert len(rows) > kept["tree_size"]

    status, out = await verify(database_url, tmp_path / "checkpoint.json")

    assert status == 0, out
    assert f"intact: {len(rows)} entries, consistent with the checkpoint of size" in out


async def test_a_tampered_checkpoint_is_rejected(
    hub: LiveHub, database_url: str, tmp_path: Path
) -> None:
    await history(hub, cases=2)
    kept = await keep_checkpoint(database_url, tmp_path / "checkpoint.json")
    signature = bytearray(base64.b64decode(kept["signature"]))
    signature[0] ^= 1
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**kept, "signature": base64.b64encode(signature).decode()}))
    shorter = tmp_path / "shorter.json"
    shorter.write_text(json.dumps({**kept, "tree_size": kept["tree_size"] - 1}))

    for path in (forged, shorter):
        status, out = await verify(database_url, path)
        assert status == 1, out
        assert "checkpoint REJECTED: the checkpoint's signature does not verify" in out


async def test_a_stored_checkpoint_with_a_bad_signature_is_found(
    hub: LiveHub, database_url: str
) -> None:
    await history(hub, cases=3)
    sizes = await checkpoint_sizes(hub)
    await raw_sql(
        database_url,
        "UPDATE audit_checkpoints SET signature = :s WHERE tree_size = :n",
        s=base64.b64encode(bytes(64)).decode(),
        n=sizes[1],
    )
    status, out = await verify(database_url)
    assert status == 1, out
    assert f"checkpoint of size {sizes[1]} is not signed by the hub's key" in out


async def test_the_published_checkpoint_is_signed(hub: LiveHub) -> None:
    rows = await history(hub, cases=2)
    response = await hub.client.get("/audit/checkpoint")
    assert response.status_code == 200
    published = response.json()
    assert published["tree_size"] == len(rows)
    assert signature_holds(published, published["public_key"])
    assert not signature_holds({**published, "tree_size": 1}, published["public_key"])


PROOF = """query($id: ID!) { auditProof(id: $id) {
  entryId leafIndex leafHash path
  checkpoint { treeSize rootHash timestamp publicKey signature note } } }"""


async def test_an_inclusion_proof_checks_out_independently(hub: LiveHub) -> None:
    rows = await history(hub, cases=3)
    admin = await hub.token(Role.ADMIN, "*")
    published = (await hub.client.get("/audit/checkpoint")).json()
    # the entry's own bytes hold a full ID number: administrators get only its hash
    bare = await hub.gql("{ auditProof(id: 1) { leaf } }", token=admin)
    assert bare["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    for row in (rows[0], rows[len(rows) // 2], rows[-1]):
        proof = ok(await hub.gql(PROOF, {"id": str(row.id)}, token=admin))["auditProof"]
        checkpoint = proof["checkpoint"]
        leaf = hashlib.sha256(b"\x00" + canonical(row)).digest()
        assert leaf.hex() == proof["leafHash"] == row.hash
        root = rfc6962_root(
            proof["leafIndex"],
            checkpoint["treeSize"],
            leaf,
            [bytes.fromhex(p) for p in proof["path"]],
        )
        assert root.hex() == checkpoint["rootHash"]
        assert checkpoint["publicKey"] == published["public_key"]
        assert signature_holds(
            {
                "tree_size": checkpoint["treeSize"],
                "root_hash": checkpoint["rootHash"],
                "timestamp": checkpoint["timestamp"],
                "signature": checkpoint["signature"],
            },
            published["public_key"],
        )
        # a proof for another leaf does not pass for this one
        other = hashlib.sha256(b"\x00" + canonical(row) + b" ").digest()
        path = [bytes.fromhex(p) for p in proof["path"]]
        assert rfc6962_root(proof["leafIndex"], checkpoint["treeSize"], other, path) != root


async def test_the_cli_proves_an_entry(hub: LiveHub, database_url: str) -> None:
    rows = await history(hub, cases=2)
    status, out = await hub_command(
        "audit", "prove", str(rows[1].id), "--database-url", database_url
    )
    assert status == 0, out
    proof = json.loads(out)
    assert json.loads(proof["leaf"])["id"] == rows[1].id  # operators get the entry's bytes
    leaf = hashlib.sha256(b"\x00" + proof["leaf"].encode()).digest()
    assert leaf.hex() == proof["leaf_hash"]
    path = [bytes.fromhex(p) for p in proof["path"]]
    root = rfc6962_root(proof["leaf_index"], proof["checkpoint"]["tree_size"], leaf, path)
    assert root.hex() == proof["checkpoint"]["root_hash"]
    status, out = await hub_command("audit", "prove", "999999", "--database-url", database_url)
    assert status == 1


async def test_only_administrators_get_proofs(hub: LiveHub) -> None:
    rows = await history(hub, cases=1)
    officer = await hub.token("court_officer", "闽0602")
    body = await hub.gql(PROOF, {"id": str(rows[0].id)}, token=officer)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
