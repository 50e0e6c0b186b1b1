"""C2SP tlog-tiles paths and tile arithmetic (domain.tiles)."""

from __future__ import annotations

import pytest

from comity.domain.tiles import (
    TileError,
    TileRef,
    bundle,
    encode_index,
    parse_tile_path,
    tiles_for,
    unbundle,
)


def test_indexes_are_written_as_the_spec_example() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(5) == "005"
    assert encode_index(1000) == "x001/000"


@pytest.mark.parametrize(
    ("path", "ref"),
    [
        ("0/000", TileRef(0, 0)),
        ("1/x001/x234/067", TileRef(1, 1234067)),
        ("0/002.p/188", TileRef(0, 2, 188)),
        ("entries/x001/000.p/1", TileRef(0, 1000, 1, entries=True)),
        ("63/000", TileRef(63, 0)),
    ],
)
def test_paths_parse_to_the_tile_they_name_and_back(path: str, ref: TileRef) -> None:
    assert parse_tile_path(path) == ref
    assert ref.path() == path


@pytest.mark.parametrize(
    ("path", "fault"),
    [
        ("64/000", "level"),
        ("01/000", "level"),
        ("0/1", "three digits"),
        ("0/001/002", "after an 'x'"),
        ("0/x000/002", "canonical"),
        ("0/000.p/256", "width"),
        ("0/000.p/0", "width"),
        ("0/000.p/07", "width"),
        ("data/000", "level"),
        ("0", "is not"),
        ("0/" + "/".join(["x001"] * 12) + "/000", "is not"),
    ],
)
def test_malformed_paths_are_refused_naming_the_fault(path: str, fault: str) -> None:
    with pytest.raises(TileError, match=fault):
        parse_tile_path(path)


def test_the_spec_example_tree_of_70000() -> None:
    """tlog-tiles: 273 full level-0 tiles and one of width 112; one full level-1 tile and one of
    width 17; one level-2 tile of width 1."""
    level0 = tiles_for(70000, 0)
    assert len(level0) == 274
    assert level0[-1] == TileRef(0, 273, 112)
    assert tiles_for(70000, 1) == [TileRef(1, 0), TileRef(1, 1, 17)]
    assert tiles_for(70000, 2) == [TileRef(2, 0, 1)]
    assert tiles_for(256, 1) == [TileRef(1, 0, 1)]


def test_a_tile_needs_the_tree_size_its_last_hash_covers() -> None:
    assert TileRef(0, 2, 188).end == 700
    assert TileRef(1, 0, 2).end == 512
    assert TileRef(1, 0).end == 65536
    assert TileRef(1, 3, 1).subtrees() == [(8, 768)]


def test_bundles_round_trip_and_refuse_what_a_uint16_cannot_prefix() -> None:
    entries = [b"", b"a", b"x" * 65535]
    assert unbundle(bundle(entries)) == entries
    with pytest.raises(TileError, match="65536 bytes"):
        bundle([b"x" * 65536])
    with pytest.raises(TileError, match="inside an entry"):
        unbundle(b"\x00\x05abc")
