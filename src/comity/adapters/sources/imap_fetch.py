"""Streaming ``UID FETCH``: the commands pipelined, each answer parsed as it arrives.

``imaplib`` sends one command, then reads and files its whole answer before the caller can send
the next, so the server idles for a round trip plus the client's parse of every batch, and each
line goes through a general response loop. Here the fetch of the next batch is already queued at
the server while this one's answer is read (RFC 3501 section 5.5: a client may send a command
without waiting for the previous one's completion), and each message is parsed straight from its
response line and literal. The socket is read through the session's own ``readline`` and
``read``, so the ``imaplib`` session (login, EXAMINE, SEARCH, LOGOUT) stays usable: these
commands carry tags of their own and all their responses are read here.

A stream closed early (a preflight that reads one batch, a production cancelled) still owes the
server's answers to the fetches already sent. IMAP has no way to call back a command sent (RFC
3501 section 5.5: the server answers each one, in order; RFC 9051 adds none), so the only way
to stop those bytes coming is to close the connection, which is what this did before, under an
unanswered LOGOUT. Instead the answers still due are read and thrown away (``_discard``): no
message is parsed or kept, and the amount is bounded by the pipeline (``PIPELINE`` batches at
most) and by ``DISCARD_LIMIT``: a literal that would take the total past it (a batch of large
attachments) is not read, and the caller drops the connection as before. Then the session is
free for a clean LOGOUT.

Only what a ``UID FETCH <set> (UID INTERNALDATE BODY.PEEK[])`` answer needs is parsed (RFC 3501
section 7.4.2, ``msg-att``): untagged responses are read whole (a literal anywhere in one is read
by its length, so no message byte is ever taken for a response line), a FETCH response's items
are taken apart with their values (number, quoted string, literal, NIL, parenthesised list), and
the tagged completion ends the command. Anything else is an error naming what came.
"""

from __future__ import annotations

import imaplib
import re
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, NoReturn, Protocol, cast

#: What each command asks for: the UID, the server's receipt time and the whole message, read
#: with PEEK so that ``\\Seen`` is never set.
FETCH_ITEMS = b"(UID INTERNALDATE BODY.PEEK[])"
#: Fetch commands queued at the server beyond the one whose answer is being read.
PIPELINE = 1
#: Our commands' tags: imaplib's are four capitals and a number, so these never collide.
TAG_PREFIX = b"comity"

#: A FETCH response as Dovecot (and most servers) write it for these items, in this order: the
#: one form read by a single match (its literal, then a line that is just ``)``); any other
#: form goes through the general parser.
_COMMON = re.compile(
    rb'\* \d+ FETCH \(UID (?P<uid>\d+) INTERNALDATE "(?P<date>[^"\\\r\n]*)" '
    rb"BODY\[\] \{(?P<size>\d+)\}\r\n\Z"
)
_LITERAL_AT_END = re.compile(rb"\{(\d+)\}$")
_UNTAGGED_FETCH = re.compile(rb"\* \d+ FETCH \(", re.IGNORECASE)
_NAME = re.compile(rb"[A-Za-z0-9.\-]+(?:\[[^\]\n]*\](?:<\d+>)?)?")
_NUMBER = re.compile(rb"\d+")
_QUOTED = re.compile(rb'"((?:[^"\\\n]|\\.)*)"')
_QUOTED_ESCAPE = re.compile(rb"\\(.)")
_LITERAL = re.compile(rb"~?\{(\d+)\}\n")
_ATOM = re.compile(rb"[^ ()\n\"{]+")

#: Bytes the session's reader asks the socket for at a time (imaplib's default is 8 KiB): a
#: message of a few KiB per system call, and per wait for the GIL on the fetching thread, kept
#: it waiting on the thread writing the package. The socket's receive buffer is left to the
#: kernel's autotuning: a fixed SO_RCVBUF would turn that off and, where net.core.rmem_max is
#: the usual 208 KiB, cap it below what autotuning reaches.
READ_BUFFER = 1 << 20

#: Bytes an early close reads, at most, to finish the fetches still under way before LOGOUT:
#: some 10 ms on loopback, 0.15 s at 1 Gbit/s. A batch owing more is cut off by closing the
#: connection, which costs the server a write error and no more.
DISCARD_LIMIT = 16 << 20

