"""``comity sources check``: what an operator sees for a working source, a wrong password, an
unreachable host and a query missing its account parameter."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import FixedClock
from tests.dovecot_support import Dovecot, running_dovecot
from tests.production_support import deployment
from tests.source_support import ALICE, JUNE, deliver, records_database, sources_toml

from comity.entrypoints.cli.main import main


@pytest.fixture
def server() -> Iterator[Dovecot]:
    with running_dovecot() as dovecot:
        dovecot.add_user(ALICE)
        deliver(dovecot, ALICE, 1, JUNE, seen=True)
        deliver(dovecot, ALICE, 2, JUNE)
        yield dovecot


def _comity(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    saved = sys.argv
    sys.argv = ["comity", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = saved
    out = capsys.readouterr()
    return code, out.out, out.err


def _home(tmp_path: Path, server: Dovecot, records_url: str | None = None) -> str:
    home = tmp_path / "dep"
    deployment(home, FixedClock(JUNE), sources_toml(home, server, records_url))
    return str(home)


def test_a_working_imap_and_postgresql_source_report_lookup_and_read_only(
    tmp_path: Path, server: Dovecot, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home(tmp_path, server, records_database(pg_url))
    flags = server.flags(ALICE)

    code, out, err = _comity(
        ["--dir", home, "sources", "check", "eu-ie", "--selector", f"email:{ALICE}"], capsys
    )

    assert code == 0, err
    assert (
        f"region eu-ie: mail: source mail ({server.url}) reachable; master user 'comity' accepted"
        in out
    )
    assert f"region eu-ie: mail: email:{ALICE} found (user={ALICE}, folders=1, messages=2)" in out
    assert "region eu-ie: records: the role cannot write to any table" in out
    assert f"region eu-ie: records: email:{ALICE} found (" in out
    assert "full_name=Alice A" in out
    assert server.flags(ALICE) == flags


def test_a_wrong_master_password_is_one_clear_error(
    tmp_path: Path, server: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home(tmp_path, server)
    (Path(home) / "secrets" / "eu-ie-imap").write_text("wrong\n")

    code, _, err = _comity(["--dir", home, "sources", "check"], capsys)

    assert code == 1
    assert "error: region eu-ie: source mail" in err
    assert "refused master user 'comity'" in err
    assert "check the master password file" in err


def test_an_unreachable_host_is_one_clear_error(
    tmp_path: Path, server: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens here once the socket is closed
    home = tmp_path / "dep"
    toml = sources_toml(home, server, None).replace(server.url, f"imap://127.0.0.1:{closed}")
    deployment(home, FixedClock(JUNE), toml)

    code, _, err = _comity(["--dir", str(home), "sources", "check", "eu-ie"], capsys)

    assert code == 1
    assert f"error: region eu-ie: source mail (imap://127.0.0.1:{closed}) is unreachable" in err


def test_a_secret_file_others_can_read_is_refused(
    tmp_path: Path, server: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home(tmp_path, server)
    secret = Path(home) / "secrets" / "eu-ie-imap"
    secret.chmod(0o644)

    code, _, err = _comity(["--dir", home, "sources", "check"], capsys)

    assert code == 1
    assert f"secret file {secret} is readable by group or others (mode 0644)" in err
    assert f"run 'chmod 600 {secret}'" in err


def test_a_query_missing_its_account_parameter_is_named(
    tmp_path: Path, server: Dovecot, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home(tmp_path, server, records_database(pg_url))
    queries = Path(home) / "sources" / "eu-ie.sql"
    queries.write_text("-- name: subscriber\nSELECT id, created_at AS occurred_at FROM customers\n")

    code, _, err = _comity(["--dir", home, "sources", "check", "eu-ie"], capsys)

    assert code == 1
    assert "query 'subscriber' is missing a parameter naming the account" in err
    assert "so it would return every customer's rows" in err


def test_a_region_without_sources_says_comity_store_is_its_source(
    tmp_path: Path, server: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home(tmp_path, server)

    code, out, err = _comity(["--dir", home, "sources", "check", "us-west"], capsys)
    assert code == 0, err
    assert "region us-west: no sources; Comity's own store is its only source" in out
    code, _, err = _comity(["--dir", home, "sources", "check", "nowhere"], capsys)
    assert code == 1
    assert "error: no region 'nowhere' in this deployment" in err
