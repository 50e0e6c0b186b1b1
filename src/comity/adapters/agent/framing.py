"""The agent's record stream: a simple length-prefixed framing over HTTP.

Each frame is a 4-byte big-endian header length, the header (canonical JSON), an 8-byte
big-endian body length and the body. A record's header carries its id, account, category,
time, media type and warning, its body the decrypted bytes. The stream ends with an ``end``
frame carrying the record count, so a reader can tell a complete stream from a cut connection;
an ``error`` frame stops it when the agent fails after the response has begun.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from comity.domain.audit import canonical_json
from comity.domain.categories import Category
from comity.domain.records import Record
from comity.errors import ComityError, IntegrityError

MEDIA_TYPE = "application/vnd.comity.records"
_HEAD = struct.Struct(">I")
_BODY = struct.Struct(">Q")
MAX_HEADER = 64 * 1024


def frame(header: dict[str, Any], body: bytes = b"") -> bytes:
    return raw_frame(canonical_json(header), body)


def raw_frame(head: bytes, body: bytes = b"") -> bytes:
    """A frame of an already serialised header (the part file binds these very bytes)."""
    return b"".join((_HEAD.pack(len(head)), head, _BODY.pack(len(body)), body))


#: Frames are sent in chunks of about this size, not one per record: the server iterates a sync
#: generator one thread hop per chunk, which at a chunk per record cost more than the records.
CHUNK_BYTES = 256 * 1024


def encode(records: Iterable[Record], *, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The frames for ``records``, then ``end``, in chunks of about ``chunk_bytes``; an
    ``error`` frame, after the frames already made, if reading them fails."""
    count = 0
    pending: list[bytes] = []
    size = 0
    try:
        for r in records:
            count += 1
            data = frame(record_header(r), r.body)
            pending.append(data)
            size += len(data)
            if size >= chunk_bytes:
                yield b"".join(pending)
                pending, size = [], 0
    except ComityError as exc:
        pending.append(frame({"type": "error", "message": exc.message}))
        yield b"".join(pending)
        return
    pending.append(frame({"type": "end", "count": count}))
    yield b"".join(pending)


def read_frames(chunks: Iterable[bytes], *, source: str) -> Iterator[tuple[dict[str, Any], bytes]]:
    """(header, body) of each frame in a byte stream; ``IntegrityError`` if it is cut or a
    header is malformed. The caller decides what the frames mean."""
    for header, _, body in read_raw_frames(chunks, source=source):
        yield header, body


def read_raw_frames(
    chunks: Iterable[bytes], *, source: str
) -> Iterator[tuple[dict[str, Any], bytes, bytes]]:
    """(header, the header's bytes as sent, body) of each frame."""
    buffer = bytearray()
    chunks = iter(chunks)
    pos = 0  # read so far in ``buffer``: trimmed only when more is needed, not per frame

    def need(n: int) -> bytes:
        nonlocal pos
        if len(buffer) - pos < n:
            del buffer[:pos]
            pos = 0
            while len(buffer) < n:
                chunk = next(chunks, None)
                if chunk is None:
                    raise IntegrityError(f"{source}: the record stream ended before its end frame")
                buffer.extend(chunk)
        with memoryview(buffer) as view:
            data = bytes(view[pos : pos + n])
        pos += n
        return data

    while True:
        (head_len,) = _HEAD.unpack(need(_HEAD.size))
        if head_len > MAX_HEADER:
            raise IntegrityError(f"{source}: a frame header of {head_len} bytes is not valid")
        head = need(head_len)
        try:
            header = json.loads(head)
        except ValueError:
            raise IntegrityError(f"{source}: a frame header is not JSON") from None
        if not isinstance(header, dict):
            raise IntegrityError(f"{source}: a frame header is not an object")
        (body_len,) = _BODY.unpack(need(_BODY.size))
        yield header, head, need(body_len)


def record_header(r: Record) -> dict[str, Any]:
    """A record's frame header: everything but its body."""
    return {
        "type": "record",
        "id": r.id,
        "account": r.account_id,
        "category": r.category.value,
        "occurred_at": r.occurred_at.isoformat(),
        "media_type": r.media_type,
        "warning": r.warning,
        "envelope": None if r.envelope is None else base64.b64encode(r.envelope).decode(),
    }


def record_of(header: dict[str, Any], body: bytes, *, source: str) -> Record:
    """The record a frame carries; ``IntegrityError`` if its header is malformed."""
    try:
        return Record(
            str(header["id"]),
            str(header["account"]),
            Category.parse(header["category"]),
            datetime.fromisoformat(header["occurred_at"]),
            body,
            str(header["media_type"]),
            header.get("warning"),
            _envelope(header.get("envelope")),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise IntegrityError(f"{source}: a record frame is malformed ({exc})") from None


def decode(chunks: Iterable[bytes], *, source: str) -> Iterator[Record]:
    """Records from a byte stream of frames; ``IntegrityError`` if it is cut or malformed."""
    count = 0
    for header, body in read_frames(chunks, source=source):
        kind = header.get("type")
        if kind == "end":
            if header.get("count") != count:
                raise IntegrityError(
                    f"{source}: the stream announced {header.get('count')} records, sent {count}"
                )
            return
        if kind == "error":
            raise IntegrityError(f"{source}: {header.get('message')}")
        if kind != "record":
            raise IntegrityError(f"{source}: unknown frame type {kind!r}")
        count += 1  # noqa: SIM113 (end and error frames are not counted)
        yield record_of(header, body, source=source)


def _envelope(value: object) -> bytes | None:
    """The record's mbox envelope line, base64 in the header (it may hold any byte)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("envelope must be base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ValueError("envelope is not base64") from None
