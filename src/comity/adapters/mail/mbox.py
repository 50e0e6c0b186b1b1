"""Split an mbox file into messages, streaming, keeping every message's bytes exactly.

A message starts after a ``From `` line (the envelope line) that opens the file or follows an
empty line; the empty line before the next envelope line is the separator, not part of the
message. Nothing is un-quoted (``>From`` stays ``>From``): the record is the bytes as they sit in
the mailbox. The envelope line is returned beside the message (``MboxMessage.envelope``); ingest
reads the record's time from it when the message has no usable Date, and keeps it with the record
(sealed in the region store like the body), so a package's mbox gives back the original line
(docs/productions.md, "The mbox envelope line").
Memory holds one message and one read chunk, never the whole mailbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from comity.errors import InvalidInput

CHUNK = 1 << 20
ENVELOPE = b"From "


@dataclass(frozen=True)
class MboxMessage:
    envelope: bytes  # the "From sender date" line, without its line ending
    data: bytes  # the message, exactly as stored between envelope line and separator


def _strip_eol(line: bytes) -> bytes:
    return line.rstrip(b"\r\n")


def _message(buf: bytes, start: int, end: int) -> MboxMessage:
    """The message whose envelope line starts at ``start`` and whose bytes end at ``end``."""
    line_end = buf.find(b"\n", start, end)
    if line_end == -1:
        return MboxMessage(_strip_eol(buf[start:end]), b"")
    return MboxMessage(_strip_eol(buf[start:line_end]), buf[line_end + 1 : end])


def split_mbox(
    stream: BinaryIO,
    name: str,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK,
) -> Iterator[MboxMessage]:
    """Yield the messages of the mbox ``stream``; refuse input that is not an mbox at all.

    The check happens before the first message is yielded, so a refused file writes nothing.
    """
    buf = stream.read(chunk_size)
    if progress:
        progress(len(buf))
    if not buf:
        raise InvalidInput(f"{name} is empty; an mbox mailbox starts with a 'From ' line")
    if not buf.startswith(ENVELOPE):
        first = buf[: min(len(buf), 40)].split(b"\n", 1)[0]
        raise InvalidInput(
            f"{name} is not an mbox mailbox: it must start with a 'From ' line, but starts with "
            f"{first!r}"
        )
    start, scan, eof = 0, 0, False
    while True:
        p = buf.find(b"\n" + ENVELOPE, scan)
        if p == -1:
            if eof:
                break
            chunk = stream.read(chunk_size)
            if progress:
                progress(len(chunk))
            if not chunk:
                eof = True
                continue
            # Keep the current message and enough bytes to find a separator across the boundary.
            scan = max(len(buf) - len(ENVELOPE) - 2, start) - start
            buf = buf[start:] + chunk
            start = 0
            continue
        if p > start and buf[p - 1 : p] == b"\n":
            end = p  # LF separator: the empty line is the "\n" at p
        elif p > start + 1 and buf[p - 2 : p] == b"\n\r":
            end = p - 1  # CRLF separator
        else:
            scan = p + 1  # "From " inside a message that no blank line precedes: not a separator
            continue
        yield _message(buf, start, end)
        start = scan = p + 1
    tail = _message(buf, start, len(buf))
    data = tail.data
    if data.endswith(b"\r\n\r\n"):
        data = data[:-2]
    elif data.endswith(b"\n\n"):
        data = data[:-1]
    yield MboxMessage(tail.envelope, data)
