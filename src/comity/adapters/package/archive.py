"""The deterministic archive: a POSIX (pax) tar whose every byte follows from the bag's contents.

Members are sorted by name, directories before their contents; every member has the same mtime
(the production time), uid and gid 0, no user or group names, mode 0644 (files) or 0755
(directories); the archive ends with two zero blocks padded to tar's 10240-byte record. Because the
form is fixed, ``extract_canonical`` can rebuild each header from the member's name and size and
compare it byte for byte, so a change to any byte of the archive, even in padding or a header field
that ``tar`` ignores, is detected.
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from comity.errors import IntegrityError

BLOCK = tarfile.BLOCKSIZE
RECORD = tarfile.RECORDSIZE
_CHUNK = 1 << 20


def _header(name: str, size: int, *, is_dir: bool, mtime: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = 0 if is_dir else size
    info.mtime = mtime
    info.mode = 0o755 if is_dir else 0o644
    info.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "strict")


def _entries(root: Path) -> Iterator[tuple[str, Path, bool]]:
    """(archive name, path, is_dir) for ``root`` and everything under it, sorted by name."""
    found: list[tuple[str, Path, bool]] = [(root.name, root, True)]
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        rel = base.relative_to(root.parent).as_posix()
        found.extend((f"{rel}/{d}", base / d, True) for d in dirnames)
        found.extend((f"{rel}/{f}", base / f, False) for f in filenames)
    found.sort(key=lambda e: e[0].encode())
    yield from found


def write_canonical(root: Path, out: BinaryIO, *, mtime: int) -> None:
    """Write the directory ``root`` as a canonical tar to ``out``."""
    written = 0
    for name, path, is_dir in _entries(root):
        if path.is_symlink():
            raise IntegrityError(f"{name} is a symbolic link; a package holds only plain files")
        size = 0 if is_dir else path.stat().st_size
        header = _header(name, size, is_dir=is_dir, mtime=mtime)
        out.write(header)
        written += len(header)
        if not is_dir:
            with path.open("rb") as src:
                copied = _copy(src, out, size)
            if copied != size:
                raise IntegrityError(f"{name} changed size while it was archived")
            pad = -size % BLOCK
            out.write(b"\0" * pad)
            written += size + pad
    end = 2 * BLOCK
    end += -(written + end) % RECORD
    out.write(b"\0" * end)


def _copy(src: BinaryIO, out: BinaryIO, size: int) -> int:
    copied = 0
    while copied < size:
        chunk = src.read(min(_CHUNK, size - copied))
        if not chunk:
            break
        out.write(chunk)
        copied += len(chunk)
    return copied


def extract_canonical(archive: Path, dest: Path) -> Path:
    """Extract a canonical package archive into ``dest`` and return the bag directory.

    Raises ``IntegrityError`` naming the first byte range that is not in canonical form.
    """
    size = archive.stat().st_size
    with archive.open("rb") as raw:
        try:
            tar = tarfile.open(fileobj=raw, mode="r:")  # noqa: SIM115 - closed below
        except tarfile.TarError:
            raise IntegrityError(f"{archive} is not a readable tar archive") from None
        try:
            return _extract(tar, raw, size, dest, archive)
        except tarfile.TarError as exc:
            raise IntegrityError(f"{archive} is not a readable tar archive: {exc}") from None
        finally:
            tar.close()


def _extract(tar: tarfile.TarFile, raw: BinaryIO, size: int, dest: Path, archive: Path) -> Path:
    end = 0
    mtime: int | None = None
    root: str | None = None
    previous = b""
    for member in tar:
        name = member.name
        if root is None:
            root = name
            if not member.isdir() or "/" in name or name in ("", ".", ".."):
                raise IntegrityError(f"the archive's first entry {name!r} is not the bag directory")
        elif not name.startswith(root + "/") or ".." in name.split("/") or "//" in name:
            raise IntegrityError(f"archive entry {name!r} lies outside the bag directory {root}")
        if not (member.isdir() or member.isfile()):
            raise IntegrityError(f"archive entry {name} is not a plain file or directory")
        if name.encode() <= previous:
            raise IntegrityError(f"archive entry {name} is out of sorted order")
        previous = name.encode()
        mtime = int(member.mtime) if mtime is None else mtime
        expected = _header(name, member.size, is_dir=member.isdir(), mtime=mtime)
        raw.seek(member.offset)
        if member.offset != end or raw.read(len(expected)) != expected:
            raise IntegrityError(f"the archive header of {name} is not in canonical form")
        if member.offset_data != member.offset + len(expected):
            raise IntegrityError(f"the archive header of {name} is not in canonical form")
        target = dest / name
        if member.isdir():
            target.mkdir(parents=True, exist_ok=False)
            end = member.offset_data
            continue
        raw.seek(member.offset_data)
        with target.open("xb") as out:
            if _copy(raw, out, member.size) != member.size:
                raise IntegrityError(f"archive entry {name} is truncated")
        pad = -member.size % BLOCK
        if raw.read(pad) != b"\0" * pad:
            raise IntegrityError(f"the padding after archive entry {name} is not zero")
        end = member.offset_data + member.size + pad
    if root is None:
        raise IntegrityError(f"{archive} is an empty archive")
    tail = 2 * BLOCK
    tail += -(end + tail) % RECORD
    if size != end + tail:
        raise IntegrityError(
            f"{archive} has {size - end} bytes after its last entry; the canonical end is {tail}"
        )
    raw.seek(end)
    while chunk := raw.read(_CHUNK):
        if chunk.strip(b"\0"):
            raise IntegrityError(f"{archive} has data after the end of its entries")
    return dest / root
