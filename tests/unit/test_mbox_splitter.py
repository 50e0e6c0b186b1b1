"""The mbox splitter: messages come back byte for byte, whatever their content."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comity.adapters.mail.headers import parse_header, traffic_fields
from comity.adapters.mail.mbox import CHUNK, MboxMessage, split_mbox
from comity.errors import InvalidInput

_line_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
    max_size=60,
)


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    """A message as an mbox writer stores it: lines starting 'From ' in the body are quoted."""
    eol = draw(st.sampled_from([b"\n", b"\r\n"]))
    headers = [
        b"From: " + draw(_line_text).encode(),
        b"Subject: " + draw(_line_text).encode(),
        b"Date: Wed, 04 Dec 2013 09:00:00 +0000",
    ]
    body_lines = draw(
        st.lists(
            st.one_of(
                _line_text.map(str.encode),
                st.just(b"From me to you"),
                st.just(b">From quoted"),
                st.just(b""),
                st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
            ),
            max_size=12,
        )
    )
    quoted = [b">" + line if line.startswith(b"From ") else line for line in body_lines]
    return eol.join([*headers, b"", *quoted]) + eol


def _mbox(msgs: list[bytes]) -> bytes:
    return b"".join(b"From sender@example.com Wed Dec  4 09:00:00 2013\n" + m + b"\n" for m in msgs)


def _split(data: bytes, chunk: int | None = None) -> list[MboxMessage]:
    return list(split_mbox(io.BytesIO(data), "test.mbox", chunk_size=chunk or CHUNK))


@settings(max_examples=120, deadline=None)
@given(st.lists(messages(), min_size=1, max_size=8), st.sampled_from([None, 7, 64]))
def test_random_messages_round_trip_byte_for_byte(msgs: list[bytes], chunk: int | None) -> None:
    out = _split(_mbox(msgs), chunk)
    assert [m.data for m in out] == msgs
    assert all(m.envelope == b"From sender@example.com Wed Dec  4 09:00:00 2013" for m in out)


@settings(max_examples=100, deadline=None)
@given(messages())
def test_traffic_parsing_never_fails_and_counts_bytes(msg: bytes) -> None:
    fields, _, _ = traffic_fields(parse_header(msg), len(msg))
    assert fields["size"] == len(msg)


def test_a_from_line_without_a_blank_line_before_it_stays_inside_the_message() -> None:
    msg = b"Subject: x\n\nhello\nFrom the desk of nobody\n"
    assert [m.data for m in _split(_mbox([msg]))] == [msg]


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(InvalidInput, match="is empty"):
        _split(b"")


def test_a_file_that_is_not_an_mbox_is_refused_with_what_it_starts_with() -> None:
    with pytest.raises(InvalidInput, match=r"not an mbox mailbox.*\\x89PNG"):
        _split(b"\x89PNG\r\n\x1a\n" + bytes(100))
