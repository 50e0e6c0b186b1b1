"""RFC 9162 roots from the compact range match the RFC 6962 reference vectors."""

from __future__ import annotations

from comity.domain.merkle import EMPTY_ROOT, CompactRange, leaf_hash

# RFC 6962 reference leaves and the roots of the trees of their first n leaves
# (from the certificate-transparency reference implementation's merkle tree tests).
LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
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


def test_the_empty_tree_hashes_to_sha256_of_nothing() -> None:
    assert CompactRange.empty().root() == EMPTY_ROOT
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_incremental_roots_match_the_reference_vectors() -> None:
    tree = CompactRange.empty()
    for leaf, expected in zip(LEAVES, ROOTS, strict=True):
        tree = tree.append(leaf_hash(leaf))
        assert tree.root().hex() == expected
    assert len(tree.frontier) == 1  # 8 leaves: one perfect subtree
