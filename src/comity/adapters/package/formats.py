"""The byte-exact renderings of records inside a package: mbox entries, JSON and CSV files.

Each is a pure function of the records, so the writer and ``comity verify`` produce the same bytes
and the verifier can rebuild derived files (mbox from the .eml files, CSV from the JSON) and demand
equality instead of trusting them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from comity.domain.audit import canonical_json

# mboxrd quoting (RFC 4155 notes; the "mboxrd" variant): any line that starts with zero or more
# '>' followed by "From " gets one more '>', so the reader can undo it exactly.
# Anchored on the newline rather than with MULTILINE's ^, which is several times slower.
_FROM_LINE = re.compile(rb"\n(>*From )")
_FIRST_FROM = re.compile(rb">*From ")
_SENDER = re.compile(rb"^From:[^\n]*?([A-Za-z0-9._%+=-]+@[A-Za-z0-9.-]+)", re.MULTILINE | re.I)


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``; the one way times are written in a package."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_timestamp(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no zone")
    return moment


def envelope_sender(message: bytes) -> str:
    """The address for the mbox ``From_`` line: the message's From: address, or MAILER-DAEMON."""
    ends = [i for i in (message.find(b"\n\n"), message.find(b"\n\r\n")) if i >= 0]
    head = message[: min([*ends, 16384])]
    found = _SENDER.search(head)
    return found.group(1).decode("ascii") if found else "MAILER-DAEMON"


def valid_envelope(line: bytes) -> bool:
    """An mbox ``From `` line that can be written back as it was: one line, UTF-8 (the index
    that carries it is UTF-8 text)."""
    if not line.startswith(b"From ") or b"\n" in line or b"\r" in line:
        return False
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def mbox_entry(message: bytes, occurred_at: datetime, envelope: bytes | None = None) -> bytes:
    """One mbox entry: the From_ line, the message with mboxrd quoting, and a blank line.

    The From_ line is ``envelope``, the line the message was ingested with, when there is one;
    else one made from the message's From: address and ``occurred_at``."""
    when = occurred_at.astimezone(UTC).strftime("%a %b %d %H:%M:%S %Y")
    if b"From " not in message:
        quoted = message
    elif b"\n>" in message:
        quoted = _FROM_LINE.sub(rb"\n>\1", message)
    else:
        # No line starts with '>', so only plain "From " lines need quoting: the same bytes as
        # the expression above, without a Python call per match.
        quoted = message.replace(b"\nFrom ", b"\n>From ")
    if _FIRST_FROM.match(quoted):
        quoted = b">" + quoted
    if not quoted.endswith(b"\n"):
        quoted += b"\n"
    if envelope is not None:
        return envelope + b"\n" + quoted + b"\n"
    return f"From {envelope_sender(message)} {when}\n".encode() + quoted + b"\n"


def json_entry(record_id: str, occurred_at: datetime, fields: dict[str, Any]) -> bytes:
    """One line of a category's JSON file (without the separator)."""
    return canonical_json(
        {"id": record_id, "occurred_at": timestamp(occurred_at), "fields": fields}
    )


def json_file(entries: Iterable[bytes]) -> Iterator[bytes]:
    """A JSON array with one canonical entry per line, written as it streams."""
    yield b"["
    first = True
    for entry in entries:
        yield (b"\n" if first else b",\n") + entry
        first = False
    yield b"\n]\n"


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return canonical_json(value).decode()


def csv_header(field_names: Iterable[str]) -> list[str]:
    return ["id", "occurred_at", *sorted(set(field_names))]


def csv_row(header: list[str], entry: dict[str, Any]) -> bytes:
    """One CSV line (RFC 4180, CRLF) for a parsed JSON entry."""
    fields = entry["fields"]
    cells = [entry["id"], entry["occurred_at"], *(csv_cell(fields.get(k)) for k in header[2:])]
    return csv_line(cells)


#: Characters that make the csv module quote a cell (QUOTE_MINIMAL with "," and '"').
_CSV_SPECIAL = re.compile(r'[,"\r\n]')


def csv_line(cells: list[str]) -> bytes:
    """The cells as one RFC 4180 line, exactly as ``csv.writer`` writes it (a property test
    checks): cells without a special character are joined directly, one per record is cheaper
    than a writer object. The cells are searched as one string (a special character is in the
    concatenation exactly when it is in a cell): one search per line, not one per cell."""
    if len(cells) > 1 and not _CSV_SPECIAL.search("".join(cells)):
        return (",".join(cells) + "\r\n").encode()
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().encode()


def parse_json_line(line: bytes) -> dict[str, Any]:
    value = json.loads(line)
    assert isinstance(value, dict)
    return value
