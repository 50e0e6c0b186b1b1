"""Turn ingest inputs into ``Record``s: messages into content plus traffic, JSON, CSV.

Record ids are digests of the account and the input bytes, so ingesting the same input twice
yields the same ids and the store keeps one copy. A message that does not parse cleanly still
becomes a record, byte for byte, with a warning; an input that is not of the kind asked for at
all is refused before anything is yielded.
"""

from __future__ import annotations

import csv
import hashlib
import ipaddress
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from pathlib import Path
from typing import Any

from comity.adapters.mail.headers import looks_like_header_line, parse_header, traffic_fields
from comity.adapters.mail.mbox import MboxMessage, split_mbox
from comity.domain.audit import canonical_json
from comity.domain.categories import Category
from comity.domain.records import MEDIA_TYPE_MESSAGE, Record
from comity.errors import InvalidInput, collect

Progress = Callable[[int], None]
MAX_PROBLEMS = 50


def _digest(account_id: str, data: bytes) -> str:
    """160 bits of BLAKE2b over the account and the input: stable, and fast on large mailboxes."""
    h = hashlib.blake2b(account_id.encode(), digest_size=20)
    h.update(b"\0")
    h.update(data)
    return h.hexdigest()


def _stable_id(prefix: str, account_id: str, data: bytes) -> str:
    return f"{prefix}-{_digest(account_id, data)}"


def message_records(
    account_id: str,
    data: bytes,
    fallback: Callable[[], tuple[datetime, str]],
    envelope: bytes | None = None,
) -> tuple[Record, Record]:
    """The content record (the exact bytes, and the mbox ``envelope`` line it came with) and the
    traffic record of one message.

    ``fallback`` gives a time (and where it came from) for a message without a usable Date.
    """
    header = parse_header(data)
    fields, when, more = traffic_fields(header, len(data))
    warnings = header.warnings + more
    if when is None:
        when, why = fallback()
        warnings.append(f"its time is taken from {why}")
    warning = "; ".join(warnings) if warnings else None
    digest = _digest(account_id, data)
    content = Record(
        f"m-{digest}",
        account_id,
        Category.CONTENT,
        when,
        data,
        MEDIA_TYPE_MESSAGE,
        warning,
        envelope,
    )
    traffic = Record.of_fields(f"t-{digest}", account_id, Category.TRAFFIC, when, fields)
    return content, traffic


def _envelope_time(envelope: bytes) -> datetime | None:
    """The date of an mbox ``From sender Wed Dec  4 09:00:00 2013`` line, read as UTC."""
    parts = envelope.decode("ascii", "replace").split()
    if len(parts) < 7:
        return None
    try:
        return datetime.strptime(" ".join(parts[-5:]), "%a %b %d %H:%M:%S %Y").replace(tzinfo=UTC)
    except ValueError:
        try:
            return parsedate_to_datetime(" ".join(parts[2:]))
        except (TypeError, ValueError, IndexError):
            return None


def _open_file(path: Path) -> None:
    if path.is_dir():
        raise InvalidInput(f"{path} is a directory; use 'comity ingest maildir' for a Maildir")
    if not path.exists():
        raise InvalidInput(f"{path}: no such file")


def mbox_records(
    path: Path, account_id: str, now: datetime, progress: Progress | None = None
) -> Iterator[Record]:
    _open_file(path)
    with path.open("rb") as stream:
        for message in split_mbox(stream, str(path), progress):
            yield from message_records(
                account_id, message.data, partial(_from_line, message, now), message.envelope
            )


def _from_line(message: MboxMessage, now: datetime) -> tuple[datetime, str]:
    when = _envelope_time(message.envelope)
    return (when, "the mbox 'From ' line") if when else (now, "the ingest time")


def _mtime(path: Path) -> tuple[datetime, str]:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC), "the file's modification time"


def eml_records(path: Path, account_id: str, progress: Progress | None = None) -> Iterator[Record]:
    _open_file(path)
    data = path.read_bytes()
    if progress:
        progress(len(data))
    first = data.split(b"\n", 1)[0]
    if not data.strip():
        raise InvalidInput(f"{path} is empty; a message starts with header fields")
    if first.startswith(b"From "):
        raise InvalidInput(f"{path} starts with a 'From ' line; use 'comity ingest mbox' for it")
    if not looks_like_header_line(first):
        raise InvalidInput(
            f"{path} is not an e-mail message: its first line {first[:40]!r} is not a "
            "'Name: value' header field"
        )
    yield from message_records(account_id, data, partial(_mtime, path))


