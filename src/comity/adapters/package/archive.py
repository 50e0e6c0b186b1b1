"""The deterministic archive: a POSIX (pax) tar whose every byte follows from the bag's contents.

Members come depth first, each directory's entries sorted by name, a directory's contents right
after it; every member has the same mtime
(the production time), uid and gid 0, no user or group names, mode 0644 (files) or 0755
(directories); the archive ends with two zero blocks padded to tar's 10240-byte record. Because the
form is fixed, ``extract_canonical`` can rebuild each header from the member's name and size and
compare it byte for byte, so a change to any byte of the archive, even in padding or a header field
that ``tar`` ignores, is detected.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import queue
import sys
import tarfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from comity.errors import IntegrityError

BLOCK = tarfile.BLOCKSIZE
RECORD = tarfile.RECORDSIZE
_CHUNK = 1 << 20
#: Full buffers waiting for the archive's writer thread: memory for the overlap, bounded.
_QUEUED = 8
#: How much written archive the writer thread lets gather before it asks the kernel to start
#: writing it back (``_start_writeback``), so the final fsync finds little left to do.
_WRITEBACK = 32 << 20
_SYNC_FILE_RANGE_WRITE = 2  # linux/fs.h: start writeback of dirty pages, do not wait


def _libc_sync_file_range() -> Callable[[int, int, int, int], int] | None:
    """Linux's ``sync_file_range`` (not in ``os``), or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
    function.restype = ctypes.c_int
    return cast("Callable[[int, int, int, int], int]", function)


_sync_file_range = _libc_sync_file_range()


def _header(name: str, size: int, *, is_dir: bool, mtime: int) -> bytes:
    """The member's header: the one ``tarfile`` writes in pax format for these fields."""
    fast = _ustar_header(name, size, is_dir=is_dir, mtime=mtime)
    if fast is not None:
        return fast
    return _tarfile_header(name, size, is_dir=is_dir, mtime=mtime)


def _tarfile_header(name: str, size: int, *, is_dir: bool, mtime: int) -> bytes:
    """``tarfile``'s own pax header for these fields: the reference the fast paths equal."""
    info = tarfile.TarInfo(name)
    info.size = 0 if is_dir else size
    info.mtime = mtime
    info.mode = 0o755 if is_dir else 0o644
    info.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "strict")


def _ustar_header(name: str, size: int, *, is_dir: bool, mtime: int) -> bytes | None:
    """The same bytes as ``tarfile`` for an ASCII name, built directly: ``tarfile`` spends more
    time on a header than the hashes spend on a typical message. The header is joined from
    fields and its checksum summed from the fields that vary (a constant covers the rest): one
    header per message, so summing 512 bytes twice per message was a tenth of a production."""
    if not name.isascii() or size >= 8**11 or not 0 <= mtime < 8**11:
        return None
    raw = name.encode("ascii") + (b"/" if is_dir else b"")
    extended = b""
    if len(raw) > 100:
        # A longer name goes in a pax extended header ("path"), as tarfile writes it; the ustar
        # header keeps its first 100 bytes. Messages' names in a package often need this.
        extended = _pax_path(raw)
        raw = raw[:100]
    size_field = b"%011o\0" % (0 if is_dir else size)
    mtime_field = b"%011o\0" % mtime
    fixed = _DIR_FIELDS if is_dir else _FILE_FIELDS
    checksum = fixed.checksum + sum(raw) + sum(size_field) + sum(mtime_field)
    return b"".join(
        (
            extended,
            raw,
            bytes(100 - len(raw)),
            fixed.mode_ids,
            size_field,
            mtime_field,
            b"%06o\0 " % checksum,
            fixed.tail,
        )
    )


@dataclass(frozen=True)
class _Fields:
    """The fields of a ustar header that do not depend on the member: mode, uid and gid (before
    size and mtime), the type flag and everything after it, and their byte sum plus eight spaces
    (the checksum field counts as spaces while the checksum is summed)."""

    mode_ids: bytes
    tail: bytes
    checksum: int


