"""Sealed part files (ADR 0012): what the worker writes is what the agent reads back, record for
record; a changed, cut, moved or foreign file is refused; nothing is written in clear."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from procrastinate.jobs import Job

from comity.adapters.agent.framing import decode, encode, frame, read_frames
from comity.adapters.agent.jobs import PartRetry
from comity.adapters.agent.part_file import SealedPartFiles
from comity.adapters.regions.keyring_file import FileKeyring
from comity.domain.categories import Category
from comity.domain.records import Record
from comity.errors import Forbidden, IntegrityError

T0 = datetime(2013, 6, 1, tzinfo=UTC)

records_strategy = st.lists(
    st.builds(
        lambda n, body, category, warning: Record(
            f"r-{n}",
            "acct-0001",
            category,
            T0 + timedelta(seconds=n),
            body,
            "message/rfc822",
            warning,
        ),
        st.integers(0, 10_000),
        st.binary(max_size=2000),
        st.sampled_from(list(Category)),
        st.none() | st.text(max_size=40),
    ),
    max_size=12,
)


def _files(tmp_path: Path, region: str = "eu-ie") -> SealedPartFiles:
    keyring = FileKeyring(region, tmp_path / f"{region}.key")
    keyring.ensure()
    return SealedPartFiles(region, tmp_path / "parts", keyring)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=records_strategy)
def test_a_part_reads_back_the_records_it_was_written_with(
    tmp_path: Path, records: list[Record]
) -> None:
    files = _files(tmp_path)
    assert files.write("auth-1", records) == (len(records), sum(len(r.body) for r in records))
    assert list(files.read("auth-1")) == records
    for record in records:
        if len(record.body) >= 16:
            assert record.body not in files.path("auth-1").read_bytes()  # sealed, not in clear


def _sample() -> list[Record]:
    return [
        Record(f"m-{n}", "acct-0001", Category.CONTENT, T0, f"Hello {n}.".encode() * 4, "m/x")
        for n in range(3)
    ]


def test_a_changed_or_cut_part_is_refused(tmp_path: Path) -> None:
    files = _files(tmp_path)
    files.write("auth-1", _sample())
    path = files.path("auth-1")
    original = path.read_bytes()
    changed = bytearray(original)
    changed[-40] ^= 1
    path.write_bytes(bytes(changed))
    with pytest.raises(IntegrityError, match=r"does not decrypt|announces|malformed"):
        list(files.read("auth-1"))
    path.write_bytes(original[:-30])
    with pytest.raises(IntegrityError, match="ended before its end frame"):
        list(files.read("auth-1"))


def test_a_part_of_another_authorization_or_region_is_refused(tmp_path: Path) -> None:
    files = _files(tmp_path)
    files.write("auth-1", _sample())
    files.path("auth-1").replace(files.path("auth-2"))
    with pytest.raises(IntegrityError, match="is not this region's part of auth-2"):
        list(files.read("auth-2"))
    keyring = FileKeyring("us-west", tmp_path / "k")
    other = SealedPartFiles("us-west", files.path("auth-2").parent, keyring)
    files.write("auth-3", _sample())
    with pytest.raises(IntegrityError, match="not this region's part"):
        list(other.read("auth-3"))


def test_a_killed_write_leaves_no_part(tmp_path: Path) -> None:
    files = _files(tmp_path)

    def failing() -> Iterator[Record]:
        yield from _sample()
        raise OSError("the source went away")

    with pytest.raises(OSError, match="went away"):
        files.write("auth-1", failing())
    assert not files.exists("auth-1")
    assert list((tmp_path / "parts").iterdir()) == []


@settings(max_examples=60)
@given(records=records_strategy, cut=st.integers(min_value=1))
def test_framing_round_trips_and_detects_any_cut(records: list[Record], cut: int) -> None:
    stream = b"".join(encode(records))
    assert list(decode([stream], source="s")) == records
    cut = cut % len(stream)
    with pytest.raises(IntegrityError, match="ended before its end frame"):
        list(decode([stream[:cut]], source="s"))


def test_a_frame_header_that_is_not_an_object_is_refused() -> None:
    head = b"[1,2]"
    listed = len(head).to_bytes(4, "big") + head + (0).to_bytes(8, "big")
    assert next(read_frames([frame({"x": 1})], source="s")) == ({"x": 1}, b"")
    with pytest.raises(IntegrityError, match="not an object"):
        list(read_frames([listed], source="s"))


def _job(attempts: int) -> Job:
    return Job(queue="q", lock=None, queueing_lock=None, task_name="t", attempts=attempts)


def test_parts_retry_with_backoff_what_may_pass_and_never_a_refusal() -> None:
    retry = PartRetry(max_attempts=4, base=2)
    first = retry.get_retry_decision(exception=OSError("store away"), job=_job(0))
    third = retry.get_retry_decision(exception=OSError("store away"), job=_job(2))
    assert first is not None
    assert third is not None
    assert first.retry_at is not None
    assert third.retry_at is not None
    assert third.retry_at - first.retry_at >= timedelta(seconds=5)  # 2 s, then 8 s
    assert retry.get_retry_decision(exception=OSError("away"), job=_job(3)) is None
    refused = Forbidden("the law engine's answer changed")
    assert retry.get_retry_decision(exception=refused, job=_job(0)) is None
