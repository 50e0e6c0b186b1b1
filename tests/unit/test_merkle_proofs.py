"""RFC 9162 proofs: the RFC 6962 reference vectors, and properties over random trees.

The vectors are the ones the certificate-transparency reference implementation and
transparency-dev/merkle (proof/verify_test.go: ``inclusionProofs``, ``consistencyProofs``,
``roots``, ``leaves``) test against; their inclusion indexes are 1-based there, 0-based here.
"""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st
from tests.unit.test_merkle import LEAVES, ROOTS

from comity.domain.merkle import CompactRange, leaf_hash, node_id
from comity.domain.merkle_proofs import (
    consistency_ranges,
    fold,
    inclusion_ranges,
    perfect_subtrees,
    prove,
    reference_root,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)


def h(text: str) -> bytes:
    return bytes.fromhex(text)


LEAF_HASHES = [leaf_hash(x) for x in LEAVES]

# (0-based leaf index, tree size, proof)
INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]


def memory_range_hash(leaves: list[bytes]):  # type: ignore[no-untyped-def]
    """Hash a range through its perfect subtrees, each from the definition (independent path)."""

    def range_hash(start: int, end: int) -> bytes:
        subtrees = perfect_subtrees(start, end)
        return fold([reference_root(leaves[i << lvl : (i + 1) << lvl]) for lvl, i in subtrees])

    return range_hash


def test_reference_roots_from_the_definition() -> None:
    for n, expected in enumerate(ROOTS, start=1):
        assert reference_root(LEAF_HASHES[:n]).hex() == expected


def test_inclusion_vectors_are_generated_and_verify() -> None:
    for index, size, proof_hex in INCLUSION:
        expected = [h(x) for x in proof_hex]
        got = prove(inclusion_ranges(index, size), memory_range_hash(LEAF_HASHES[:size]))
        assert got == expected
        assert verify_inclusion(index, size, LEAF_HASHES[index], expected, h(ROOTS[size - 1]))


def test_consistency_vectors_are_generated_and_verify() -> None:
    for first, second, proof_hex in CONSISTENCY:
        expected = [h(x) for x in proof_hex]
        got = prove(consistency_ranges(first, second), memory_range_hash(LEAF_HASHES[:second]))
        assert got == expected
        assert verify_consistency(
            first, second, h(ROOTS[first - 1]), h(ROOTS[second - 1]), expected
        )


