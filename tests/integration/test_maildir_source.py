"""The Maildir source: one folder per account, read without renaming a file, stable ids."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from comity.adapters.sources.maildir import MaildirSource
from comity.domain.accounts import Selector
from comity.domain.categories import Category
from comity.services.custody.source_ports import AccountRef


def _message(n: int, day: int) -> bytes:
    return (
        f"From: s{n}@example.org\r\nSubject: m{n}\r\nDate: {day} Jun 2013 10:00:00 +0000\r\n\r\n"
        f"body {n}\r\n"
    ).encode()


def test_a_maildir_account_is_read_by_period_without_touching_a_file(tmp_path: Path) -> None:
    top = tmp_path / "mail" / "acct-0001"
    for folder in (top, top / ".Sent"):
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True)
    (top / "new" / "1.M1.host").write_bytes(_message(1, 3))
    (top / "cur" / "2.M2.host:2,S").write_bytes(_message(2, 20))
    (top / ".Sent" / "cur" / "3.M3.host:2,S").write_bytes(_message(3, 4))
    before = sorted((p, p.stat().st_mtime_ns) for p in top.rglob("*") if p.is_file())
    source = MaildirSource("spool", root=str(tmp_path / "mail" / "{account}"))
    ref = AccountRef("acct-0001", (Selector("email", "a@example.com"),))

    records = list(
        source.iter_records(
            ref,
            [Category.CONTENT],
            datetime(2013, 6, 1, tzinfo=UTC),
            datetime(2013, 6, 10, tzinfo=UTC),
        )
    )

    assert [(r.id, r.body) for r in records] == [
        ("spool:acct-0001:INBOX:1.M1.host", _message(1, 3)),
        ("spool:acct-0001:.Sent:3.M3.host", _message(3, 4)),
    ]
    assert sorted((p, p.stat().st_mtime_ns) for p in top.rglob("*") if p.is_file()) == before
    assert list(source.iter_records(AccountRef("acct-0404"), [Category.CONTENT], None, None)) == []
    found = source.lookup(Selector("account_id", "acct-0001"))
    assert found is not None
    assert found.attributes["messages"] == "3"
    assert source.lookup(Selector("account_id", "acct-0404")) is None
