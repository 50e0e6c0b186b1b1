"""Mailboxes on the provider's IMAP server, read through its master (admin) user.

The agent logs in as ``<mailbox user>*<master user>`` (Dovecot's master-user separator; Cyrus
and others take the same through SASL's authorization id), so the customer's own password is
never needed and the server's own access log names Comity. Every folder is opened with
``EXAMINE`` (read-only) and every message fetched with ``BODY.PEEK[]``, so no flag changes: the
customer sees nothing, and ``\\Seen`` stays what it was. A record id is the source name, the
mailbox user, the folder, its UIDVALIDITY and the message UID: stable for as long as the server
keeps that UIDVALIDITY, which is what a snapshot and a later production need to agree on.

The period is searched by INTERNALDATE (``SEARCH SINCE/BEFORE``, whole days, widened by one day
either side for time zones) and then cut exactly on the INTERNALDATE the server reports, which is
the record's ``occurred_at``: the time the server received the message, not a sender-written
``Date:`` that may be absent or false.
"""

from __future__ import annotations

import imaplib
import queue
import re
import ssl
import threading
from collections.abc import Iterator, Sequence
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from comity.adapters.sources.secret_file import read_secret
from comity.domain.accounts import Selector
from comity.domain.categories import Category
from comity.domain.records import MEDIA_TYPE_MESSAGE, Record
from comity.errors import ConfigurationError
from comity.services.custody.source_ports import AccountRef, SourceAccount, SourceUnavailable

LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?P<delim>"[^"]*"|NIL) (?P<name>.+)$')
FETCH_HEAD = re.compile(rb"UID (?P<uid>\d+)|INTERNALDATE \"(?P<date>[^\"]+)\"")
LOGINS = ("{email}", "{local}")
#: Messages fetched per round trip: big enough to keep the link busy, small enough to stream.
BATCH = 200
#: Batches fetched ahead of the reader.
AHEAD = 2


