"""A production killed with SIGKILL at any point leaves nothing marked complete, and a re-run gives
the same bytes as an undisturbed run."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.packaging import message, produce, sample_authorization

from comity.adapters.package.writer import staging_dir
from comity.domain.authorization import PackageOptions, SignedAuthorization
from comity.domain.records import Record

MESSAGES = 100
CHILD = """
import sys
from pathlib import Path
from tests.packaging import produce
from tests.integration.test_package_crash import authorization_of, records
print("ready", flush=True)
produce(Path(sys.argv[1]), records(), authorization_of(sys.argv[2]))
print("done", flush=True)
"""


def authorization_of(package_format: str) -> SignedAuthorization:
    """The first format (no options) or the second, with its default options."""
    return sample_authorization(None if package_format == "first" else PackageOptions())


def records() -> list[tuple[str, object]]:
    """A few megabytes of mail, generated lazily so the writer streams it."""
    start = datetime(2013, 3, 1, tzinfo=UTC)
    filler = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n" * 300

    def mail() -> object:
        for n in range(MESSAGES):
            base = message(n, "acct-0001", start + timedelta(minutes=n))
            yield Record(
                base.id,
                base.account_id,
                base.category,
                base.occurred_at,
                base.body + filler,
                base.media_type,
            )

    return [("eu-ie", mail())]


@pytest.mark.slow
@pytest.mark.parametrize("package_format", ["first", "streamed"])
def test_a_killed_production_is_never_complete_and_a_rerun_gives_the_same_bytes(
    tmp_path: Path, package_format: str
) -> None:
    signed = authorization_of(package_format)
    started = time.monotonic()
    reference = produce(tmp_path / "reference.tar", records(), signed).read_bytes()  # type: ignore[arg-type]
    took = time.monotonic() - started
    out = tmp_path / "run" / "package.tar"
    out.parent.mkdir()
    rng = random.Random(20261123)
    outcomes = []
    for _ in range(4):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(out), package_format],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parents[2],
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0, took * 1.2))
        child.send_signal(signal.SIGKILL)
        child.wait()
        if out.exists():
            # Killed after the rename: the package is complete and exactly the reference.
            assert out.read_bytes() == reference
            outcomes.append("complete")
            out.unlink()
        else:
            outcomes.append("incomplete")
        produce(out, records(), signed)  # type: ignore[arg-type]
        assert out.read_bytes() == reference
        assert not staging_dir(out).exists()
        out.unlink()
    assert "incomplete" in outcomes
