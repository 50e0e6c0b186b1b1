"""RFC 9162 Merkle tree hashing, done incrementally with a compact range.

Section 2.1.1: a leaf hash is ``SHA-256(0x00 || entry)``, an interior node
``SHA-256(0x01 || left || right)``, and the empty tree hashes to ``SHA-256()``. Appending keeps the
"frontier" (the roots of the perfect subtrees that make up the tree, largest first), so an append
costs O(log n) hashes and the root folds the frontier from the right, without touching the leaves.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def node_id(level: int, index: int) -> int:
    """A single number per subtree: its position in an in-order walk of the full tree.

    The subtree of ``2**level`` leaves starting at leaf ``index * 2**level`` is number
    ``index * 2**(level + 1) + 2**level - 1``; leaves get the even numbers, so ids never clash.
    """
    return (index << (level + 1)) + (1 << level) - 1


@dataclass(frozen=True)
class CompactRange:
    """The frontier of a tree of ``size`` leaves: a hash per set bit of ``size``, largest first."""

    size: int
    frontier: tuple[bytes, ...]

    @staticmethod
    def empty() -> CompactRange:
        return CompactRange(0, ())

    def append(self, leaf: bytes) -> CompactRange:
        """The range after appending the leaf hash ``leaf``: merge equal-sized subtrees upward."""
        return self.append_nodes(leaf)[0]

    def append_nodes(self, leaf: bytes) -> tuple[CompactRange, list[tuple[int, int, bytes]]]:
        """Append ``leaf`` and also return the interior nodes completed by it.

        Each node is ``(level, index, hash)``: the perfect subtree of ``2**level`` leaves starting
        at leaf ``index * 2**level``. Storing them lets proofs read O(log n) hashes instead of
        rehashing whole subtrees.
        """
        frontier = list(self.frontier)
        node = leaf
        size = self.size
        level = 0
        formed: list[tuple[int, int, bytes]] = []
        # Each trailing 1 bit of the old size is a perfect subtree of the same height as ``node``.
        while size & 1:
            node = node_hash(frontier.pop(), node)
            size >>= 1
            level += 1
            formed.append((level, self.size >> level, node))
        frontier.append(node)
        return CompactRange(self.size + 1, tuple(frontier)), formed

    def extend(
        self, leaves: list[bytes], min_level: int = 1
    ) -> tuple[CompactRange, list[tuple[int, int, bytes]]]:
        """Append many leaf hashes at once; return the range and the completed nodes.

        Same result as repeated ``append_nodes``, keeping only nodes of ``min_level`` or more,
        without building an intermediate range per leaf (bulk appends hash millions of leaves).
        """
        frontier = list(self.frontier)
        size = self.size
        formed: list[tuple[int, int, bytes]] = []
        for leaf in leaves:
            node = leaf
            rest = size
            level = 0
            while rest & 1:
                node = node_hash(frontier.pop(), node)
                rest >>= 1
                level += 1
                if level >= min_level:
                    formed.append((level, size >> level, node))
            frontier.append(node)
            size += 1
        return CompactRange(size, tuple(frontier)), formed

    def root(self) -> bytes:
        """The RFC 9162 tree head hash: fold the frontier from the smallest subtree leftwards."""
        if not self.frontier:
            return EMPTY_ROOT
        node = self.frontier[-1]
        for left in reversed(self.frontier[:-1]):
            node = node_hash(left, node)
        return node