class ImapSource:
    """One ``kind = "imap"`` source of one region."""

    categories = frozenset({Category.CONTENT})

    def __init__(
        self,
        name: str,
        *,
        url: str,
        master_user: str,
        password_file: Path,
        login: str = "{email}",
        timeout: float = 30.0,
        batch: int = BATCH,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname:
            raise ConfigurationError(f"source {name}: url {url!r} must be imap:// or imaps://")
        if login not in LOGINS:
            raise ConfigurationError(f"source {name}: login must be one of {', '.join(LOGINS)}")
        self._name = name
        self._tls = parts.scheme == "imaps"
        self._host = parts.hostname
        self._port = parts.port or (993 if self._tls else 143)
        self._master = master_user
        self._password_file = password_file
        self._login = login
        self._timeout = timeout
        self._batch = batch

    @property
    def name(self) -> str:
        return self._name

    @property
    def sequenced(self) -> bool:
        return True

    def _where(self) -> str:
        return (
            f"source {self._name} ({'imaps' if self._tls else 'imap'}://{self._host}:{self._port})"
        )

    def user_for(self, selector: Selector) -> str | None:
        """The mailbox user a selector logs in as (``login`` template), if it is an address."""
        if selector.type != "email":
            return None
        return selector.value if self._login == "{email}" else selector.value.split("@", 1)[0]

    def _open(self, user: str) -> imaplib.IMAP4 | None:
        """A master-user session on ``user``'s mailbox; None if the server says no such user."""
        password = read_secret(self._password_file, f"source {self._name} password_file")
        try:
            conn: imaplib.IMAP4
            if self._tls:
                conn = imaplib.IMAP4_SSL(
                    self._host,
                    self._port,
                    ssl_context=ssl.create_default_context(),
                    timeout=self._timeout,
                )
            else:
                conn = imaplib.IMAP4(self._host, self._port, timeout=self._timeout)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise SourceUnavailable(f"{self._where()} is unreachable: {exc}") from None
        try:
            conn.login(f"{user}*{self._master}", password)
        except imaplib.IMAP4.error as exc:
            _close(conn)
            text = str(exc)
            if "AUTHORIZATIONFAILED" in text:
                return None  # the master user is fine; the mailbox user does not exist
            raise SourceUnavailable(
                f"{self._where()} refused master user {self._master!r} for {user}: {text}; "
                "check the master password file and the server's master passdb"
            ) from None
        except (OSError, imaplib.IMAP4.abort) as exc:
            _close(conn)
            raise SourceUnavailable(f"{self._where()} dropped the connection: {exc}") from None
        return conn

    def lookup(self, selector: Selector) -> SourceAccount | None:
        user = self.user_for(selector)
        if user is None:
            return None
        conn = self._open(user)
        if conn is None:
            return None
        try:
            folders = self._folders(conn)
            count = 0
            for folder in folders:
                typ, data = conn.status(_quote(folder), "(MESSAGES)")
                match = re.search(rb"MESSAGES (\d+)", data[0] or b"") if typ == "OK" else None
                count += int(match.group(1)) if match else 0
            return SourceAccount(
                self._name,
                str(selector),
                {"user": user, "folders": str(len(folders)), "messages": str(count)},
            )
        except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort) as exc:
            raise SourceUnavailable(
                f"{self._where()} failed while looking up {user}: {exc}"
            ) from None
        finally:
            _close(conn)

    def iter_records(
        self,
        account: AccountRef,
        categories: Sequence[Category],
        start: datetime | None,
        end: datetime | None,
    ) -> Iterator[Record]:
        if Category.CONTENT not in categories:
            return
        users = []
        for selector in account.selectors:
            user = self.user_for(selector)
            if user is not None and user not in users:
                users.append(user)
        for user in users:
            yield from self._user_records(account.account_id, user, start, end)

    def _user_records(
        self, account_id: str, user: str, start: datetime | None, end: datetime | None
    ) -> Iterator[Record]:
        """Stream one mailbox user's messages. The next batch is fetched on a thread while the
        caller writes the current one (the socket wait releases the GIL), at most ``AHEAD``
        batches ahead so memory stays bounded; closing the stream stops the fetch."""
        conn = self._open(user)
        if conn is None:
            return
        ahead: queue.Queue[list[Record] | BaseException | None] = queue.Queue(AHEAD)
        stop = threading.Event()

        def hand_over(item: list[Record] | BaseException | None) -> bool:
            while not stop.is_set():
                try:
                    ahead.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def fetch() -> None:
            try:
                for batch in self._batches(conn, account_id, user, start, end):
                    if not hand_over(batch):
                        return
                hand_over(None)
            except BaseException as exc:
                hand_over(exc)
            finally:
                _close(conn)

        worker = threading.Thread(target=fetch, name=f"imap-{self._name}", daemon=True)
        worker.start()
        try:
            while (item := ahead.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield from item
        finally:
            stop.set()
            worker.join(self._timeout + 5)

    def _batches(
        self,
        conn: imaplib.IMAP4,
        account_id: str,
        user: str,
        start: datetime | None,
        end: datetime | None,
    ) -> Iterator[list[Record]]:
        try:
            for folder in self._folders(conn):
                typ, data = conn.select(_quote(folder), readonly=True)  # EXAMINE
                if typ != "OK":
                    raise SourceUnavailable(f"{self._where()}: EXAMINE {folder} failed: {data}")
                validity = _uidvalidity(conn)
                uids = self._search(conn, start, end)
                for i in range(0, len(uids), self._batch):
                    chunk = b",".join(uids[i : i + self._batch]).decode()
                    typ, items = conn.uid("FETCH", chunk, "(UID INTERNALDATE BODY.PEEK[])")
                    if typ != "OK":
                        raise SourceUnavailable(f"{self._where()}: FETCH in {folder} failed")
                    batch = []
                    for item in items:
                        if not isinstance(item, tuple):
                            continue
                        uid, when = _fetch_head(item[0], self._where())
                        if (start is not None and when < start) or (
                            end is not None and when >= end
                        ):
                            continue
                        batch.append(
                            Record(
                                f"{self._name}:{user}:{folder}:{validity}:{uid}",
                                account_id,
                                Category.CONTENT,
                                when,
                                item[1],
                                MEDIA_TYPE_MESSAGE,
                            )
                        )
                    yield batch
        except (TimeoutError, OSError, imaplib.IMAP4.abort, imaplib.IMAP4.error) as exc:
            raise SourceUnavailable(
                f"{self._where()} failed while reading {user}'s mail: {exc}; nothing from this "
                "read is released"
            ) from None

    def _folders(self, conn: imaplib.IMAP4) -> list[str]:
        typ, data = conn.list()
        if typ != "OK":
            raise SourceUnavailable(f"{self._where()}: LIST failed: {data}")
        folders = []
        for raw in data:
            if not isinstance(raw, bytes):
                continue
            match = LIST_LINE.match(raw)
            if match is None or b"\\noselect" in match["flags"].lower():
                continue
            name = match["name"]
            if name.startswith(b'"') and name.endswith(b'"'):
                name = name[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
            folders.append(name.decode("utf-8", "replace"))
        return sorted(folders)

    def _search(
        self, conn: imaplib.IMAP4, start: datetime | None, end: datetime | None
    ) -> list[bytes]:
        criteria = []
        if start is not None:
            criteria += ["SINCE", _imap_day(start - timedelta(days=1))]
        if end is not None:
            criteria += ["BEFORE", _imap_day(end + timedelta(days=1))]
        typ, data = conn.uid("SEARCH", *(criteria or ["ALL"]))
        if typ != "OK":
            raise SourceUnavailable(f"{self._where()}: SEARCH failed: {data}")
        return sorted((data[0] or b"").split(), key=int)

    def check(self, selector: Selector | None) -> list[str]:
        lines = []
        read_secret(self._password_file, f"source {self._name} password_file")
        lines.append(f"{self._name}: password file readable by Comity alone")
        probe = self.user_for(selector) if selector is not None else None
        conn = self._open(probe or "comity-sources-check.invalid")
        if conn is not None:
            _close(conn)
        lines.append(
            f"{self._name}: {self._where()} reachable; master user {self._master!r} accepted"
        )
        lines.append(
            f"{self._name}: read-only: folders are EXAMINEd and bodies fetched with BODY.PEEK[]"
        )
        if selector is not None:
            found = self.lookup(selector)
            if found is None:
                lines.append(f"{self._name}: {selector} has no mailbox here")
            else:
                attrs = ", ".join(f"{k}={v}" for k, v in found.attributes.items())
                lines.append(f"{self._name}: {selector} found ({attrs})")
        return lines


def _close(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()
    except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort):
        with suppress(OSError):
            conn.shutdown()


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(conn: imaplib.IMAP4) -> str:
    typ, data = conn.response("UIDVALIDITY")
    value = data[0] if typ == "UIDVALIDITY" and data else None
    if not isinstance(value, bytes) or not value.isdigit():
        raise SourceUnavailable("the IMAP server did not report a UIDVALIDITY for a folder")
    return value.decode()


def _fetch_head(head: bytes, where: str) -> tuple[int, datetime]:
    uid: int | None = None
    when: datetime | None = None
    for match in FETCH_HEAD.finditer(head):
        if match["uid"]:
            uid = int(match["uid"])
        elif match["date"]:
            try:
                when = _internaldate(match["date"])
            except (ValueError, IndexError):
                raise SourceUnavailable(
                    f"{where} answered an INTERNALDATE that is not a date: {match['date']!r}"
                ) from None
    if uid is None or when is None:
        raise SourceUnavailable(
            f"{where} answered a FETCH without UID or INTERNALDATE: {head[:80]!r}"
        )
    return uid, when


def _internaldate(text: bytes) -> datetime:
    """``" 1-Jun-2013 09:30:00 +0200"`` (RFC 3501 date-time) in UTC; strptime is locale-bound
    and a third of a fetch's parsing time."""
    day, clock, zone = text.decode("ascii").split()
    d, mon, y = day.split("-")
    hh, mm, ss = clock.split(":")
    sign = -1 if zone[0] == "-" else 1
    offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])) * sign
    month = _MONTHS.index(mon.title()) + 1
    return datetime(int(y), month, int(d), int(hh), int(mm), int(ss), tzinfo=UTC) - offset


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _imap_day(moment: datetime) -> str:
    """An IMAP date (``1-Jun-2013``), locale-independent (strftime's %b is not)."""
    day = moment.astimezone(UTC)
    return f"{day.day}-{_MONTHS[day.month - 1]}-{day.year}"