ReadLine = Callable[[], bytes]
Read = Callable[[int], bytes]


class Connection(Protocol):
    """What the fetch needs of a session (``imaplib.IMAP4`` has it): send bytes, read a line,
    read a literal."""

    def send(self, data: bytes) -> None: ...
    def readline(self) -> bytes: ...
    def read(self, size: int) -> bytes: ...


@dataclass(frozen=True)
class Fetched:
    """One message as the server answered it: its UID, INTERNALDATE (the quoted text) and
    bytes."""

    uid: int
    internaldate: bytes
    body: bytes


@dataclass(frozen=True)
class Response:
    """One server response: its lines without CRLF joined by ``\\n``, each ``\\n`` standing
    where a literal was (a line never holds one), and the literals in order."""

    text: bytes
    literals: tuple[bytes, ...]


class Session(imaplib.IMAP4):
    """An IMAP session whose socket is read in large pieces (``READ_BUFFER``)."""

    def open(self, host: str = "", port: int = 143, timeout: float | None = None) -> None:
        super().open(host, port, timeout)
        _widen(self)


class TlsSession(imaplib.IMAP4_SSL):
    """``Session`` over TLS (``imaps://``)."""

    def open(self, host: str = "", port: int | None = 993, timeout: float | None = None) -> None:
        super().open(host, port, timeout)
        _widen(self)


def _widen(session: imaplib.IMAP4) -> None:
    """Replace imaplib's 8 KiB socket reader by a ``READ_BUFFER`` one (imaplib documents ``open``
    as the method to override for this)."""
    small = session.file
    session.file = cast("IO[bytes]", session.sock.makefile("rb", buffering=READ_BUFFER))
    small.close()  # the socket stays open: only this reader's reference to it goes


def read_response(readline: ReadLine, read: Read, first: bytes | None = None) -> Response:
    """The next whole response from the server (starting with ``first``, a line already read, if
    given): a line, and for each literal it announces (``{n}`` at the end of a line) the ``n``
    bytes that follow, then the rest of the response."""
    return _rest_of_response(readline, read, [], [], readline() if first is None else first)


def _rest_of_response(
    readline: ReadLine, read: Read, lines: list[bytes], literals: list[bytes], line: bytes
) -> Response:
    """A response whose ``lines`` and ``literals`` were read, continued from ``line``."""
    while True:
        if not line.endswith(b"\r\n"):
            raise imaplib.IMAP4.abort(
                "the server closed the connection"
                if not line and not lines
                else "the connection ended inside a response"
            )
        line = line[:-2]
        lines.append(line)
        announced = _LITERAL_AT_END.search(line)
        if announced is None:
            return Response(b"\n".join(lines), tuple(literals))
        literals.append(_literal(read, int(announced[1])))
        line = readline()


def _literal(read: Read, size: int) -> bytes:
    data = read(size)
    if len(data) != size:
        raise imaplib.IMAP4.abort("the connection ended inside a message")
    return data


def parse_fetch(response: Response) -> dict[bytes, bytes | None]:
    """A FETCH response's items by upper-case name (``UID``, ``INTERNALDATE``, ``BODY[]``), each
    value as bytes: a number's digits, a quoted string unescaped, a literal's bytes, None for NIL;
    a parenthesised list's raw text (this reader needs none of those)."""
    match = _UNTAGGED_FETCH.match(response.text)
    if match is None:
        raise imaplib.IMAP4.error(f"not a FETCH response: {_shown(response.text)}")
    parser = _Items(response, match.end())
    return parser.items()