def maildir_files(path: Path) -> list[Path]:
    """The message files of Maildir ``path`` (cur/ and new/), in a stable order."""
    if not path.is_dir():
        raise InvalidInput(f"{path} is not a directory; a Maildir holds cur/, new/ and tmp/")
    missing = [d for d in ("cur", "new") if not (path / d).is_dir()]
    if missing:
        raise InvalidInput(f"{path} is not a Maildir: it has no {' or '.join(missing)}/ folder")
    return sorted(
        f
        for d in ("cur", "new")
        for f in (path / d).iterdir()
        if f.is_file() and not f.name.startswith(".")
    )


def maildir_records(
    path: Path, account_id: str, progress: Progress | None = None
) -> Iterator[Record]:
    for file in maildir_files(path):
        data = file.read_bytes()
        if progress:
            progress(1)
        yield from message_records(account_id, data, partial(_mtime, file))


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def subscriber_records(
    path: Path, account_id: str, progress: Progress | None = None
) -> Iterator[Record]:
    """Subscriber records from a JSON object or list of objects, each with ``created_at``."""
    _open_file(path)
    raw = path.read_bytes()
    if progress:
        progress(len(raw))
    try:
        doc: Any = json.loads(raw)
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{path} is not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    items = doc if isinstance(doc, list) else [doc]
    problems: list[str] = []
    records: list[Record] = []
    for i, item in enumerate(items):
        where = f"{path}: item {i}" if isinstance(doc, list) else str(path)
        if not isinstance(item, dict):
            problems.append(f"{where} must be a JSON object of subscriber fields")
            continue
        when = _time(item.get("created_at"))
        if when is None:
            problems.append(
                f"{where}: created_at must be an ISO 8601 date-time with a time zone, got "
                f"{item.get('created_at')!r}"
            )
            continue
        rid = _stable_id("s", account_id, canonical_json(item))
        records.append(Record.of_fields(rid, account_id, Category.SUBSCRIBER, when, item))
    collect(problems)
    yield from records


def identification_records(
    path: Path, account_id: str, progress: Progress | None = None
) -> Iterator[Record]:
    """Login IPs with times from CSV with columns ``ip,time`` and optional ``port``, ``event``.

    Rows stream out as they are read; a bad row is reported with its line number at the end, and
    the caller's transaction then writes none of them.
    """
    _open_file(path)
    problems: list[str] = []
    with path.open("r", encoding="utf-8", newline="") as text:
        reader = csv.DictReader(text)
        try:
            columns = reader.fieldnames
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InvalidInput(f"{path} is not a UTF-8 CSV file: {exc}") from None
        if not columns or not {"ip", "time"} <= set(columns):
            raise InvalidInput(
                f"{path}: the first line must name the columns, including ip and time "
                f"(got {columns or 'nothing'})"
            )
        try:
            for row in reader:
                line = reader.line_num
                if progress:
                    progress(1)
                fields, problem = _identification_row(row)
                if problem:
                    if len(problems) < MAX_PROBLEMS:
                        problems.append(f"{path}: line {line}: {problem}")
                    continue
                if not problems:
                    when = _time(row["time"])
                    assert when is not None
                    rid = _stable_id("i", account_id, canonical_json(fields))
                    yield Record.of_fields(rid, account_id, Category.IDENTIFICATION, when, fields)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InvalidInput(f"{path}: line {reader.line_num}: not readable CSV: {exc}") from None
    collect(problems)


def _identification_row(row: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    if None in row:
        return {}, "has more values than there are columns"
    ip, time = (row.get("ip") or "").strip(), row.get("time") or ""
    try:
        ip = str(ipaddress.ip_address(ip))
    except ValueError:
        return {}, f"ip {ip!r} is not an IPv4 or IPv6 address"
    when = _time(time.strip())
    if when is None:
        return {}, f"time {time!r} must be an ISO 8601 date-time with a time zone"
    fields: dict[str, Any] = {k: v for k, v in row.items() if k and v not in (None, "")}
    fields["ip"], fields["time"] = ip, when.isoformat()
    if row.get("port"):
        port = str(row["port"]).strip()
        if not port.isdigit() or not 0 <= int(port) <= 65535:
            return {}, f"port {port!r} must be a number from 0 to 65535"
        fields["port"] = int(port)
    return fields, None
