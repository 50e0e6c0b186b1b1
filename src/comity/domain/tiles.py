"""C2SP tlog-tiles paths and arithmetic: which Merkle tree hashes a tile or entry bundle holds.

c2sp.org/tlog-tiles: the tile at level ``L``, index ``N`` is the sequence, for ``i`` in 0..255, of
``MTH(D[(N*256 + i) * 256**L : (N*256 + i + 1) * 256**L])``: the hash of the perfect subtree of
``2**(8L)`` leaves with index ``N*256 + i``. A partial tile holds the first ``W`` (1..255) of them.
Entry bundles hold the entries a level-0 tile hashes, each prefixed by its length as a big-endian
uint16, so no entry may exceed 65,535 bytes. Paths write ``N`` as zero-padded 3-digit elements, all
but the last starting with ``x`` (1234067 is ``x001/x234/067``). Pure arithmetic, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes in a full tile
HASH_SIZE = 32

#: An entry bundle prefixes each entry with a big-endian uint16 length (tlog-tiles "Log entries").
MAX_ENTRY_BYTES = 0xFFFF

#: Enough path elements for any index a 63-bit tree could need; longer paths are refused unread.
_MAX_ELEMENTS = 7
_ELEMENT = re.compile(r"^[0-9]{3}$")
_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")


class TileError(ValueError):
    """A tile path that does not follow c2sp.org/tlog-tiles."""


@dataclass(frozen=True)
class TileRef:
    """A hash tile (``level`` >= 0) or an entry bundle (``entries``), full or partial."""

    level: int
    index: int
    width: int = TILE_WIDTH
    entries: bool = False

    @property
    def partial(self) -> bool:
        return self.width < TILE_WIDTH

    @property
    def end(self) -> int:
        """The tree size this tile needs: its last hash covers entries up to (not including) it."""
        return (self.index * TILE_WIDTH + self.width) << (TILE_HEIGHT * self.level)

    def subtrees(self) -> list[tuple[int, int]]:
        """The ``(level, index)`` perfect subtrees whose hashes make the tile, in order."""
        first = self.index * TILE_WIDTH
        return [(TILE_HEIGHT * self.level, first + i) for i in range(self.width)]

    def leaf_range(self) -> range:
        """The entry indexes an entry bundle (or a level-0 tile) covers."""
        first = self.index * TILE_WIDTH
        return range(first, first + self.width)

    def path(self) -> str:
        """The path below ``<prefix>/tile/``, e.g. ``1/x001/234.p/7`` or ``entries/000``."""
        head = "entries" if self.entries else str(self.level)
        tail = f".p/{self.width}" if self.partial else ""
        return f"{head}/{encode_index(self.index)}{tail}"


def encode_index(n: int) -> str:
    """``1234067`` -> ``x001/x234/067``; ``5`` -> ``005``."""
    if n < 0:
        raise TileError("a tile index is non-negative")
    groups = [f"{n % 1000:03d}"]
    n //= 1000
    while n:
        groups.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(groups))


def parse_tile_path(path: str) -> TileRef:
    """The tile a path below ``<prefix>/tile/`` names; ``TileError`` naming what is wrong."""
    parts = path.split("/")
    if len(parts) < 2 or len(parts) > _MAX_ELEMENTS + 2:
        raise TileError(f"tile path {path!r} is not <L>/<N>[.p/<W>] or entries/<N>[.p/<W>]")
    head, rest = parts[0], parts[1:]
    if head == "entries":
        level, entries = 0, True
    elif _DECIMAL.match(head) and int(head) <= 63:
        level, entries = int(head), False
    else:
        raise TileError(f"tile level {head!r} is not a decimal from 0 to 63 or 'entries'")
    width = TILE_WIDTH
    if rest[-1] != "" and rest[-2:-1] and rest[-2].endswith(".p"):
        w = rest[-1]
        if not _DECIMAL.match(w) or not 1 <= int(w) < TILE_WIDTH:
            raise TileError(f"partial tile width {w!r} is not a decimal from 1 to 255")
        width = int(w)
        rest = [*rest[:-2], rest[-2][: -len(".p")]]
    if len(rest) > _MAX_ELEMENTS:
        raise TileError(f"tile index in {path!r} has too many elements")
    index = 0
    for i, element in enumerate(rest):
        last = i == len(rest) - 1
        digits = element if last else element[1:]
        if (not last and not element.startswith("x")) or not _ELEMENT.match(digits):
            raise TileError(
                f"tile index element {element!r} must be three digits"
                + ("" if last else " after an 'x'")
            )
        index = index * 1000 + int(digits)
    ref = TileRef(level, index, width, entries)
    if ref.path() != path:  # e.g. a leading x000 element: one index, one path
        raise TileError(f"tile path {path!r} is not in canonical form ({ref.path()!r})")
    return ref


def partial_width(size: int, level: int) -> int:
    """Width of the rightmost tile at ``level`` for a tree of ``size`` (0: none is partial)."""
    return (size >> (TILE_HEIGHT * level)) % TILE_WIDTH


def tiles_for(size: int, level: int) -> list[TileRef]:
    """Every tile at ``level`` of a tree of ``size``, the partial one last."""
    full = size >> (TILE_HEIGHT * (level + 1))
    out = [TileRef(level, n) for n in range(full)]
    if width := partial_width(size, level):
        out.append(TileRef(level, full, width))
    return out


def bundle(entries: list[bytes]) -> bytes:
    """An entry bundle: each entry as a big-endian uint16 length and its bytes."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY_BYTES:
            raise TileError(f"an entry of {len(entry)} bytes exceeds {MAX_ENTRY_BYTES}")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def unbundle(data: bytes) -> list[bytes]:
    """The entries of a bundle (the inverse of ``bundle``); ``TileError`` if it is cut short."""
    out: list[bytes] = []
    at = 0
    while at < len(data):
        if at + 2 > len(data):
            raise TileError("the entry bundle ends inside a length prefix")
        n = int.from_bytes(data[at : at + 2], "big")
        if at + 2 + n > len(data):
            raise TileError("the entry bundle ends inside an entry")
        out.append(data[at + 2 : at + 2 + n])
        at += 2 + n
    return out