class _Items:
    """A cursor over a FETCH response's ``msg-att`` list."""

    def __init__(self, response: Response, at: int) -> None:
        self._text = response.text
        self._literals = iter(response.literals)
        self._at = at

    def items(self) -> dict[bytes, bytes | None]:
        found: dict[bytes, bytes | None] = {}
        while True:
            if self._take(b")"):
                if self._at != len(self._text):
                    self._fail("text after the end of the FETCH response")
                return found
            if found and not self._take(b" "):
                self._fail("items not separated by a space")
            name = _NAME.match(self._text, self._at)
            if name is None:
                self._fail("an item name was expected")
            self._at = name.end()
            if not self._take(b" "):
                self._fail("an item without a value")
            found[name[0].upper()] = self._value()

    def _value(self) -> bytes | None:
        text, at = self._text, self._at
        if text.startswith(b"NIL", at) and not _ATOM.match(text, at + 3):
            self._at = at + 3
            return None
        if (number := _NUMBER.match(text, at)) and not _ATOM.match(text, number.end()):
            self._at = number.end()
            return number[0]
        if quoted := _QUOTED.match(text, at):
            self._at = quoted.end()
            return _QUOTED_ESCAPE.sub(rb"\1", quoted[1])
        if literal := _LITERAL.match(text, at):
            self._at = literal.end()
            data = next(self._literals, None)
            if data is None or len(data) != int(literal[1]):
                self._fail("a literal that was not read")
            return data
        if text.startswith(b"(", at):
            self._skip_list()
            return text[at : self._at]
        self._fail("a value was expected")

    def _skip_list(self) -> None:
        """Past a parenthesised list (FLAGS, ENVELOPE, BODYSTRUCTURE), nested lists, quoted
        strings and literals in it included."""
        depth = 0
        while self._at < len(self._text):
            text, at = self._text, self._at
            char = text[at : at + 1]
            if char == b"(":
                depth += 1
                self._at += 1
            elif char == b")":
                depth -= 1
                self._at += 1
                if depth == 0:
                    return
            elif char == b" ":
                self._at += 1
            else:
                self._value_or_atom()
        self._fail("a list that does not end")

    def _value_or_atom(self) -> None:
        atom = _ATOM.match(self._text, self._at)
        if atom is not None and not _NUMBER.fullmatch(atom[0]):
            self._at = atom.end()
            return
        self._value()

    def _take(self, token: bytes) -> bool:
        if self._text.startswith(token, self._at):
            self._at += len(token)
            return True
        return False

    def _fail(self, why: str) -> NoReturn:
        raise imaplib.IMAP4.error(
            f"the server's FETCH response cannot be read ({why} at byte {self._at}): "
            f"{_shown(self._text)}"
        )


def message_of(items: dict[bytes, bytes | None]) -> Fetched | None:
    """The message a FETCH response carries, or None for one without ``BODY[]`` (a flag change
    another session made, which the server may announce at any time)."""
    if b"BODY[]" not in items:
        return None
    uid, internaldate, body = items.get(b"UID"), items.get(b"INTERNALDATE"), items[b"BODY[]"]
    if uid is None or not uid.isdigit() or internaldate is None:
        raise imaplib.IMAP4.error(
            "the server answered a FETCH without UID or INTERNALDATE "
            f"(UID {uid!r}, INTERNALDATE {internaldate!r})"
        )
    if body is None:
        raise imaplib.IMAP4.error(f"the server answered BODY[] NIL for UID {int(uid)}")
    return Fetched(int(uid), internaldate, body)


def uid_set(uids: Sequence[int]) -> bytes:
    """``uids`` (ascending) as an IMAP sequence set, runs written as ranges: ``1:200,205``."""
    parts: list[bytes] = []
    start = previous = None
    for uid in uids:
        if previous is not None and uid == previous + 1:
            previous = uid
            continue
        if start is not None:
            parts.append(_run(start, previous))
        start = previous = uid
    if start is not None:
        parts.append(_run(start, previous))
    return b",".join(parts)


def _run(start: int, end: int | None) -> bytes:
    return b"%d" % start if end is None or end == start else b"%d:%d" % (start, end)


def fetch_batches(
    conn: Connection, batches: Sequence[Sequence[int]]
) -> Generator[list[Fetched], None, None]:
    """Each batch's messages (UIDs ascending), in UID order, one list per batch; a UID the server
    no longer has is left out. The next ``PIPELINE`` batches are already asked for while a
    batch's answer is read. A refusal (tagged NO or BAD), a BYE or a closed connection raises
    ``imaplib.IMAP4.error`` or ``abort`` naming it. Closing the stream early reads and discards
    the answers still due (``_discard``, bounded), so that the session can be logged out; if they
    cannot be read, the close raises ``imaplib.IMAP4.abort`` and the session must be dropped."""
    due: list[bytes] = []  # the commands sent and not answered yet, while a batch is yielded
    try:
        yield from _answered(conn, batches, due)
    except GeneratorExit:
        _discard(conn, set(due))
        raise