def _fields(mode: bytes, typeflag: bytes) -> _Fields:
    mode_ids = mode + b"0000000\x000000000\0"
    tail = typeflag + bytes(100) + b"ustar\x0000" + bytes(BLOCK - 265)
    return _Fields(mode_ids, tail, sum(mode_ids) + sum(tail) + 8 * ord(" "))


_FILE_FIELDS = _fields(b"0000644\0", tarfile.REGTYPE)
_DIR_FIELDS = _fields(b"0000755\0", tarfile.DIRTYPE)
_PAX_FIELDS = _fields(b"0000000\0", tarfile.XHDTYPE)
_PAX_NAME = b"././@PaxHeader"
_PAX_MTIME = b"00000000000\0"


def _pax_path(raw: bytes) -> bytes:
    """tarfile's pax extended header holding one ``path`` record: a "././@PaxHeader" ustar
    header of type 'x', then the record (``<length> path=<name>\n``, the length counting
    itself) padded to a block."""
    body = len(raw) + len(b"path") + 3
    length = body + len(str(body))
    if len(str(length)) != len(str(body)):
        length = body + len(str(length))
    record = b"%d path=%s\n" % (length, raw)
    size_field = b"%011o\0" % len(record)
    checksum = _PAX_FIELDS.checksum + _PAX_NAME_SUM + sum(size_field) + _PAX_MTIME_SUM
    return b"".join(
        (
            _PAX_NAME,
            bytes(100 - len(_PAX_NAME)),
            _PAX_FIELDS.mode_ids,
            size_field,
            _PAX_MTIME,
            b"%06o\0 " % checksum,
            _PAX_FIELDS.tail,
            record,
            bytes(-len(record) % BLOCK),
        )
    )


_PAX_NAME_SUM = sum(_PAX_NAME)
_PAX_MTIME_SUM = sum(_PAX_MTIME)


@dataclass(frozen=True)
class Spool:
    """Messages of one directory kept in one file instead of one file each: creating tens of
    thousands of small files costs more than writing their bytes. ``index`` has one line per
    message, ``<name> <size>``, in order; ``data`` their bytes back to back."""

    data: Path
    index: Path


def order_key(name: str) -> list[bytes]:
    """Canonical member order: depth first, each directory's entries sorted by name (bytes), a
    directory's contents right after it."""
    return [part.encode() for part in name.split("/")]


