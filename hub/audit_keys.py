"""The hub's Ed25519 key, which signs audit checkpoints, and the checkpoint format.

A checkpoint says "the log had ``tree_size`` entries with this root at this
time". Its signed text follows the transparency-log checkpoint notes (an
origin line, the size, the base64 root, then the time), so anyone holding the
public key can check it with any Ed25519 library.

The key comes from ``audit_key`` (a base64 32-byte seed) or ``audit_key_file``
(PEM); without either, a development key is generated once and kept in the
user's data directory. Whoever can write to the database cannot sign: that is
what makes a rewritten tail show.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hub.settings import Settings

ORIGIN = "linkage-hub audit log"
log = structlog.get_logger("hub.audit")


def development_key_file() -> Path:
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "linkage-hub" / "audit-ed25519.pem"


def _read_or_create(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # written aside, then linked into place: of two processes starting at once one
        # key wins, and neither reads a half-written file
        fd, staged = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
            with contextlib.suppress(FileExistsError):
                os.link(staged, path)
        finally:
            os.unlink(staged)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def key_id(public: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_bytes(public)).hexdigest()[:16]


def public_bytes(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_from_b64(value: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(value))


class Signer:
    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public = private.public_key()
        self.key_id = key_id(self.public)
        self.public_b64 = base64.b64encode(public_bytes(self.public)).decode()

    def sign(self, tree_size: int, root: bytes, at: datetime | None = None) -> Checkpoint:
        at = (at or datetime.now(UTC)).astimezone(UTC)
        timestamp = at.isoformat(timespec="microseconds").replace("+00:00", "Z")
        text = checkpoint_text(tree_size, root, timestamp)
        signature = base64.b64encode(self._private.sign(text.encode())).decode()
        return Checkpoint(
            origin=ORIGIN,
            tree_size=tree_size,
            root_hash=root.hex(),
            timestamp=timestamp,
            key_id=self.key_id,
            public_key=self.public_b64,
            signature=signature,
        )


_signers: dict[tuple[str | None, str | None], Signer] = {}


def load_signer(settings: Settings) -> Signer:
    """The hub's signer (cached per key setting: reading a PEM costs a file read)."""
    cache_key = (settings.audit_key, str(settings.audit_key_file))
    if cache_key not in _signers:
        if settings.audit_key:
            private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(settings.audit_key))
        elif settings.audit_key_file:
            private = _read_or_create(settings.audit_key_file)
        else:
            if settings.production:
                log.warning("audit key not configured: using the development key")
            private = _read_or_create(development_key_file())
        _signers[cache_key] = Signer(private)
    return _signers[cache_key]


def checkpoint_text(tree_size: int, root: bytes, timestamp: str) -> str:
    return f"{ORIGIN}\n{tree_size}\n{base64.b64encode(root).decode()}\n{timestamp}\n"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: str  # hex
    timestamp: str  # UTC, ISO 8601
    key_id: str
    public_key: str  # base64 raw Ed25519
    signature: str  # base64, over ``checkpoint_text``

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checkpoint:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})

    @property
    def root(self) -> bytes:
        return bytes.fromhex(self.root_hash)

    def verify(self, public: Ed25519PublicKey | None = None) -> bool:
        """Is the signature good, by ``public`` (the key one trusts) or else its own key?"""
        try:
            key = public or public_key_from_b64(self.public_key)
            text = checkpoint_text(self.tree_size, self.root, self.timestamp)
            key.verify(base64.b64decode(self.signature), text.encode())
        except (InvalidSignature, ValueError):
            return False
        return True
