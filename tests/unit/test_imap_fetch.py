"""The streaming UID FETCH reader: whatever form a server writes a FETCH answer in (Dovecot's
order, items after the message, a quoted body, lists holding literals, unsolicited responses in
between), each batch comes back byte for byte in UID order; a refusal, a BYE or a cut connection
is one clear error. The reader against a real Dovecot: tests/integration/test_imap_source.py."""

from __future__ import annotations

import imaplib
import io
import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comity.adapters.sources import imap_fetch
from comity.adapters.sources.imap_fetch import (
    FETCH_ITEMS,
    PIPELINE,
    Fetched,
    fetch_batches,
    read_response,
    uid_set,
)

DATES = [
    b" 1-Jun-2013 09:30:00 +0200",
    b"28-Feb-2024 23:59:59 -0800",
    b"01-Jan-1999 00:00:00 +0000",
]
#: Bytes a message may hold that a line-based reader would trip on.
TRICKY = [b")\r\n", b"{12}\r\n", b"* 1 FETCH (UID 9 ", b"comity0 OK done\r\n", b'"', b"\\", b"\r\n"]


class Wire:
    """The server's side of a session as bytes: what it answers, and what the client sent."""

    def __init__(self, answer: bytes) -> None:
        self._answer = io.BytesIO(answer)
        self.sent: list[bytes] = []
        self.sent_before_read: list[int] = []

    def send(self, data: bytes) -> None:
        self.sent.append(data)

    def readline(self) -> bytes:
        if not self.sent_before_read:
            self.sent_before_read.append(len(self.sent))
        return self._answer.readline()

    def read(self, size: int) -> bytes:
        return self._answer.read(size)

    def rest(self) -> bytes:
        """What the client has not read."""
        return self._answer.read()


def _quoted(body: bytes) -> bytes | None:
    if b"\r" in body or b"\n" in body or b"\0" in body:
        return None
    return b'"' + body.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def _response(seq: int, message: Fetched, form: int) -> bytes:
    uid, date, body = message.uid, message.internaldate, message.body
    literal = b"{%d}\r\n%s" % (len(body), body)
    if form == 0:  # Dovecot's
        return b'* %d FETCH (UID %d INTERNALDATE "%s" BODY[] %s)\r\n' % (seq, uid, date, literal)
    if form == 1:  # items after the message, and a flag list
        return b'* %d FETCH (BODY[] %s UID %d FLAGS (\\Seen $Forwarded) INTERNALDATE "%s")\r\n' % (
            seq,
            literal,
            uid,
            date,
        )
    quoted = _quoted(body)
    if form == 2 and quoted is not None:  # a quoted string, and a size before it
        return b'* %d FETCH (UID %d RFC822.SIZE %d INTERNALDATE "%s" BODY[] %s)\r\n' % (
            seq,
            uid,
            len(body),
            date,
            quoted,
        )
    # a list holding a literal, a NIL and a nested list before the message
    return (
        b'* %d FETCH (ENVELOPE ({3}\r\nabc NIL ((NIL NIL "x" "y"))) UID %d INTERNALDATE "%s" '
        b"BODY[] %s)\r\n" % (seq, uid, date, literal)
    )


NOISE = [b"* 10001 EXISTS\r\n", b"* 3 FETCH (FLAGS (\\Seen))\r\n", b"* OK [HIGHESTMODSEQ 7] x\r\n"]

