"""The IMAP source against a private Dovecot: lookup through the master user, the period cut on
INTERNALDATE, stable ids, no flag changed, and a stream closed early stops its fetch."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.dovecot_support import MASTER_PASSWORD, MASTER_USER, Dovecot, running_dovecot
from tests.source_support import ALICE, JUNE, deliver, message

from comity.adapters.sources import imap, imap_fetch
from comity.adapters.sources.imap import ImapSource
from comity.adapters.sources.imap_fetch import Session, fetch_batches
from comity.domain.accounts import Selector
from comity.domain.categories import Category
from comity.services.custody.source_ports import AccountRef, SourceUnavailable

REF = AccountRef("acct-0101", (Selector("email", ALICE),))


@pytest.fixture
def server() -> Iterator[Dovecot]:
    with running_dovecot() as dovecot:
        dovecot.add_user(ALICE)
        yield dovecot


def _source(server: Dovecot, tmp_path: Path, password: str = MASTER_PASSWORD) -> ImapSource:
    secret = tmp_path / "pw"
    secret.write_text(password + "\n")
    secret.chmod(0o600)
    return ImapSource(
        "mail", url=server.url, master_user=MASTER_USER, password_file=secret, batch=3
    )


def test_records_are_cut_on_the_period_with_stable_ids_and_no_flag_changed(
    server: Dovecot, tmp_path: Path
) -> None:
    for n in range(10):
        deliver(server, ALICE, n, JUNE + timedelta(days=n), seen=n % 2 == 0)
    flags = server.flags(ALICE)
    source = _source(server, tmp_path)

    first = list(
        source.iter_records(
            REF, [Category.CONTENT], JUNE + timedelta(days=2), JUNE + timedelta(days=7)
        )
    )
    again = list(source.iter_records(REF, [Category.CONTENT], None, None))

    assert [r.occurred_at for r in first] == [JUNE + timedelta(days=n) for n in range(2, 7)]
    assert [r.id.rsplit(":", 1)[1] for r in first] == ["3", "4", "5", "6", "7"]
    assert {r.id: r.body for r in first}.items() <= {r.id: r.body for r in again}.items()
    assert [r.body for r in again] == server.bodies(ALICE)
    assert server.flags(ALICE) == flags
    assert list(source.iter_records(REF, [Category.SUBSCRIBER], None, None)) == []


def test_lookup_tells_a_missing_mailbox_from_a_wrong_master_password(
    server: Dovecot, tmp_path: Path
) -> None:
    deliver(server, ALICE, 1, JUNE)
    found = _source(server, tmp_path).lookup(Selector("email", ALICE))
    assert found is not None
    assert found.attributes == {"user": ALICE, "folders": "1", "messages": "1"}
    assert _source(server, tmp_path).lookup(Selector("email", "nobody@example.com")) is None
    assert _source(server, tmp_path).lookup(Selector("phone", "+15555550100")) is None
    with pytest.raises(SourceUnavailable, match="refused master user 'comity' for alice"):
        _source(server, tmp_path, "wrong").lookup(Selector("email", ALICE))


def test_a_stream_closed_early_stops_fetching_and_logs_out(server: Dovecot, tmp_path: Path) -> None:
    for n in range(30):
        deliver(server, ALICE, n, datetime(2013, 6, 1, tzinfo=UTC) + timedelta(hours=n))
    before = threading.active_count()
    stream = _source(server, tmp_path).iter_records(REF, [Category.CONTENT], None, None)
    assert next(stream).account_id == "acct-0101"
    stream.close()
    deadline = time.monotonic() + 10
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() == before


def _holding(server: Dovecot, tmp_path: Path) -> ImapSource:
    secret = tmp_path / "pw"
    secret.write_text(MASTER_PASSWORD + "\n")
    secret.chmod(0o600)
    return ImapSource(
        "mail",
        url=server.url,
        master_user=MASTER_USER,
        password_file=secret,
        hold_in_place="mailbox",
    )


def test_a_hold_in_place_copies_every_folder_and_reads_never_see_the_copies(
    server: Dovecot, tmp_path: Path
) -> None:
    for n in range(4):
        deliver(server, ALICE, n, JUNE + timedelta(days=n), seen=n == 1)
    server.deliver(ALICE, b"Subject: sent\r\n\r\nsent by alice\r\n", seen=True, folder="Sent")
    source = _holding(server, tmp_path)
    before = list(source.iter_records(REF, [Category.CONTENT], None, None))
    flags = server.flags(ALICE)

    held = source.hold_in_place(REF, "case-9/hold-2")

    box = "Comity Hold.case-9-hold-2"
    assert [(h.user, h.location) for h in held] == [(ALICE, box)]
    assert [(c["folder"], c["uids"], c["hold_uids"]) for c in held[0].copies] == [
        ("INBOX", "1:4", "1:4"),
        ("Sent", "1", "5"),
    ]
    assert sorted(server.mailbox_bodies(ALICE, box)) == sorted(r.body for r in before)
    assert {k: v for k, v in server.flags(ALICE).items() if k != box} == flags
    # Reads and lookups leave the hold hierarchy out: the same records, the same ids.
    assert [r.id for r in source.iter_records(REF, [Category.CONTENT], None, None)] == [
        r.id for r in before
    ]
    found = source.lookup(Selector("email", ALICE))
    assert found is not None
    assert found.attributes["messages"] == "5"

    assert source.release_in_place(REF, "case-9/hold-2") == [f"{ALICE}: {box}"]
    assert server.folders(ALICE) == ["INBOX", "Sent"]
    assert source.release_in_place(REF, "case-9/hold-2") == []  # nothing left to remove
    nobody = AccountRef("acct-0999", (Selector("email", "nobody@example.com"),))
    assert source.hold_in_place(nobody, "case-9/hold-3") == []  # no mailbox, nothing to hold


def _sessions(server: Dovecot, count: int) -> list[str]:
    """How each of alice's first ``count`` IMAP sessions ended, in the order they began, as
    Dovecot's log says: ``Logged out`` for a LOGOUT it answered, ``Connection closed`` for a
    client that hung up. (Each line is written when the session's process ends, so they are
    waited for.)"""
    deadline = time.monotonic() + 15
    while True:
        log = (server.root / "dovecot.log").read_text()
        began = re.findall(r"Login: user=<alice@example\.com>.* session=<([^>]+)>", log)
        ended = dict(
            re.findall(
                r"imap\(alice@example\.com\)<\d+><([^>]+)>: Info: Disconnected: (\w+ \w+)", log
            )
        )
        if all(s in ended for s in began[:count]) and len(began) >= count:
            return [ended[s] for s in began[:count]]
        assert time.monotonic() < deadline, log
        time.sleep(0.05)


def _fill(server: Dovecot, count: int, size: int) -> None:
    for n in range(count):
        body = message(n, ALICE) + b"x" * size + b"\r\n"
        path = server.deliver(ALICE, body)
        when = datetime(2013, 6, 1, tzinfo=UTC) + timedelta(hours=n)
        os.utime(path, (when.timestamp(), when.timestamp()))


def test_a_fetch_closed_early_reads_what_is_due_and_the_session_logs_out(
    server: Dovecot,
) -> None:
    """The fetches already sent are answered and read (not parsed or kept) when the stream is
    closed, so LOGOUT gets its answer: before, imaplib met the pipelined fetch's completion
    instead, gave up and the socket was shut."""
    _fill(server, 40, 1000)
    conn = Session("127.0.0.1", server.port, timeout=10)
    conn.login(f"{ALICE}*{MASTER_USER}", MASTER_PASSWORD)
    conn.select("INBOX", readonly=True)
    uids = [int(u) for u in conn.uid("SEARCH", "ALL")[1][0].split()]
    stream = fetch_batches(conn, [uids[i : i + 5] for i in range(0, len(uids), 5)])
    assert len(next(stream)) == 5
    stream.close()
    assert conn.logout() == ("BYE", [b"Logging out"])
    assert _sessions(server, 1) == ["Logged out"]


def test_a_read_closed_early_logs_out_and_the_next_read_is_whole(
    server: Dovecot, tmp_path: Path
) -> None:
    _fill(server, 60, 2000)
    source = _source(server, tmp_path)
    for _ in range(3):  # a preflight reads one batch, a cancelled production a few
        stream = source.iter_records(REF, [Category.CONTENT], None, None)
        assert next(stream).account_id == REF.account_id
        stream.close()
    records = list(source.iter_records(REF, [Category.CONTENT], None, None))
    assert [r.body for r in records] == server.bodies(ALICE)
    assert _sessions(server, 4) == ["Logged out"] * 4


def test_more_than_the_limit_still_due_is_cut_off_and_the_next_read_is_whole(
    server: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What is still due past the limit (here any byte: a limit of 0) is not read to be thrown
    away: the connection is closed, as before, and nothing else changes."""
    monkeypatch.setattr(imap_fetch, "DISCARD_LIMIT", 0)
    _fill(server, 30, 20_000)
    source = _source(server, tmp_path)
    stream = source.iter_records(REF, [Category.CONTENT], None, None)
    next(stream)
    stream.close()
    records = list(source.iter_records(REF, [Category.CONTENT], None, None))
    assert [r.body for r in records] == server.bodies(ALICE)
    assert _sessions(server, 2) == ["Connection closed", "Logged out"]


def test_a_server_that_stops_answering_is_cut_off_after_the_short_timeout(
    server: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped between two batches (its LOGOUT unanswered) or in the middle of one (a read
    under way), the session is closed within the close timeout, not the source's 30 s."""
    monkeypatch.setattr(imap, "CLOSE_TIMEOUT", 0.5)
    _fill(server, 300, 2000)
    source = _source(server, tmp_path)
    for settle in (1.0, 0.0):  # the worker idle with its queue full; then, likely, mid-read
        stream = source.iter_records(REF, [Category.CONTENT], None, None)
        next(stream)
        time.sleep(settle)
        log = (server.root / "dovecot.log").read_text()
        imap_pid = int(re.findall(r"Login: user=<alice@example\.com>.*mpid=(\d+)", log)[-1])
        os.kill(imap_pid, signal.SIGSTOP)
        try:
            began = time.monotonic()
            stream.close()
            assert time.monotonic() - began < 5
        finally:
            os.kill(imap_pid, signal.SIGCONT)
    records = list(source.iter_records(REF, [Category.CONTENT], None, None))
    assert len(records) == 300
