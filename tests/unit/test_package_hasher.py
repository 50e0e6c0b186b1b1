"""The writer's hashing thread runs jobs in submission order and hands their errors back."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from comity.adapters.package.files import Appenders
from comity.adapters.package.hasher import Hasher


def test_jobs_run_in_order_and_drain_waits_for_them() -> None:
    hasher = Hasher()
    seen: list[int] = []
    for n in range(5000):
        hasher.submit(lambda n=n: seen.append(n), 300)  # type: ignore[misc]
    hasher.drain()
    assert seen == list(range(5000))
    hasher.close()


def test_a_failing_job_is_raised_at_drain_and_later_jobs_do_not_run() -> None:
    hasher = Hasher()
    seen: list[int] = []

    def fail() -> None:
        raise ValueError("boom")

    hasher.submit(fail, 1)
    hasher.submit(lambda: seen.append(1), 1)
    with pytest.raises(ValueError, match="boom"):
        hasher.drain()
    assert seen == []
    hasher.close()


def test_appenders_hash_the_same_on_the_thread_as_inline(tmp_path: Path) -> None:
    base = tmp_path
    chunks = [bytes([n % 251]) * (n * 37 % 5000 + 1) for n in range(400)]
    hasher = Hasher()
    threaded, inline = Appenders(hasher=hasher), Appenders()
    for n, chunk in enumerate(chunks):
        threaded.write(base / "t" / f"{n % 3}.mbox", chunk)
        inline.write(base / "i" / f"{n % 3}.mbox", chunk)
    a = {p.name: d for p, d in threaded.close().items()}
    b = {p.name: d for p, d in inline.close().items()}
    hasher.close()
    assert a == b
    whole = b"".join(c for n, c in enumerate(chunks) if n % 3 == 0)
    assert a["0.mbox"].sha512 == hashlib.sha512(whole).hexdigest()