def test_corrupted_reference_proofs_fail() -> None:
    """The corruptions transparency-dev's verifier tests apply, for every non-empty vector."""
    some = h("abacaba000000000000000000000000000000000000000000060061e00123456")
    for index, size, proof_hex in INCLUSION[1:]:
        proof = [h(x) for x in proof_hex]
        root, leaf = h(ROOTS[size - 1]), LEAF_HASHES[index]
        bad = [
            (index - 1, size, leaf, proof, root),
            (index + 1, size, leaf, proof, root),
            (index ^ 2, size, leaf, proof, root),
            (index, size * 2, leaf, proof, root),
            (index, size // 2, leaf, proof, root),
            (index, size, b"WrongLeaf", proof, root),
            (index, size, leaf, proof, hashlib.sha256().digest()),
            (index, size, leaf, proof, some),
            (index, size, leaf, [*proof, b""], root),
            (index, size, leaf, [*proof, root], root),
            (index, size, leaf, [b"", *proof], root),
            (index, size, leaf, [root, *proof], root),
            (index, size, leaf, proof[:-1], root),
            (index, size, leaf, [proof[0], some, *proof[1:]], root),
        ]
        for i in range(len(proof)):
            flipped = list(proof)
            flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
            bad.append((index, size, leaf, flipped, root))
        for case in bad:
            assert not verify_inclusion(*case), case
    for first, second, proof_hex in CONSISTENCY[1:]:
        proof = [h(x) for x in proof_hex]
        r1, r2 = h(ROOTS[first - 1]), h(ROOTS[second - 1])
        bad_c = [
            (first - 1, second, r1, r2, proof),
            (first + 1, second, r1, r2, proof),
            (first ^ 2, second, r1, r2, proof),
            (first, second * 2, r1, r2, proof),
            (first, second // 2, r1, r2, proof),
            (first, second, b"WrongRoot", r2, proof),
            (first, second, r1, b"WrongRoot", proof),
            (first, second, r2, r1, proof),
            (first, second, r1, r2, []),
            (first, second, r1, r2, [*proof, b""]),
            (first, second, r1, r2, [*proof, r1]),
            (first, second, r1, r2, [*proof, r2]),
            (first, second, r1, r2, [b"", *proof]),
            (first, second, r1, r2, [r1, *proof]),
            (first, second, r1, r2, [r2, *proof]),
            (first, second, r1, r2, [proof[0], *proof]),
            (first, second, r1, r2, proof[:-1]),
        ]
        for i in range(len(proof)):
            flipped = list(proof)
            flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
            bad_c.append((first, second, r1, r2, flipped))
        for case_c in bad_c:
            assert not verify_consistency(*case_c), case_c


def test_trivial_consistency_cases() -> None:
    empty = hashlib.sha256().digest()
    assert verify_consistency(0, 0, empty, empty, [])
    assert verify_consistency(0, 5, empty, h(ROOTS[4]), [])
    assert not verify_consistency(1, 1, h(ROOTS[0]), h(ROOTS[1]), [])
    assert not verify_consistency(1, 0, h(ROOTS[0]), empty, [])
    assert not verify_consistency(0, 1, empty, h(ROOTS[0]), [empty])


def _tree(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_every_inclusion_proof_verifies_and_a_tampered_one_fails(case: tuple[int, int]) -> None:
    size, index = case
    leaves = _tree(size)
    root = reference_root(leaves)
    proof = prove(inclusion_ranges(index, size), memory_range_hash(leaves))
    assert verify_inclusion(index, size, leaves[index], proof, root)
    assert root_from_inclusion(index, size, leaves[index], proof) == root
    other = leaves[(index + 1) % size] if size > 1 else leaf_hash(b"other")
    assert not verify_inclusion(index, size, other, proof, root)
    for i in range(len(proof)):
        tampered = list(proof)
        tampered[i] = bytes([tampered[i][0] ^ 1]) + tampered[i][1:]
        assert not verify_inclusion(index, size, leaves[index], tampered, root)
    if proof:
        assert not verify_inclusion(index, size, leaves[index], proof[:-1], root)
    assert not verify_inclusion(index, size, leaves[index], [*proof, root], root)


@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))))
def test_every_consistency_proof_verifies_and_a_tampered_one_fails(case: tuple[int, int]) -> None:
    first, second = case
    leaves = _tree(second)
    r1, r2 = reference_root(leaves[:first]), reference_root(leaves)
    proof = prove(consistency_ranges(first, second), memory_range_hash(leaves))
    assert verify_consistency(first, second, r1, r2, proof)
    for i in range(len(proof)):
        tampered = list(proof)
        tampered[i] = bytes([tampered[i][0] ^ 1]) + tampered[i][1:]
        assert not verify_consistency(first, second, r1, r2, tampered)
    if first < second:
        forked = reference_root([*leaves[: first - 1], leaf_hash(b"forged")])
        assert not verify_consistency(first, second, forked, r2, proof)


@given(st.integers(0, 2000))
def test_compact_range_nodes_are_the_perfect_subtrees(n: int) -> None:
    leaves = _tree(n)
    tree = CompactRange.empty()
    nodes: dict[tuple[int, int], bytes] = {}
    for leaf in leaves:
        tree, formed = tree.append_nodes(leaf)
        nodes.update({(lvl, i): node for lvl, i, node in formed})
    assert len(nodes) == max(n - tree.size.bit_count(), 0)
    for (lvl, i), node in list(nodes.items())[:50]:
        assert node == reference_root(leaves[i << lvl : (i + 1) << lvl])
    assert tree.root() == reference_root(leaves)


@given(st.integers(0, 300), st.integers(0, 300), st.integers(1, 6))
def test_extend_matches_appending_one_by_one(before: int, n: int, min_level: int) -> None:
    leaves = _tree(before + n)
    start = CompactRange.empty()
    for leaf in leaves[:before]:
        start = start.append(leaf)
    one_by_one, nodes = start, []
    for leaf in leaves[before:]:
        one_by_one, formed = one_by_one.append_nodes(leaf)
        nodes += [f for f in formed if f[0] >= min_level]
    assert start.extend(leaves[before:], min_level) == (one_by_one, nodes)


def test_node_ids_are_distinct_in_order_positions() -> None:
    ids = {node_id(lvl, i) for lvl in range(12) for i in range(1 << (12 - lvl))}
    assert len(ids) == sum(1 << (12 - lvl) for lvl in range(12))
    assert node_id(0, 3) == 6
    assert node_id(1, 0) == 1
    assert node_id(2, 1) == 11
