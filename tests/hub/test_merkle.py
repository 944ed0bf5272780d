"""The Merkle tree hashes as RFC 6962 says (Certificate Transparency's test vectors), and
every inclusion path leads back to the root."""

from __future__ import annotations

import hashlib

import pytest

from hub.merkle import (
    EMPTY_ROOT,
    Frontier,
    inclusion_path,
    leaf_hash,
    root_from_inclusion,
    tree_root,
)

# the leaves and roots of certificate-transparency's merkle_tree_test
LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    bytes(range(0x60, 0x70)),
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH, recursively, as the RFC writes it."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def test_the_rfc_test_vectors() -> None:
    assert tree_root([]) == EMPTY_ROOT == mth([])
    frontier = Frontier()
    for size, (leaf, root) in enumerate(zip(LEAVES, ROOTS, strict=True), start=1):
        frontier.append(leaf_hash(leaf))
        assert frontier.root().hex() == root == mth(LEAVES[:size]).hex()


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 33])
def test_every_path_leads_to_the_root(size: int) -> None:
    data = [str(i).encode() for i in range(size)]
    leaves = [leaf_hash(d) for d in data]
    root = mth(data)
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    assert frontier.root() == root
    restored = Frontier.from_hex(size, frontier.to_hex())
    assert restored.root() == root
    for index in range(size):
        path = inclusion_path(index, leaves)
        assert root_from_inclusion(index, size, leaves[index], path) == root
        if size > 1:  # another leaf, or the right leaf at another index, does not pass
            other = leaves[(index + 1) % size]
            assert root_from_inclusion(index, size, other, path) != root


def test_a_frontier_must_fit_its_size() -> None:
    with pytest.raises(ValueError):
        Frontier.from_hex(3, ["00" * 32])
