"""Property tests for the package's renderings that have a fast path, and the agent's framing."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from comity.adapters.agent.framing import decode, encode
from comity.adapters.package.formats import csv_line
from comity.domain.categories import Category
from comity.domain.records import MEDIA_TYPE_MESSAGE, Record


def _csv_module(cells: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().encode()


_cell = st.text(alphabet=st.sampled_from('ab ,"\r\n\t\u00e9x-:.'), max_size=8) | st.text(max_size=8)


@given(cells=st.lists(_cell, min_size=1, max_size=9))
def test_csv_line_is_exactly_what_the_csv_module_writes(cells: list[str]) -> None:
    assert csv_line(cells) == _csv_module(cells)


@given(
    envelope=st.none() | st.binary(max_size=80),
    body=st.binary(max_size=200),
    warning=st.none() | st.text(max_size=20),
)
def test_records_cross_the_agent_framing_exactly(
    envelope: bytes | None, body: bytes, warning: str | None
) -> None:
    record = Record(
        "m-1",
        "acct-0001",
        Category.CONTENT,
        datetime(2013, 6, 1, 9, 30, tzinfo=UTC),
        body,
        MEDIA_TYPE_MESSAGE,
        warning,
        envelope,
    )
    frames = list(encode([record]))
    assert list(decode(frames, source="agent")) == [record]
