"""``comity ingest eml DIR --account ID``: a directory of .eml files in one run (issue 15).

Byte-exactness as for one file: every stored content record is the file's bytes, unchanged. A file
that is not a message is refused with its reason and the others are ingested; the summary names
each refused file and the exit status is 1, so a script notices.
"""

from __future__ import annotations

import os
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.conftest import FixedClock
from tests.integration.test_ingest import TWO_REGIONS

from comity.adapters.controlplane.tables import AuditEntryRow
from comity.bootstrap import Comity, open_deployment
from comity.domain.accounts import Account, Selector
from comity.domain.categories import Category
from comity.services.accounts import create_account


@pytest.fixture
def comity(tmp_path: Path, clock: FixedClock) -> Comity:
    home = tmp_path / "deployment"
    home.mkdir()
    (home / "comity.toml").write_text(TWO_REGIONS)
    c = open_deployment(home, clock)
    c.migrate()
    c.prepare_regions()
    create_account(
        c.uow,
        Account(
            "msn-1",
            (Selector("email", "target@msn.example"),),
            "eu-ie",
            {Category.SUBSCRIBER: "us-west", Category.TRAFFIC: "us-west"},
        ),
        actor="test",
        clock=clock,
    )
    return c


def message(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Sender {n} <sender{n}@example.com>"
    msg["To"] = "Target <target@msn.example>"
    msg["Subject"] = f"Note {n} – ünïcödé"
    msg["Date"] = f"Wed, 0{1 + n % 9} Dec 2013 09:00:00 +0100"
    msg["Message-ID"] = f"<d{n}@example.com>"
    msg.set_content(f"Body {n}\nFrom here on, a line an mbox writer would quote.\n")
    msg.add_attachment(bytes(range(256)) * 3, maintype="application", subtype="octet-stream")
    # CRLF line ends in a few, so the bytes stored are checked, not a normalised copy.
    return bytes(msg).replace(b"\n", b"\r\n") if n % 3 == 0 else bytes(msg)


def cli(
    comity: Comity, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "comity.entrypoints.cli.main", *argv, "--dir", str(comity.home)],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "COLUMNS": "120", **(env or {})},
    )


def audit_actions(comity: Comity) -> list[str]:
    with comity.uow() as uow:
        return list(uow.session.scalars(select(AuditEntryRow.action).order_by(AuditEntryRow.idx)))


def test_a_directory_is_ingested_in_one_run_byte_for_byte(comity: Comity, tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    sent = {message(n) for n in range(12)}
    for n, data in enumerate(sorted(sent)):
        (folder / f"{n:02d}.eml").write_bytes(data)
    (folder / "README.txt").write_text("not an .eml file: left alone")
    before = len(audit_actions(comity))
    done = cli(comity, "ingest", "eml", str(folder), "--account", "msn-1")
    assert done.returncode == 0, done.stderr
    assert "content: 12 record(s), 12 new, in eu-ie" in done.stdout
    assert "traffic: 12 record(s), 12 new, in us-west" in done.stdout
    assert "refused" not in done.stderr
    assert {r.body for r in comity.region_store("eu-ie").read("msn-1")} == sent
    # One ingest: one start and one end on the audit log for the whole directory.
    assert len(audit_actions(comity)) - before == 2

    again = cli(comity, "ingest", "eml", str(folder), "--account", "msn-1")
    assert again.returncode == 0, again.stderr
    assert "content: 12 record(s), 0 new, in eu-ie" in again.stdout


def test_refused_files_are_named_with_why_and_the_rest_is_ingested(
    comity: Comity, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    good = [message(n) for n in range(3)]
    for n, data in enumerate(good):
        (folder / f"good-{n}.eml").write_bytes(data)
    (folder / "empty.eml").write_bytes(b"")
    (folder / "scan.eml").write_bytes(b"%PDF-1.7\n...")
    (folder / "box.eml").write_bytes(b"From a@b Wed Dec  4 09:00:00 2013\nSubject: x\n\n")
    done = cli(comity, "ingest", "eml", str(folder), "--account", "msn-1")
    assert done.returncode == 1
    assert "content: 3 record(s), 3 new, in eu-ie" in done.stdout
    assert "refused 3 of 6 file(s):" in done.stderr
    assert f"{folder / 'empty.eml'} is empty" in done.stderr
    assert f"{folder / 'scan.eml'} is not an e-mail message" in done.stderr
    assert "use 'comity ingest mbox'" in done.stderr
    assert "Traceback" not in done.stderr
    assert {r.body for r in comity.region_store("eu-ie").read("msn-1")} == set(good)


def test_a_directory_with_nothing_to_ingest_is_refused_in_one_sentence(
    comity: Comity, tmp_path: Path
) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    (empty / "notes.txt").write_text("x")
    done = cli(comity, "ingest", "eml", str(empty), "--account", "msn-1")
    assert done.returncode == 2
    assert f"error: {empty} holds no .eml files" in done.stderr

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.eml").write_bytes(b"")
    done = cli(comity, "ingest", "eml", str(bad), "--account", "msn-1")
    assert done.returncode == 2
    assert f"{bad / 'a.eml'} is empty" in done.stderr
    assert "nothing was ingested" in done.stderr
    assert list(comity.region_store("eu-ie").read("msn-1")) == []


def test_a_terminal_sees_a_progress_bar(comity: Comity, tmp_path: Path) -> None:
    folder = tmp_path / "bar"
    folder.mkdir()
    for n in range(3):
        (folder / f"{n}.eml").write_bytes(message(n))
    done = cli(
        comity, "ingest", "eml", str(folder), "--account", "msn-1", env={"TTY_COMPATIBLE": "1"}
    )
    assert done.returncode == 0, done.stderr
    assert "ingesting" in done.stderr
    assert "3/3" in done.stderr
