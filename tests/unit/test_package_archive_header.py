"""The fast tar header is byte for byte what ``tarfile`` writes, or is not used."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comity.adapters.package.archive import _header, _ustar_header
from comity.adapters.package.verify import verify_package
from comity.errors import IntegrityError


def _tarfile_header(name: str, size: int, *, is_dir: bool, mtime: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = 0 if is_dir else size
    info.mtime = mtime
    info.mode = 0o755 if is_dir else 0o644
    info.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "strict")


@given(
    name=st.text(
        st.characters(min_codepoint=33, max_codepoint=0x24F, exclude_characters="/"),
        min_size=1,
        max_size=60,
    ).flatmap(lambda t: st.sampled_from([t, f"pkg/{t}", f"pkg/data/{t * 3}"])),
    size=st.one_of(st.integers(0, 10**7), st.integers(8**11 - 2, 8**11 + 2)),
    is_dir=st.booleans(),
    mtime=st.integers(0, 2**33),
)
def test_fast_headers_equal_tarfile_headers(name: str, size: int, is_dir: bool, mtime: int) -> None:
    expected = _tarfile_header(name, size, is_dir=is_dir, mtime=mtime)
    assert _header(name, size, is_dir=is_dir, mtime=mtime) == expected
    fast = _ustar_header(name, size, is_dir=is_dir, mtime=mtime)
    assert fast is None or fast == expected


def test_typical_package_names_take_the_fast_path() -> None:
    name = "package-auth-0001/data/eu-ie/acct-0001/content/00000001-msg-0001.eml"
    assert _ustar_header(name, 20_000, is_dir=False, mtime=1_795_000_000) is not None
    long_name = "x" * 101  # a pax "path" record, built directly since issue 14
    assert _ustar_header(long_name, 1, is_dir=False, mtime=0) == _tarfile_header(
        long_name, 1, is_dir=False, mtime=0
    )


def test_verify_names_a_corrupt_header_instead_of_counting_trailing_bytes(tmp_path: Path) -> None:
    """Issue 14: a damaged tar header is named (its offset, entry and what is wrong)."""
    from tests.packaging import produce, sample_records  # noqa: PLC0415 (heavy; this test only)

    package = produce(tmp_path / "p.tar", sample_records())
    data = bytearray(package.read_bytes())
    with tarfile.open(package) as tar:
        members = tar.getmembers()
    victim = members[len(members) // 2]
    data[victim.offset + 148] ^= 0x01  # one bit of the header's checksum field
    bad = tmp_path / "bad.tar"
    bad.write_bytes(bytes(data))
    with pytest.raises(IntegrityError) as caught:
        verify_package(bad)
    message = caught.value.message
    assert f"the archive header at byte {victim.offset}" in message
    assert "checksum" in message
    assert "after its last entry" not in message


@given(
    name=st.text(st.sampled_from("abcdefghij0123456789-_."), min_size=1, max_size=40).flatmap(
        lambda t: st.integers(60, 1100).map(lambda n: "/".join([t] * (n // (len(t) + 1) + 1)))
    ),
    size=st.integers(0, 10**9),
    is_dir=st.booleans(),
    mtime=st.integers(0, 2**33),
)
def test_fast_headers_of_long_names_equal_tarfile_pax_headers(
    name: str, size: int, is_dir: bool, mtime: int
) -> None:
    """Names over 100 bytes (a message's path in a package often is) get tarfile's pax
    extended header, built directly: tarfile took most of a production's per-message time."""
    expected = _tarfile_header(name, size, is_dir=is_dir, mtime=mtime)
    assert _header(name, size, is_dir=is_dir, mtime=mtime) == expected
