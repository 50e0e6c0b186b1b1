"""Shared fixtures: a fresh deployment directory per test, and the PostgreSQL server URL."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from comity.bootstrap import Comity, initialise, open_deployment
from tests.hsm_support import TokenPool, softhsm_pool


class FixedClock:
    """A clock that says what the test tells it to; time is an input."""

    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def deployment(tmp_path: Path) -> Comity:
    """An initialised (non-demo) deployment in a temporary directory."""
    initialise(tmp_path, demo=False)
    return open_deployment(tmp_path)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the test server; skips only outside ``make test``."""
    base = os.environ.get("COMITY_TEST_PG_URL")
    if not base:
        if os.environ.get("CI"):
            pytest.fail("COMITY_TEST_PG_URL is not set; run the suite with `make test`")
        pytest.skip("needs PostgreSQL: run through `make test`")
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield base.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@dataclass
class CliResult:
    """What one in-process ``comity`` run gave: its exit code and what it printed."""

    returncode: int
    stdout: str
    stderr: str


CliRunner = Callable[..., CliResult]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """Run ``comity --dir HOME ARGS...`` in-process, as the console script does."""
    from comity.entrypoints.cli.main import main  # noqa: PLC0415 (only the CLI tests load it)

    def run(home: Path, *args: str) -> CliResult:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["comity", "--dir", str(home), *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    return run


@pytest.fixture(scope="session")
def hsm_tokens(tmp_path_factory: pytest.TempPathFactory) -> TokenPool:
    """Throw-away SoftHSM tokens, one per test that asks (``tests/hsm_support.py``)."""
    return softhsm_pool(tmp_path_factory.mktemp("softhsm"))
