"""One way every list pages: ``limit`` items at a time, continued by an opaque cursor.

A page holds at most ``limit`` items in the list's own order; ``next`` is the key of the last item
shown, encoded, and the next page is the items strictly after that key (keyset pagination). A
page therefore costs the same however deep it is and however many items there are, and an item
saved between two pages is neither shown twice nor skipped because others moved
(docs/adr/0011-one-paging-shape.md).

A cursor is URL-safe base64 without padding of a JSON list of strings: the key's parts. It is
opaque to clients, and every string the published pattern allows names a position
(``position``): the key it encodes when it is a key of that list, else the start of the list, so
a client never holds a well-formed cursor the server refuses and, given a cursor it did not give
out (another list's, an old key format's, a mangled one), repeats items rather than losing any.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from comity.errors import InvalidInput

#: The most one page may hold; a caller asking for more is told so.
MAX_PAGE = 500
#: What a page holds when the caller does not say.
DEFAULT_PAGE = 50
#: The longest cursor accepted; a cursor the server gives out is far shorter.
MAX_CURSOR = 2000
#: Exactly the characters a cursor is made of (URL-safe base64, no padding), published in the
#: OpenAPI description so clients and fuzzers know what the server accepts.
CURSOR_PATTERN = rf"^[A-Za-z0-9_-]{{1,{MAX_CURSOR}}}$"

#: The largest sequence number a cursor can name (PostgreSQL's ``bigint``).
MAX_NUMBER = 2**63 - 1

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; give ``next`` back as the cursor for the page after (None: last)."""

    items: list[T]
    next: str | None


def check_limit(limit: int | None, what: str) -> None:
    """One sentence for a page size out of bounds (``what``: cases, demands, deadlines...)."""
    if limit is not None and not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit: expected 1 to {MAX_PAGE} {what} a page, got {limit}")


def encode(parts: Sequence[str]) -> str:
    """An opaque cursor: the key of the last row shown, so the next page starts after it."""
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


def decode(cursor: str, size: int, field: str = "cursor") -> list[str]:
    """The parts of a cursor this service gave out, or one sentence saying it is not one."""
    parts: object = None
    if len(cursor) <= MAX_CURSOR:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            parts = json.loads(raw)
        except (binascii.Error, ValueError, RecursionError):  # deep nesting: not ours either
            parts = None
    if (
        not isinstance(parts, list)
        or len(parts) != size
        or not all(isinstance(p, str) for p in parts)
    ):
        raise InvalidInput(f"{field}: not a cursor this list gave out")
    return parts


def position(
    cursor: str | None, size: int, read: Callable[[list[str]], K], field: str = "cursor"
) -> K | None:
    """The position a cursor names: its key, or None (the start) when it is not a key of this list.

    Total over the published pattern (docs/adr/0011-one-paging-shape.md): a well-formed cursor
    the server did not give out pages from the start, never a 400 a client could not foresee
    from the schema. Only a cursor longer than the pattern allows is one sentence.
    """
    if cursor is None:
        return None
    if len(cursor) > MAX_CURSOR:
        raise InvalidInput(f"{field}: at most {MAX_CURSOR} characters, got {len(cursor)}")
    try:
        parts = decode(cursor, size, field)
        # NUL: no key holds one, and PostgreSQL cannot compare a text with it
        return None if any("\x00" in p for p in parts) else read(parts)
    except InvalidInput:
        return None


def instant(text: str, field: str = "cursor") -> datetime:
    """A time read back from a cursor part (always written with its offset)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{field}: not a cursor this list gave out") from None
    try:
        value.astimezone(UTC)  # year 1 east of UTC or 9999 west of it has no UTC time
    except (OverflowError, ValueError):
        raise InvalidInput(f"{field}: not a cursor this list gave out") from None
    if value.tzinfo is None:
        raise InvalidInput(f"{field}: not a cursor this list gave out")
    return value


def number(text: str, field: str = "cursor") -> int:
    """A sequence number read back from a cursor part."""
    if not text.isascii() or not text.isdigit() or int(text) > MAX_NUMBER:
        raise InvalidInput(f"{field}: not a cursor this list gave out")
    return int(text)


def cut(
    rows: Sequence[R], limit: int | None, key: Callable[[R], str]
) -> tuple[list[R], str | None]:
    """The rows to show and the cursor after them, from a query that asked for ``limit + 1``.

    The one row more than asked tells whether there is a next page without counting.
    """
    if limit is None or len(rows) <= limit:
        return list(rows), None
    shown = list(rows[:limit])
    return shown, key(shown[-1])


def fetch_size(limit: int | None) -> int | None:
    """How many rows to ask the database for: one more than the page, to know if more follow."""
    return None if limit is None else limit + 1


def stamp(value: datetime) -> str:
    """A time as a cursor part that sorts as the time does (UTC, fixed width)."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def keyset_page(
    items: Iterable[T],
    key: Callable[[T], tuple[str, ...]],
    *,
    parts: int,
    limit: int,
    after: str | None,
    what: str,
) -> Page[T]:
    """A page of a list the service reads whole, cut by key exactly as the database lists are.

    For lists bounded by their nature (one demand's assessments, productions and attachments;
    the registry's authorities and requesters): the items are ordered by ``key`` (unique), and
    the page is those strictly after the cursor's key, so paging behaves as the keyset lists
    do (nothing repeated or skipped when an item is added between pages). ``parts`` is how many
    strings a key has.
    """
    check_limit(limit, what)
    ordered = sorted(items, key=key)
    start = position(after, parts, tuple)
    if start is not None:
        ordered = [i for i in ordered if key(i) > start]
    shown, cursor = cut(ordered, limit, lambda i: encode(key(i)))
    return Page(shown, cursor)
