"""The agent's record stream: a simple length-prefixed framing over HTTP.

Each frame is a 4-byte big-endian header length, the header (canonical JSON), an 8-byte
big-endian body length and the body. A record's header carries its id, account, category,
time, media type and warning, its body the decrypted bytes. The stream ends with an ``end``
frame carrying the record count, so a reader can tell a complete stream from a cut connection;
an ``error`` frame stops it when the agent fails after the response has begun.
"""

from __future__ import annotations

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
    head = canonical_json(header)
    return _HEAD.pack(len(head)) + head + _BODY.pack(len(body)) + body


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
            data = frame(
                {
                    "type": "record",
                    "id": r.id,
                    "account": r.account_id,
                    "category": r.category.value,
                    "occurred_at": r.occurred_at.isoformat(),
                    "media_type": r.media_type,
                    "warning": r.warning,
                },
                r.body,
            )
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


def decode(chunks: Iterable[bytes], *, source: str) -> Iterator[Record]:
    """Records from a byte stream of frames; ``IntegrityError`` if it is cut or malformed."""
    buffer = bytearray()
    pos = 0  # what is read of ``buffer``; dropped only when more bytes are needed
    chunks = iter(chunks)
    count = 0

    def need(n: int) -> bytes:
        nonlocal pos
        while len(buffer) - pos < n:
            chunk = next(chunks, None)
            if chunk is None:
                raise IntegrityError(f"{source}: the record stream ended before its end frame")
            del buffer[:pos]
            pos = 0
            buffer.extend(chunk)
        data = bytes(buffer[pos : pos + n])
        pos += n
        return data

    while True:
        (head_len,) = _HEAD.unpack(need(_HEAD.size))
        if head_len > MAX_HEADER:
            raise IntegrityError(f"{source}: a frame header of {head_len} bytes is not valid")
        try:
            header = json.loads(need(head_len))
        except ValueError:
            raise IntegrityError(f"{source}: a frame header is not JSON") from None
        (body_len,) = _BODY.unpack(need(_BODY.size))
        body = need(body_len)
        kind = header.get("type") if isinstance(header, dict) else None
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
        try:
            record = Record(
                str(header["id"]),
                str(header["account"]),
                Category.parse(header["category"]),
                datetime.fromisoformat(header["occurred_at"]),
                body,
                str(header["media_type"]),
                header.get("warning"),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise IntegrityError(f"{source}: a record frame is malformed ({exc})") from None
        count += 1
        yield record
