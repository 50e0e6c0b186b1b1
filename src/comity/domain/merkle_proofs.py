"""RFC 9162 inclusion and consistency proofs: which subtrees a proof needs, and verification.

Generation is split in two so storage can be fast. ``inclusion_ranges``/``consistency_ranges``
say which leaf ranges ``[start, end)`` a proof consists of (RFC 9162 sections 2.1.3.1 and
2.1.4.1, in the order the RFC lists them); ``perfect_subtrees`` breaks each range into the aligned
perfect subtrees an append stores, so an adapter can fetch all of them in one query. Verification
(sections 2.1.3.2 and 2.1.4.2) is pure arithmetic on hashes and needs no storage at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from comity.domain.merkle import EMPTY_ROOT, leaf_hash, node_hash

Range = tuple[int, int]
Subtree = tuple[int, int]  # (level, index): leaves [index * 2**level, (index + 1) * 2**level)


class ProofError(ValueError):
    """A proof was requested for sizes or indexes that do not exist in the tree."""


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (RFC 9162 section 2.1.1's ``k``)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The leaf ranges whose hashes form PATH(index, D[size]), leaf upwards (section 2.1.3.1)."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is not in a tree of {size} entries")
    out: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start = start + k
    out.reverse()
    return out


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The leaf ranges whose hashes form PROOF(first, D[second]) (section 2.1.4.1)."""
    if not 0 <= first <= second:
        raise ProofError(f"no consistency proof from size {first} to size {second}")
    if first in (0, second):
        return []
    out: list[Range] = []
    start, end, m, whole = 0, second, first, True
    while m != end - start:
        n = end - start
        k = _split(n)
        if m <= k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        out.append((start, end))
    out.reverse()
    return out


def perfect_subtrees(start: int, end: int) -> list[Subtree]:
    """Split ``[start, end)`` into aligned perfect subtrees, largest (leftmost) first.

    Every range a proof uses starts at a multiple of a power of two at least as large as the
    range, so its hash is these subtrees folded from the right, exactly as a compact range's root.
    """
    out: list[Subtree] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while start + (1 << level) > end:
            level -= 1
        out.append((level, start >> level))
        start += 1 << level
    return out


def fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of a range from its perfect subtrees' hashes, largest first."""
    if not hashes:
        return EMPTY_ROOT
    node = hashes[-1]
    for left in reversed(hashes[:-1]):
        node = node_hash(left, node)
    return node


def reference_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) straight from the definition (section 2.1.1), given leaf *hashes*. For tests."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def prove(ranges: Sequence[Range], range_hash: Callable[[int, int], bytes]) -> list[bytes]:
    """The proof for ``ranges`` given any way to hash a leaf range."""
    return [range_hash(a, b) for a, b in ranges]


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes | None:
    """The root implied by an inclusion proof, or None if the proof has the wrong shape.

    RFC 9162 section 2.1.3.2, steps 1 to 5 (the caller compares the result with the root).
    """
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if len(p) != 32 or sn == 0:
            return None
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
    return r if sn == 0 else None


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """True if ``proof`` shows the leaf hash ``leaf`` at ``index`` in the tree with ``root``."""
    return len(leaf) == 32 and root_from_inclusion(index, size, leaf, proof) == root


def verify_entry_inclusion(
    index: int, size: int, entry: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """``verify_inclusion`` for the entry bytes themselves (hashed as an RFC 9162 leaf)."""
    return verify_inclusion(index, size, leaf_hash(entry), proof, root)


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2: does the tree ``second_root`` extend ``first_root``?"""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof  # the empty tree is a prefix of every tree
    if not proof or any(len(c) != 32 for c in proof):
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # step 2: an exact power of two is itself a proof node
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
