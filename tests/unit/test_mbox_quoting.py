"""The fast mboxrd quoting (``bytes.replace`` when no line starts with '>') gives exactly the bytes
of the regular expression it stands in for."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from comity.adapters.package import formats

_lines = st.lists(
    st.sampled_from([b"From me", b"From", b"xFrom y", b"", b"text", b"From x\r", b" From z"]),
    max_size=12,
)


@given(lines=_lines, ending=st.sampled_from([b"\n", b"\r\n"]))
def test_fast_quoting_equals_the_regular_expression(lines: list[bytes], ending: bytes) -> None:
    message = b"From: a@example.org\r\n\r\n" + ending.join(lines)
    assert b"\n>" not in message
    when = datetime(2013, 6, 1, tzinfo=UTC)
    expected = formats._FROM_LINE.sub(rb"\n>\1", message)
    entry = formats.mbox_entry(message, when)
    body = entry.split(b"\n", 1)[1]
    assert body.rstrip(b"\n") == expected.rstrip(b"\n")
