"""RFC 6962 Merkle tree hashing, as Certificate Transparency and Trillian use it.

A leaf hash is ``SHA-256(0x00 || data)``, an interior node ``SHA-256(0x01 ||
left || right)``; the domain bytes keep a leaf from passing for a node. The
tree over ``n`` leaves splits at the largest power of two below ``n``.

``Frontier`` is the compact form of a tree being appended to: the roots of its
perfect subtrees, largest first (one per set bit of the size). Appending a
leaf and taking the root cost O(log n), so the sequencer never rereads the
log. Inclusion proofs (``inclusion_path``) need the leaves themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


@dataclass
class Frontier:
    """The right edge of a tree of ``size`` leaves (perfect subtree roots, largest first)."""

    size: int = 0
    nodes: list[bytes] = field(default_factory=list)

    def append(self, leaf: bytes) -> None:
        node, size = leaf, self.size
        while size & 1:  # each trailing 1 bit is a perfect subtree the new leaf completes
            node = node_hash(self.nodes.pop(), node)
            size >>= 1
        self.nodes.append(node)
        self.size += 1

    def root(self) -> bytes:
        if not self.nodes:
            return EMPTY_ROOT
        root = self.nodes[-1]
        for node in reversed(self.nodes[:-1]):
            root = node_hash(node, root)
        return root

    def to_hex(self) -> list[str]:
        return [n.hex() for n in self.nodes]

    @classmethod
    def from_hex(cls, size: int, nodes: Sequence[str]) -> Frontier:
        frontier = cls(size, [bytes.fromhex(n) for n in nodes])
        if len(frontier.nodes) != size.bit_count():
            raise ValueError("frontier does not fit its size")
        return frontier


def tree_root(leaves: Sequence[bytes]) -> bytes:
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(index, leaves): the sibling hashes, leaf level first."""
    if not 0 <= index < len(leaves):
        raise IndexError(index)
    path: list[bytes] = []
    lo, hi = 0, len(leaves)
    # walk down from the root, remembering the sibling subtree at each split
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(tree_root(leaves[lo + k : hi]))
            hi = lo + k
        else:
            path.append(tree_root(leaves[lo : lo + k]))
            lo = lo + k
    path.reverse()
    return path


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root a proof leads to (raises ValueError if malformed)."""
    if index >= size:
        raise ValueError("index beyond the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ValueError("proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("proof too short")
    return r