messages = st.lists(
    st.builds(
        Fetched,
        st.integers(1, 10**6),
        st.sampled_from(DATES),
        st.lists(st.sampled_from(TRICKY) | st.binary(max_size=40), max_size=6).map(b"".join),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda m: m.uid,
)


@given(
    found=messages,
    forms=st.lists(st.integers(0, 3), min_size=12, max_size=12),
    noise=st.lists(st.sampled_from([b"", *NOISE]), min_size=12, max_size=12),
    size=st.integers(1, 5),
    shuffled=st.randoms(use_true_random=False),
    gone=st.sets(st.integers(0, 11), max_size=3),
)
def test_every_form_of_answer_gives_the_same_messages_in_uid_order(
    found: list[Fetched],
    forms: list[int],
    noise: list[bytes],
    size: int,
    shuffled: random.Random,
    gone: set[int],
) -> None:
    found.sort(key=lambda m: m.uid)
    uids = [m.uid for m in found]
    batches = [uids[i : i + size] for i in range(0, len(uids), size)]
    kept = [m for n, m in enumerate(found) if n not in gone]  # expunged by someone meanwhile
    answer = b""
    for number, batch in enumerate(batches):
        part = [m for m in kept if m.uid in batch]
        shuffled.shuffle(part)  # a server may answer in any order
        for m in part:
            index = found.index(m)
            answer += noise[index] + _response(index + 1, m, forms[index])
        answer += b"comity%d OK Fetch completed.\r\n" % number
    wire = Wire(answer)

    got = list(fetch_batches(wire, batches))

    assert got == [[m for m in kept if m.uid in batch] for batch in batches]
    assert wire.sent == [
        b"comity%d UID FETCH %s %s\r\n" % (n, uid_set(batch), FETCH_ITEMS)
        for n, batch in enumerate(batches)
    ]
    # Pipelined: the next batch was asked for before the first answer was read.
    assert wire.sent_before_read[0] == min(len(batches), 1 + PIPELINE)


@given(st.sets(st.integers(1, 300), min_size=1, max_size=60))
def test_a_uid_set_names_exactly_its_uids_with_runs_as_ranges(uids: set[int]) -> None:
    text = uid_set(sorted(uids)).decode()
    named: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition(":")
        named.update(range(int(first), int(last or first) + 1))
        assert not last or int(last) > int(first)
    assert named == uids
    assert len(text.split(",")) == sum(1 for u in uids if u - 1 not in uids)


def test_a_refused_fetch_names_the_servers_answer() -> None:
    wire = Wire(b"comity0 NO [SERVERBUG] Internal error occurred.\r\n")
    with pytest.raises(imaplib.IMAP4.error, match=r"UID FETCH refused: .*Internal error"):
        list(fetch_batches(wire, [[1, 2]]))


def test_a_bye_ends_the_read_with_the_servers_reason() -> None:
    wire = Wire(b"* BYE Server shutting down.\r\n")
    with pytest.raises(imaplib.IMAP4.abort, match=r"the server ended the session.*shutting down"):
        list(fetch_batches(wire, [[1]]))


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (b"", "the server closed the connection"),
        (b'* 1 FETCH (UID 1 INTERNALDATE "%s" BODY[] {50}\r\nshort' % DATES[0], "inside a message"),
        (b'* 1 FETCH (UID 1 INTERNALDATE "%s" BODY[] {5}\r\nhello' % DATES[0], "inside a response"),
        (b"* 1 FETCH (UID 1", "inside a response"),
    ],
)
def test_a_connection_cut_anywhere_is_an_abort(answer: bytes, why: str) -> None:
    with pytest.raises(imaplib.IMAP4.abort, match=why):
        list(fetch_batches(Wire(answer), [[1]]))


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (b"* 1 FETCH (UID 1 BODY[] {2}\r\nhi)\r\n", "without UID or INTERNALDATE"),
        (b'* 1 FETCH (UID 1 INTERNALDATE "%s" BODY[] NIL)\r\n' % DATES[0], "BODY\\[\\] NIL"),
        (b"* 1 FETCH (UID 1 BODY[] {2}\r\nhi junk)\r\n", "an item without a value"),
        (b"* 1 FETCH (UID 1 BODY[] {2}\r\nhi) more\r\n", "text after the end"),
        (b"* 1 FETCH (FLAGS (\\Seen)\r\n", "a list that does not end|items not separated"),
    ],
)
def test_a_malformed_fetch_answer_is_named(answer: bytes, why: str) -> None:
    with pytest.raises(imaplib.IMAP4.error, match=why):
        list(fetch_batches(Wire(answer + b"comity0 OK done\r\n"), [[1]]))


def test_another_commands_tag_is_not_taken_for_a_message() -> None:
    with pytest.raises(imaplib.IMAP4.abort, match="unexpected response to UID FETCH"):
        list(fetch_batches(Wire(b"ABCD12 OK LOGOUT\r\n"), [[1]]))