class _Out:
    """Unbuffered output on a file descriptor, copying file data inside the kernel when it can."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending = bytearray()

    def write(self, data: bytes) -> None:
        self.pending += data
        if len(self.pending) >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        with memoryview(self.pending) as whole:
            view = whole
            while view:
                view = view[os.write(self.fd, view) :]
            view.release()
        self.pending.clear()

    def copy(self, src: int, offset: int, size: int) -> None:
        self.flush()
        end = offset + size
        while offset < end:
            try:
                done = os.copy_file_range(src, self.fd, end - offset, offset)
            except OSError:
                done = 0
            if done == 0:
                chunk = os.pread(src, min(_CHUNK, end - offset), offset)
                if not chunk:
                    raise IntegrityError("a file shrank while it was archived")
                self.write(chunk)
                self.flush()
                done = len(chunk)
            offset += done


def write_canonical(
    root: Path, fd: int, *, mtime: int, spools: dict[str, Spool] | None = None
) -> None:
    """Write the directory ``root`` as a canonical tar to the file descriptor ``fd``.

    ``spools`` maps a directory (relative to ``root``) to the spool holding its files.
    """
    out = _Out(fd)
    spools = spools or {}
    written = 0

    def member(name: str, size: int, *, is_dir: bool) -> None:
        nonlocal written
        header = _header(name, size, is_dir=is_dir, mtime=mtime)
        out.write(header)
        written += len(header) + size + (-size % BLOCK)

    def walk(path: Path, name: str) -> None:
        member(name, 0, is_dir=True)
        children = sorted(path.iterdir(), key=lambda p: p.name.encode())
        for child in children:
            child_name = f"{name}/{child.name}"
            if child.is_symlink():
                raise IntegrityError(f"{child_name} is a symbolic link; packages hold plain files")
            if child.is_dir():
                relative = child_name.partition("/")[2]
                if relative in spools:
                    spooled(child_name, spools[relative])
                else:
                    walk(child, child_name)
                continue
            size = child.stat().st_size
            member(child_name, size, is_dir=False)
            src = os.open(child, os.O_RDONLY)
            try:
                out.copy(src, 0, size)
            finally:
                os.close(src)
            out.write(b"\0" * (-size % BLOCK))

    def spooled(name: str, spool: Spool) -> None:
        member(name, 0, is_dir=True)
        src = os.open(spool.data, os.O_RDONLY)
        offset = 0
        try:
            with spool.index.open("rb") as index:
                for line in index:
                    file_name, size_text = line.decode().split()
                    size = int(size_text)
                    member(f"{name}/{file_name}", size, is_dir=False)
                    out.copy(src, offset, size)
                    out.write(b"\0" * (-size % BLOCK))
                    offset += size
        finally:
            os.close(src)

    walk(root, root.name)
    end = 2 * BLOCK
    end += -(written + end) % RECORD
    out.write(b"\0" * end)
    out.flush()


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
    return extract_archive(archive, dest)[0]


def extract_archive(archive: Path, dest: Path) -> tuple[Path, list[str] | None]:
    """``extract_canonical``, also returning the member order of a second-format archive (its
    files, relative to the bag, as they come: ``verify`` checks it against the index), or None
    for the first format (directory first, sorted: checked here)."""
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


def _check_end(raw: BinaryIO, end: int, archive: Path) -> None:
    """Name the header that ``tarfile`` stopped at, if the archive goes on after the last entry
    it read: ``tarfile`` ends the listing silently at a header it cannot parse (a damaged
    checksum, a bad number), which would otherwise look like trailing bytes."""
    raw.seek(end)
    block = raw.read(BLOCK)
    if len(block) < BLOCK or block == b"\0" * BLOCK:
        return
    name = block[:100].split(b"\0", 1)[0].decode("utf-8", "replace")
    try:
        tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    except tarfile.HeaderError as exc:
        reason = str(exc).rstrip(".") or "it cannot be parsed"
    else:
        reason = "it is not where the previous entry ends"
    raise IntegrityError(
        f"the archive header at byte {end} (entry {name!r}) in {archive.name} is corrupt: {reason}"
    )


def _extract(
    tar: tarfile.TarFile, raw: BinaryIO, size: int, dest: Path, archive: Path
) -> tuple[Path, list[str] | None]:
    end = 0
    mtime: int | None = None
    root: str | None = None
    previous: list[bytes] | None = None
    flat: list[str] | None = None  # the second format: files only, their order checked later
    for member in tar:
        name = member.name
        if root is None:
            if member.isdir():
                root = name
                if "/" in name or name in ("", ".", ".."):
                    raise IntegrityError(
                        f"the archive's first entry {name!r} is not the bag directory"
                    )
            else:
                root = name.partition("/")[0]
                flat = []
                if "/" not in name or root in ("", ".", ".."):
                    raise IntegrityError(
                        f"the archive's first entry {name!r} is not a file of a bag directory"
                    )
        if name != root and (
            not name.startswith(root + "/") or ".." in name.split("/") or "//" in name
        ):
            raise IntegrityError(f"archive entry {name!r} lies outside the bag directory {root}")
        if not (member.isdir() or member.isfile()):
            raise IntegrityError(f"archive entry {name} is not a plain file or directory")
        if flat is not None:
            if member.isdir():
                raise IntegrityError(
                    f"archive entry {name} is a directory in an archive of files only"
                )
            flat.append(name.partition("/")[2])
        else:
            key = order_key(name)
            if previous is not None and key <= previous:
                raise IntegrityError(f"archive entry {name} is out of canonical order")
            previous = key
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
        if flat is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
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
    _check_end(raw, end, archive)
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
    return dest / root, flat


class StreamingArchive:
    """The archive of the second package format, written while the package is built.

    Each message goes into the archive as it arrives (header, bytes, padding), in production
    order, so its bytes are written once; the files known only at the end (index, manifests,
    mbox, tag files) follow, sorted (``order_key``). There are no directory members. A thread
    writes and hashes (SHA-256 of the whole archive) full buffers while the caller reads and
    decrypts the next records: both ``os.write`` and hashlib release the GIL.
    """

    def __init__(self, fd: int, *, root: str, mtime: int) -> None:
        self._fd = fd
        self._root = root
        self._mtime = mtime
        self._pending = bytearray()
        self._sha256 = hashlib.sha256()
        self._queue: queue.Queue[bytearray | None] = queue.Queue(maxsize=_QUEUED)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="comity-archive", daemon=True)
        self._sent = 0
        self._closed = False
        self._thread.start()

    def add(self, name: str, data: bytes) -> None:
        """A file member ``<root>/<name>`` holding ``data``."""
        self._pending += _header(f"{self._root}/{name}", len(data), is_dir=False, mtime=self._mtime)
        self._pending += data
        self._pending += bytes(-len(data) % BLOCK)
        if len(self._pending) >= _CHUNK:
            self._ship()

    def add_file(self, name: str, path: Path) -> None:
        """A file member ``<root>/<name>`` holding the bytes of ``path`` (read in chunks)."""
        size = path.stat().st_size
        self._pending += _header(f"{self._root}/{name}", size, is_dir=False, mtime=self._mtime)
        copied = 0
        with path.open("rb") as src:
            while chunk := src.read(_CHUNK):
                self._pending += chunk
                copied += len(chunk)
                if len(self._pending) >= _CHUNK:
                    self._ship()
        if copied != size:
            raise IntegrityError(f"{name} changed size while it was archived")
        self._pending += bytes(-size % BLOCK)

    def close(self) -> str:
        """Write the end of the archive (two zero blocks, then zeros to a whole tar record) and
        return the archive's SHA-256."""
        written = self._sent + len(self._pending)
        end = 2 * BLOCK
        end += -(written + end) % RECORD
        self._pending += bytes(end)
        self._finish()
        return self._sha256.hexdigest()

    def abort(self) -> None:
        """Stop the writer thread without finishing the archive (the caller removes it)."""
        if not self._closed:
            self._pending.clear()
            self._finish(check=False)

    def _ship(self) -> None:
        if self._error is not None:
            raise self._error
        chunk, self._pending = self._pending, bytearray()
        self._sent += len(chunk)
        self._queue.put(chunk)

    def _finish(self, *, check: bool = True) -> None:
        if self._pending:
            self._ship()
        self._closed = True
        self._queue.put(None)
        self._thread.join()
        if check and self._error is not None:
            raise self._error

    def _drain(self) -> None:
        written = flushed = 0
        while (chunk := self._queue.get()) is not None:
            if self._error is not None:
                continue  # keep taking chunks so the producer never blocks on a dead writer
            try:
                self._sha256.update(chunk)
                with memoryview(chunk) as view:
                    rest = view
                    while rest:
                        rest = rest[os.write(self._fd, rest) :]
                    rest.release()
                written += len(chunk)
                if written - flushed >= _WRITEBACK:
                    self._start_writeback(flushed, written - flushed)
                    flushed = written
            except BaseException as exc:  # re-raised in the producing thread
                self._error = exc

    def _start_writeback(self, offset: int, length: int) -> None:
        """Have the kernel start writing ``length`` bytes at ``offset`` to disk now, without
        waiting: the disk works while the records are still read and decrypted, instead of
        all of it at the fsync that publishes the package. Only a hint; the fsync is what
        makes the package durable."""
        if _sync_file_range is not None:
            _sync_file_range(self._fd, offset, length, _SYNC_FILE_RANGE_WRITE)
