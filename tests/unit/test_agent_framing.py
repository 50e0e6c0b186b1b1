"""The agent's record stream (``adapters/agent/framing.py``): whatever records are framed, and
however the bytes are cut into chunks on the way, the reader gets the same records back; a
stream cut short, or ended by an error frame, is an ``IntegrityError``, never a short list."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comity.adapters.agent.framing import decode, encode
from comity.domain.categories import Category
from comity.domain.records import Record
from comity.errors import IntegrityError, NotFound

_text = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF), min_size=1, max_size=20)
_records = st.lists(
    st.builds(
        Record,
        _text,
        _text,
        st.sampled_from(list(Category)),
        st.integers(0, 10**10).map(lambda s: datetime(1990, 1, 1, tzinfo=UTC) + timedelta(0, s)),
        st.binary(max_size=3000),
        st.sampled_from(["message/rfc822", "application/json"]),
        st.none() | _text,
    ),
    max_size=12,
)


def _rechunk(data: bytes, cuts: list[int]) -> Iterator[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    for start, end in itertools.pairwise(points):
        yield data[start:end]


@given(records=_records, chunk=st.integers(1, 5000), cuts=st.lists(st.integers(0, 10**6)))
def test_records_round_trip_however_the_stream_is_cut(
    records: list[Record], chunk: int, cuts: list[int]
) -> None:
    data = b"".join(encode(records, chunk_bytes=chunk))
    assert list(decode(_rechunk(data, cuts), source="test")) == records


@given(records=_records.filter(bool), cut=st.integers(1, 10**6))
def test_a_stream_cut_short_is_refused(records: list[Record], cut: int) -> None:
    data = b"".join(encode(records))
    short = data[: cut % len(data)]
    with pytest.raises(IntegrityError, match="ended before its end frame"):
        list(decode([short], source="test"))


def test_an_error_while_reading_ends_the_stream_with_its_sentence() -> None:
    first = Record("r1", "a", Category.CONTENT, datetime(2020, 1, 1, tzinfo=UTC), b"x", "a/b")

    def failing() -> Iterator[Record]:
        yield first
        raise NotFound("record r2 vanished")

    stream = decode(encode(failing(), chunk_bytes=1 << 20), source="agent of region eu-ie")
    assert next(stream) == first
    with pytest.raises(IntegrityError, match="agent of region eu-ie: record r2 vanished"):
        next(stream)
