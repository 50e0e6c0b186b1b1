"""The IMAP source against a private Dovecot: lookup through the master user, the period cut on
INTERNALDATE, stable ids, no flag changed, and a stream closed early stops its fetch."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.dovecot_support import MASTER_PASSWORD, MASTER_USER, Dovecot, running_dovecot
from tests.source_support import ALICE, JUNE, deliver

from comity.adapters.sources.imap import ImapSource
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
