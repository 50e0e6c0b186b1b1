"""Cursors round-trip, anything else is one sentence, and keyset pages walk a list exactly once."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comity.errors import InvalidInput
from comity.services import paging

PATTERN = re.compile(paging.CURSOR_PATTERN)


@given(st.lists(st.text(max_size=40), min_size=1, max_size=4))
def test_a_cursor_round_trips_and_matches_the_published_pattern(parts: list[str]) -> None:
    cursor = paging.encode(parts)
    assert PATTERN.fullmatch(cursor)
    assert paging.decode(cursor, len(parts)) == parts


@given(st.text(max_size=200), st.integers(min_value=1, max_value=4))
def test_any_other_text_is_a_cursor_or_one_sentence(text: str, size: int) -> None:
    refused: InvalidInput | None = None
    parts: list[str] = []
    try:
        parts = paging.decode(text, size)
    except InvalidInput as caught:
        refused = caught
    if refused is not None:
        assert refused.message == "cursor: not a cursor this list gave out"
    else:
        assert len(parts) == size
        assert all(isinstance(p, str) for p in parts)


@given(
    st.sets(st.integers(min_value=0, max_value=10_000), max_size=60),
    st.integers(min_value=1, max_value=7),
)
def test_keyset_pages_walk_the_whole_list_once_in_order(items: set[int], limit: int) -> None:
    def key(n: int) -> tuple[str, ...]:
        return (f"{n:05d}",)

    seen: list[int] = []
    cursor = None
    for _ in range(len(items) + 2):
        page = paging.keyset_page(items, key, parts=1, limit=limit, after=cursor, what="things")
        assert len(page.items) <= limit
        seen += page.items
        cursor = page.next
        if cursor is None:
            break
    assert seen == sorted(items)


def test_an_item_added_between_pages_is_neither_repeated_nor_skipped_by_the_next() -> None:
    def key(n: int) -> tuple[str, ...]:
        return (f"{n:05d}",)

    first = paging.keyset_page([10, 20, 30, 40], key, parts=1, limit=2, after=None, what="x")
    assert first.items == [10, 20]
    later = paging.keyset_page(
        [5, 10, 20, 25, 30, 40], key, parts=1, limit=2, after=first.next, what="x"
    )
    assert later.items == [25, 30]  # 5 sorts before the cursor; 25 after it


@pytest.mark.parametrize("limit", [0, 501, -1])
def test_a_page_size_out_of_bounds_is_one_sentence(limit: int) -> None:
    expected = rf"^limit: expected 1 to 500 things a page, got {limit}$"
    with pytest.raises(InvalidInput, match=expected):
        paging.check_limit(limit, "things")


@pytest.mark.parametrize("text", ["", "x", "-1", "١٢", "99999999999999999999"])
def test_a_sequence_part_that_is_not_a_number_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^cursor: not a cursor this list gave out$"):
        paging.number(text)


def test_a_cursor_of_deeply_nested_json_is_one_sentence_not_a_crash() -> None:
    cursor = base64.urlsafe_b64encode(b"[" * 1400).decode().rstrip("=")
    assert PATTERN.fullmatch(cursor)  # within the published pattern, so it reaches the service
    with pytest.raises(InvalidInput, match=r"^cursor: not a cursor this list gave out$"):
        paging.decode(cursor, 1)


@given(st.from_regex(PATTERN, fullmatch=True), st.integers(min_value=1, max_value=4))
def test_every_cursor_the_pattern_allows_names_a_position(cursor: str, size: int) -> None:
    """ADR 0011: a well-formed cursor is never refused; one that is not a key is the start."""
    found = paging.position(cursor, size, tuple)
    assert found is None or len(found) == size


@given(st.lists(st.text(max_size=40), min_size=1, max_size=4))
def test_a_cursor_given_out_names_its_key(parts: list[str]) -> None:
    parts = [p.replace("\x00", "") for p in parts]
    assert paging.position(paging.encode(parts), len(parts), list) == parts


@pytest.mark.parametrize(
    "parts",
    [["0001-01-01T00:00:00+14:00"], ["9999-12-31T23:59:59-14:00"], ["2026-01-01T00:00:00"]],
)
def test_a_time_with_no_utc_reading_or_no_offset_is_not_a_key(parts: list[str]) -> None:
    cursor = paging.encode(parts)
    assert paging.position(cursor, 1, lambda p: paging.instant(p[0])) is None


def test_a_cursor_holding_nul_or_a_number_past_bigint_is_the_start() -> None:
    assert paging.position(paging.encode(["a\x00b"]), 1, list) is None
    past = paging.encode([str(paging.MAX_NUMBER + 1)])
    assert paging.position(past, 1, lambda p: paging.number(p[0])) is None
    assert (
        paging.position(paging.encode([str(paging.MAX_NUMBER)]), 1, lambda p: paging.number(p[0]))
        == paging.MAX_NUMBER
    )


def test_a_cursor_longer_than_published_is_one_sentence() -> None:
    with pytest.raises(InvalidInput, match=r"^cursor: at most 2000 characters, got 2001$"):
        paging.position("a" * 2001, 1, list)


def test_a_page_after_a_cursor_that_is_not_a_key_is_the_first_page() -> None:
    def key(n: int) -> tuple[str, ...]:
        return (f"{n:05d}",)

    for cursor in ["x", "WyJ4IiwieSIsInoiXQ", "e30", "-_-_"]:
        page = paging.keyset_page([3, 1, 2], key, parts=1, limit=2, after=cursor, what="x")
        assert page.items == [1, 2]