@given(
    literals=st.lists(st.binary(max_size=30), max_size=4),
    tail=st.binary(max_size=20).map(lambda b: re.sub(rb"[\r\n{}]", b"x", b)),
)
def test_a_response_is_read_whole_with_each_literal_by_its_length(
    literals: list[bytes], tail: bytes
) -> None:
    wire = b"* 1 FETCH (" + b"".join(b"X {%d}\r\n%s" % (len(x), x) for x in literals) + tail
    stream = io.BytesIO(wire + b"\r\nnext\r\n")
    response = read_response(stream.readline, stream.read)
    assert response.literals == tuple(literals)
    assert response.text.count(b"\n") == len(literals)
    assert stream.readline() == b"next\r\n"


LOGOUT_ANSWER = b"* BYE Logging out\r\nABCD3 OK Logout completed.\r\n"


@given(
    found=messages,
    forms=st.lists(st.integers(0, 3), min_size=12, max_size=12),
    noise=st.lists(st.sampled_from([b"", *NOISE]), min_size=12, max_size=12),
    size=st.integers(1, 5),
    read=st.integers(1, 12),
)
def test_a_stream_closed_early_reads_exactly_the_answers_still_due(
    found: list[Fetched], forms: list[int], noise: list[bytes], size: int, read: int
) -> None:
    """Whatever the answers hold, closing after any batch consumes the answers to the commands
    sent, and not a byte more: what follows (the LOGOUT's answer) is left for the session."""
    found.sort(key=lambda m: m.uid)
    uids = [m.uid for m in found]
    batches = [uids[i : i + size] for i in range(0, len(uids), size)]
    read = min(read, len(batches))
    sent = min(len(batches), read + PIPELINE)  # what the server was asked for by then
    answer = b""
    for number, batch in enumerate(batches[:sent]):
        for m in (m for m in found if m.uid in batch):
            index = found.index(m)
            answer += noise[index] + _response(index + 1, m, forms[index])
        answer += b"comity%d OK Fetch completed.\r\n" % number
    wire = Wire(answer + LOGOUT_ANSWER)

    stream = fetch_batches(wire, batches)
    got = [next(stream) for _ in range(read)]
    stream.close()

    assert got == [[m for m in found if m.uid in batch] for batch in batches[:read]]
    assert len(wire.sent) == sent
    assert wire.rest() == LOGOUT_ANSWER


def test_an_early_close_owing_more_than_the_limit_reads_no_message_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A batch of large messages still due is not read: the close fails (the caller then drops
    the connection) without taking the message off the wire."""
    monkeypatch.setattr(imap_fetch, "DISCARD_LIMIT", 1000)
    small = Fetched(1, DATES[0], b"x" * 10)
    large = Fetched(2, DATES[0], b"y" * 5000)
    answer = (
        _response(1, small, 0)
        + b"comity0 OK done\r\n"
        + b'* 2 FETCH (UID 2 INTERNALDATE "%s" BODY[] {5000}\r\n' % DATES[0]
    )
    wire = Wire(answer + large.body + b")\r\ncomity1 OK done\r\n")
    stream = fetch_batches(wire, [[1], [2]])
    assert next(stream) == [small]
    with pytest.raises(imaplib.IMAP4.abort, match="more than 1000 bytes of answers were still due"):
        stream.close()
    assert wire.rest().startswith(large.body)


def test_an_early_close_on_a_connection_that_ends_is_an_abort() -> None:
    wire = Wire(_response(1, Fetched(1, DATES[0], b"x"), 0) + b"comity0 OK done\r\n* 2 FE")
    stream = fetch_batches(wire, [[1], [2]])
    next(stream)
    with pytest.raises(imaplib.IMAP4.abort, match="closed the connection"):
        stream.close()


def test_a_later_fetch_answered_first_is_not_waited_for_on_an_early_close() -> None:
    """Dovecot runs pipelined fetches side by side: the second's answer and completion may come
    before the first's completion. Closing then owes nothing, and reads nothing more."""
    one, two, three = (Fetched(n, DATES[0], b"body %d" % n) for n in (1, 2, 3))
    answer = (
        _response(1, one, 0)
        + b"comity0 OK done\r\n"
        + _response(2, two, 0)
        + _response(3, three, 0)
        + b"comity2 OK done\r\n"
        + b"comity1 OK done\r\n"
    )
    wire = Wire(answer + LOGOUT_ANSWER)
    stream = fetch_batches(wire, [[1], [2], [3]])
    assert next(stream) == [one]
    assert next(stream) == [two]
    stream.close()
    assert wire.rest() == LOGOUT_ANSWER
