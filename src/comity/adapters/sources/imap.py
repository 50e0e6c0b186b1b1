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

With ``hold_in_place = "mailbox"`` a hold also copies the account's mail, on the server, into a
hidden mailbox of the account (``Comity Hold/<hold>``, not subscribed) with ``UID COPY`` from
EXAMINEd folders: the originals and their flags stay as they are, and the copies outlive the
customer's own deletions until the hold is released, which deletes that mailbox. Reads leave the
``Comity Hold`` hierarchy out, so a held message is never produced twice: what the customer
deleted after the hold is produced once, from the hold's snapshot in Comity's store, which holds
the same bytes (docs/sources.md says why this is not ``lazy_expunge``).
"""

from __future__ import annotations

import imaplib
import queue
import re
import socket
import ssl
import threading
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from comity.adapters.sources.imap_fetch import Fetched, Session, TlsSession, fetch_batches
from comity.adapters.sources.secret_file import read_secret
from comity.domain.accounts import Selector
from comity.domain.categories import Category
from comity.domain.records import MEDIA_TYPE_MESSAGE, Record
from comity.errors import ConfigurationError
from comity.services.custody.source_ports import (
    AccountRef,
    InPlaceHold,
    SourceAccount,
    SourceUnavailable,
)

LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?P<delim>"[^"]*"|NIL) (?P<name>.+)$')
LOGINS = ("{email}", "{local}")
#: Messages fetched per round trip: big enough to keep the link busy, small enough to stream.
BATCH = 200
#: Batches fetched ahead of the reader.
AHEAD = 2
#: Seconds to wait for each answer while a session is closed (LOGOUT, the fetches a stream
#: closed early still owes), and for a read closed early to end: a server that does not answer
#: within it is cut off.
CLOSE_TIMEOUT = 5.0
#: The top of the hidden hierarchy a hold in place copies into; reads never open it.
HOLD_ROOT = "Comity Hold"
HOLD_IN_PLACE = ("mailbox",)
#: The UIDPLUS answer to a COPY (imaplib files the response code under COPYUID).
COPYUID = re.compile(rb"^(?P<validity>\d+) (?P<source>[\d:,]+) (?P<hold>[\d:,]+)$")


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
        hold_in_place: str | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname:
            raise ConfigurationError(f"source {name}: url {url!r} must be imap:// or imaps://")
        if login not in LOGINS:
            raise ConfigurationError(f"source {name}: login must be one of {', '.join(LOGINS)}")
        if hold_in_place is not None and hold_in_place not in HOLD_IN_PLACE:
            raise ConfigurationError(
                f"source {name}: hold_in_place must be one of {', '.join(HOLD_IN_PLACE)}"
            )
        self._name = name
        self._tls = parts.scheme == "imaps"
        self._host = parts.hostname
        self._port = parts.port or (993 if self._tls else 143)
        self._master = master_user
        self._password_file = password_file
        self._login = login
        self._timeout = timeout
        self._batch = batch
        self._hold_in_place = hold_in_place

    @property
    def name(self) -> str:
        return self._name

    @property
    def sequenced(self) -> bool:
        return True

    @property
    def holds_in_place(self) -> bool:
        return self._hold_in_place is not None

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
                conn = TlsSession(
                    self._host,
                    self._port,
                    ssl_context=ssl.create_default_context(),
                    timeout=self._timeout,
                )
            else:
                conn = Session(self._host, self._port, timeout=self._timeout)
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
        for user in self._users(account):
            yield from self._user_records(account.account_id, user, start, end)

    def _users(self, account: AccountRef) -> list[str]:
        users: list[str] = []
        for selector in account.selectors:
            user = self.user_for(selector)
            if user is not None and user not in users:
                users.append(user)
        return users

    def hold_in_place(self, account: AccountRef, hold_id: str) -> list[InPlaceHold]:
        """Copy every folder of the account's mailbox users into ``Comity Hold/<hold>`` on the
        server. A refusal (quota, ACL, a server without UIDPLUS) deletes the half-made hold
        mailbox and raises ``SourceUnavailable`` naming the folder and the server's answer."""
        done: list[InPlaceHold] = []
        for user in self._users(account):
            conn = self._open(user)
            if conn is None:
                continue  # no mailbox here: nothing to hold
            try:
                done.append(self._copy_into_hold(conn, user, hold_id))
            except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort) as exc:
                raise SourceUnavailable(
                    f"{self._where()} failed while holding {user}'s mail in place: {exc}"
                ) from None
            finally:
                _close(conn)
        return done

    def _copy_into_hold(self, conn: imaplib.IMAP4, user: str, hold_id: str) -> InPlaceHold:
        box = _hold_mailbox(self._separator(conn), hold_id)
        typ, data = conn.create(_quote(box))
        if typ != "OK":
            raise SourceUnavailable(
                f"{self._where()} refused to create hold mailbox {box!r} for {user}: {_text(data)}"
            )
        copies: list[dict[str, str]] = []
        try:
            for folder in self._folders(conn):
                typ, data = conn.select(_quote(folder), readonly=True)  # EXAMINE: no flag moves
                if typ != "OK":
                    raise SourceUnavailable(
                        f"{self._where()}: EXAMINE {folder} failed: {_text(data)}"
                    )
                if not data or data[0] in (b"0", None):
                    continue
                validity = _uidvalidity(conn)
                conn.response("COPYUID")  # drop a stale answer before asking
                typ, data = conn.uid("COPY", "1:*", _quote(box))
                if typ != "OK":
                    raise SourceUnavailable(
                        f"{self._where()} refused to copy {user}'s {folder} into hold mailbox "
                        f"{box!r}: {_text(data)}"
                    )
                _, codes = conn.response("COPYUID")
                code = codes[-1] if codes and isinstance(codes[-1], bytes) else b""
                answer = COPYUID.match(code)
                if answer is None:
                    raise SourceUnavailable(
                        f"{self._where()} copied {user}'s {folder} without a COPYUID answer "
                        "(the server lacks UIDPLUS), so the copies cannot be tied to the "
                        "originals"
                    )
                copies.append(
                    {
                        "folder": folder,
                        "uidvalidity": validity,
                        "uids": answer["source"].decode(),
                        "hold_uidvalidity": answer["validity"].decode(),
                        "hold_uids": answer["hold"].decode(),
                    }
                )
        except BaseException:
            # Leave no half-made hold mailbox behind (the copy is all or nothing per hold).
            with suppress(OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort):
                conn.delete(_quote(box))
            raise
        return InPlaceHold(self._name, user, box, tuple(copies))

    def release_in_place(self, account: AccountRef, hold_id: str) -> list[str]:
        """Delete the hold's mailbox (and ``Comity Hold`` once no hold is left under it)."""
        removed: list[str] = []
        for user in self._users(account):
            conn = self._open(user)
            if conn is None:
                continue
            try:
                separator = self._separator(conn)
                box = _hold_mailbox(separator, hold_id)
                if box in self._all_folders(conn):
                    typ, data = conn.delete(_quote(box))
                    if typ != "OK":
                        raise SourceUnavailable(
                            f"{self._where()} refused to delete hold mailbox {box!r} of {user}: "
                            f"{_text(data)}"
                        )
                    removed.append(f"{user}: {box}")
                left = [f for f in self._all_folders(conn) if _under_hold_root(f, separator)]
                if left == [HOLD_ROOT]:
                    conn.delete(_quote(HOLD_ROOT))  # an empty parent some layouts keep
            except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort) as exc:
                raise SourceUnavailable(
                    f"{self._where()} failed while releasing the hold on {user}'s mail: {exc}"
                ) from None
            finally:
                _close(conn)
        return removed

    def _separator(self, conn: imaplib.IMAP4) -> str:
        """The server's hierarchy separator (Maildir++ says ``.``, a LAYOUT=fs namespace ``/``)."""
        typ, data = conn.list('""', '""')
        match = LIST_LINE.match(data[0]) if typ == "OK" and isinstance(data[0], bytes) else None
        if match is None or match["delim"] == b"NIL":
            raise SourceUnavailable(f"{self._where()} did not report a hierarchy separator")
        return match["delim"].strip(b'"').decode()

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
            batches = self._batches(conn, account_id, user, start, end)
            settled = True
            try:
                for batch in batches:
                    if not hand_over(batch):
                        settled = _stop_early(conn, batches)
                        return
                hand_over(None)
            except BaseException as exc:
                hand_over(exc)
            finally:
                _close(conn) if settled else _drop(conn)

        worker = threading.Thread(target=fetch, name=f"imap-{self._name}", daemon=True)
        worker.start()
        try:
            while (item := ahead.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield from item
        finally:
            stop.set()
            worker.join(CLOSE_TIMEOUT)
            if worker.is_alive():
                # The server stopped answering in the middle of a batch: a read under way keeps
                # the session's long timeout, so the socket is shut under it, and the worker
                # ends at once (it drops the session).
                with suppress(OSError):
                    conn.sock.shutdown(socket.SHUT_RDWR)
                worker.join(self._timeout + 5)

    def _batches(
        self,
        conn: imaplib.IMAP4,
        account_id: str,
        user: str,
        start: datetime | None,
        end: datetime | None,
    ) -> Generator[list[Record], None, None]:
        try:
            for folder in self._folders(conn):
                typ, data = conn.select(_quote(folder), readonly=True)  # EXAMINE
                if typ != "OK":
                    raise SourceUnavailable(f"{self._where()}: EXAMINE {folder} failed: {data}")
                validity = _uidvalidity(conn)
                uids = self._search(conn, start, end)
                chunks = [uids[i : i + self._batch] for i in range(0, len(uids), self._batch)]
                # Closed here, not whenever it is collected: closing early reads the answers
                # still due (imap_fetch), and its failure must reach the caller.
                with closing(fetch_batches(conn, chunks)) as fetching:
                    for fetched in fetching:
                        mailbox = f"{self._name}:{user}:{folder}:{validity}"
                        yield self._records(fetched, account_id, mailbox, start, end)
        except (TimeoutError, OSError, imaplib.IMAP4.abort, imaplib.IMAP4.error) as exc:
            raise SourceUnavailable(
                f"{self._where()} failed while reading {user}'s mail: {exc}; nothing from this "
                "read is released"
            ) from None

    def _records(
        self,
        fetched: list[Fetched],
        account_id: str,
        mailbox: str,
        start: datetime | None,
        end: datetime | None,
    ) -> list[Record]:
        """One fetched batch as records (``mailbox``: the ids' ``name:user:folder:validity``),
        cut on the period by INTERNALDATE."""
        batch = []
        for message in fetched:
            when = _received(message.internaldate, self._where())
            if (start is not None and when < start) or (end is not None and when >= end):
                continue
            batch.append(
                Record(
                    f"{mailbox}:{message.uid}",
                    account_id,
                    Category.CONTENT,
                    when,
                    message.body,
                    MEDIA_TYPE_MESSAGE,
                )
            )
        return batch

    def _folders(self, conn: imaplib.IMAP4) -> list[str]:
        """The customer's folders: every selectable one but the ``Comity Hold`` hierarchy, whose
        copies a production must not read as records of their own."""
        return [
            name
            for name, separator, selectable in self._listing(conn)
            if selectable and not _under_hold_root(name, separator)
        ]

    def _all_folders(self, conn: imaplib.IMAP4) -> list[str]:
        return [name for name, _, _ in self._listing(conn)]

    def _listing(self, conn: imaplib.IMAP4) -> list[tuple[str, str, bool]]:
        typ, data = conn.list()
        if typ != "OK":
            raise SourceUnavailable(f"{self._where()}: LIST failed: {data}")
        folders = []
        for raw in data:
            if not isinstance(raw, bytes):
                continue
            match = LIST_LINE.match(raw)
            if match is None:
                continue
            flags = match["flags"].lower()
            selectable = b"\\noselect" not in flags and b"\\nonexistent" not in flags
            name = match["name"]
            if name.startswith(b'"') and name.endswith(b'"'):
                name = name[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
            separator = match["delim"].strip(b'"').decode() if match["delim"] != b"NIL" else ""
            folders.append((name.decode("utf-8", "replace"), separator, selectable))
        return sorted(folders)

    def _search(
        self, conn: imaplib.IMAP4, start: datetime | None, end: datetime | None
    ) -> list[int]:
        criteria = []
        if start is not None:
            criteria += ["SINCE", _imap_day(start - timedelta(days=1))]
        if end is not None:
            criteria += ["BEFORE", _imap_day(end + timedelta(days=1))]
        typ, data = conn.uid("SEARCH", *(criteria or ["ALL"]))
        if typ != "OK":
            raise SourceUnavailable(f"{self._where()}: SEARCH failed: {data}")
        return sorted(int(uid) for uid in (data[0] or b"").split())

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


def _stop_early(conn: imaplib.IMAP4, batches: Generator[list[Record], None, None]) -> bool:
    """Close a read its consumer left early: the fetches already sent are answered and the
    answers read and discarded (``imap_fetch.fetch_batches``), with the short ``CLOSE_TIMEOUT``
    for each wait. Whether the session is clean, ready for LOGOUT."""
    try:
        conn.sock.settimeout(CLOSE_TIMEOUT)
        batches.close()
    except (OSError, SourceUnavailable):
        return False
    return True


def _close(conn: imaplib.IMAP4) -> None:
    """LOGOUT, its answer waited for ``CLOSE_TIMEOUT`` at most; else the socket is closed."""
    try:
        conn.sock.settimeout(CLOSE_TIMEOUT)
        conn.logout()
    except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort):
        _drop(conn)


def _drop(conn: imaplib.IMAP4) -> None:
    """Close the connection without a word: the server did not answer, or owes too much."""
    with suppress(OSError):
        conn.shutdown()


def _hold_mailbox(separator: str, hold_id: str) -> str:
    """``Comity Hold/<hold>``: the hold id with anything but letters, digits, ``-`` and ``_``
    made ``-`` (``case-1/hold-1`` would otherwise be a folder inside a folder)."""
    return HOLD_ROOT + separator + re.sub(r"[^A-Za-z0-9_-]", "-", hold_id)


def _under_hold_root(name: str, separator: str) -> bool:
    return name == HOLD_ROOT or (bool(separator) and name.startswith(HOLD_ROOT + separator))


def _text(data: list[Any] | None) -> str:
    """The server's answer as text, for an error sentence."""
    parts = [d.decode("utf-8", "replace") if isinstance(d, bytes) else str(d) for d in data or []]
    return " ".join(parts) or "no reason given"


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(conn: imaplib.IMAP4) -> str:
    typ, data = conn.response("UIDVALIDITY")
    value = data[0] if typ == "UIDVALIDITY" and data else None
    if not isinstance(value, bytes) or not value.isdigit():
        raise SourceUnavailable("the IMAP server did not report a UIDVALIDITY for a folder")
    return value.decode()


def _received(internaldate: bytes, where: str) -> datetime:
    """A message's INTERNALDATE as a UTC instant, or one clear error naming the server."""
    try:
        return _internaldate(internaldate)
    except (ValueError, IndexError, UnicodeDecodeError):
        raise SourceUnavailable(
            f"{where} answered an INTERNALDATE that is not a date: {internaldate!r}"
        ) from None


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