def _answered(
    conn: Connection, batches: Sequence[Sequence[int]], due: list[bytes]
) -> Iterator[list[Fetched]]:
    """``fetch_batches``' work; while a batch is yielded, ``due`` holds the tags of the commands
    sent and not answered yet."""
    tags = [TAG_PREFIX + b"%d" % n for n in range(len(batches))]
    sent = 0
    done: dict[bytes, Response] = {}
    waiting: dict[int, Fetched] = {}
    for number, batch in enumerate(batches):
        while sent < min(len(batches), number + 1 + PIPELINE):
            command = b"%s UID FETCH %s %s\r\n" % (tags[sent], uid_set(batches[sent]), FETCH_ITEMS)
            conn.send(command)
            sent += 1
        while tags[number] not in done:
            line = conn.readline()
            common = _COMMON.match(line)
            if common is None:
                _take(read_response(conn.readline, conn.read, line), done, waiting)
                continue
            # The form Dovecot writes, read by one match; if more items follow the message
            # (another server's order), the general parser takes the response from there.
            body = _literal(conn.read, int(common["size"]))
            rest = conn.readline()
            if rest == b")\r\n":
                waiting[int(common["uid"])] = Fetched(int(common["uid"]), common["date"], body)
            else:
                response = _rest_of_response(conn.readline, conn.read, [line[:-2]], [body], rest)
                _take(response, done, waiting)
        completion = done.pop(tags[number])
        status = completion.text[len(tags[number]) + 1 :].split(b" ", 1)[0].upper()
        if status != b"OK":
            raise imaplib.IMAP4.error(f"UID FETCH refused: {_shown(completion.text)}")
        # Dovecot runs pipelined fetches side by side: a later one's answer, even its
        # completion, may have come in already (its messages wait in ``waiting``).
        due[:] = [tag for tag in tags[number + 1 : sent] if tag not in done]
        yield [waiting.pop(uid) for uid in batch if uid in waiting]


def _discard(conn: Connection, due: set[bytes]) -> None:
    """Read, without keeping, every response up to the completions of the commands tagged
    ``due``: each line, and each literal by its length (in pieces, never held whole), so no
    message byte is taken for a response line. ``imaplib.IMAP4.abort`` if the connection ends,
    the server says BYE, or finishing would take more than ``DISCARD_LIMIT`` bytes."""
    limit = left = DISCARD_LIMIT
    while due:
        first = line = conn.readline()
        while True:
            if not line.endswith(b"\r\n"):
                raise imaplib.IMAP4.abort("the server closed the connection")
            left -= len(line)
            announced = _LITERAL_AT_END.search(line, 0, len(line) - 2)
            if announced is None:
                break
            size = int(announced[1])
            if size > left:
                raise imaplib.IMAP4.abort(
                    f"more than {limit} bytes of answers were still due; not read"
                )
            _skip(conn.read, size)
            left -= size
            line = conn.readline()
        if left < 0:
            raise imaplib.IMAP4.abort(f"more than {limit} bytes of answers were still due")
        tag = first.split(b" ", 1)[0]
        if tag in due:
            due.discard(tag)
        elif first[:6].upper() == b"* BYE ":
            raise imaplib.IMAP4.abort(f"the server ended the session: {_shown(first)}")


def _skip(read: Read, size: int) -> None:
    """Read ``size`` bytes and forget them, ``READ_BUFFER`` at a time."""
    while size:
        piece = len(read(min(size, READ_BUFFER)))
        if piece == 0:
            raise imaplib.IMAP4.abort("the connection ended inside a message")
        size -= piece


def _take(response: Response, done: dict[bytes, Response], waiting: dict[int, Fetched]) -> None:
    """File one response: a completion under its tag, a message under its UID; a BYE ends the
    session; any other untagged response (EXISTS, a flag change) is not this reader's business."""
    text = response.text
    if text.startswith(TAG_PREFIX):
        done[text.split(b" ", 1)[0]] = response
    elif text[:6].upper() == b"* BYE ":
        raise imaplib.IMAP4.abort(f"the server ended the session: {_shown(text)}")
    elif _UNTAGGED_FETCH.match(text):
        message = message_of(parse_fetch(response))
        if message is not None:
            waiting[message.uid] = message
    elif not text.startswith(b"* "):
        raise imaplib.IMAP4.abort(f"unexpected response to UID FETCH: {_shown(text)}")


def _shown(text: bytes) -> str:
    return repr(text[:120])
