"""Files that hash themselves as they are written: no payload byte is read back to hash it."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


@dataclass(frozen=True)
class Digests:
    sha256: str
    sha512: str
    size: int

    def of(self, algorithm: str) -> str:
        return self.sha256 if algorithm == "sha256" else self.sha512


class HashedFile:
    """A new file (``x`` mode: never overwrites) with running SHA-256, SHA-512 (unless
    ``sha512`` is off: a package without a SHA-512 manifest skips that pass) and size."""

    def __init__(self, path: Path, *, sha512: bool = True) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._out: BinaryIO = path.open("xb")
        self._sha256 = hashlib.sha256()
        self._sha512 = hashlib.sha512() if sha512 else None
        self._size = 0

    def write(self, data: bytes) -> None:
        self._out.write(data)
        self._sha256.update(data)
        if self._sha512 is not None:
            self._sha512.update(data)
        self._size += len(data)

    def close(self) -> Digests:
        self._out.close()
        sha512 = "" if self._sha512 is None else self._sha512.hexdigest()
        return Digests(self._sha256.hexdigest(), sha512, self._size)


def write_hashed(path: Path, data: bytes, *, sha512: bool = True) -> Digests:
    out = HashedFile(path, sha512=sha512)
    out.write(data)
    return out.close()


def digests_of(data: bytes, *, sha512: bool = True) -> Digests:
    """The digests of bytes in hand (a message): hashlib releases the GIL on large buffers."""
    return Digests(
        hashlib.sha256(data).hexdigest(),
        hashlib.sha512(data).hexdigest() if sha512 else "",
        len(data),
    )


class Appenders:
    """Many files grown a piece at a time (one mbox per account), with their hashes (unless
    ``hashing`` is off, for spools that are never part of the package).

    At most ``limit`` stay open, so a production with many accounts does not run out of file
    descriptors; the hash state of each file is kept (a few hundred bytes per file).
    """

    def __init__(self, limit: int = 32, *, hashing: bool = True, sha512: bool = True) -> None:
        self._limit = limit
        self._hashing = hashing
        self._with_sha512 = sha512
        self._open: OrderedDict[Path, BinaryIO] = OrderedDict()
        self._state: dict[Path, tuple[hashlib._Hash, hashlib._Hash, int]] = {}

    def write(self, path: Path, data: bytes) -> None:
        out = self._open.pop(path, None)
        if out is None:
            if path not in self._state:
                path.parent.mkdir(parents=True, exist_ok=True)
                out = path.open("xb")
                self._state[path] = (hashlib.sha256(), hashlib.sha512(), 0)
            else:
                out = path.open("ab")
            if len(self._open) >= self._limit:
                _, oldest = self._open.popitem(last=False)
                oldest.close()
        self._open[path] = out
        out.write(data)
        sha256, sha512, size = self._state[path]
        if self._hashing:
            sha256.update(data)
            if self._with_sha512:
                sha512.update(data)
        self._state[path] = (sha256, sha512, size + len(data))

    def paths(self) -> list[Path]:
        return list(self._state)

    def close(self) -> dict[Path, Digests]:
        for out in self._open.values():
            out.close()
        self._open.clear()
        return {
            p: Digests(a.hexdigest(), b.hexdigest() if self._with_sha512 else "", n)
            for p, (a, b, n) in self._state.items()
        }
