"""The hub's checkpoint key: from a setting, from a key file (made when missing), and a
checkpoint that verifies only unchanged and only with its key."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hub.audit_keys import Checkpoint, load_signer
from hub.merkle import leaf_hash
from hub.settings import Settings


def test_a_key_from_the_setting() -> None:
    seed = bytes(range(32))
    signer = load_signer(Settings(audit_key=base64.b64encode(seed).decode()))
    expected = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    raw = expected.public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert signer.public_b64 == base64.b64encode(raw).decode()


def test_a_key_file_is_made_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "audit.pem"
    first = load_signer(Settings(audit_key_file=path))
    assert path.exists() and path.stat().st_mode & 0o077 == 0
    assert list(path.parent.iterdir()) == [path]
    again = load_signer(Settings(audit_key_file=Path(str(path))))
    assert again.key_id == first.key_id


def test_a_checkpoint_verifies_only_as_signed(tmp_path: Path) -> None:
    signer = load_signer(Settings(audit_key_file=tmp_path / "a.pem"))
    other = load_signer(Settings(audit_key_file=tmp_path / "b.pem"))
    signed = signer.sign(3, leaf_hash(b"x"))
    assert signed.verify() and signed.verify(signer.public)
    assert Checkpoint.from_dict(signed.as_dict()).verify(signer.public)
    assert not signed.verify(other.public)
    assert not dataclasses.replace(signed, tree_size=4).verify(signer.public)
    assert not dataclasses.replace(signed, root_hash="00" * 32).verify(signer.public)
    assert not dataclasses.replace(signed, timestamp="2020-01-01T00:00:00.000000Z").verify()
    assert not dataclasses.replace(signed, signature="AAAA").verify()
