"""Issue 14 item 5: a message ingested from an mbox keeps its ``From `` envelope line from
ingest to the package: the package's mbox gives the original line back, byte for byte, and the
index carries it for packages without an mbox."""

from __future__ import annotations

import mailbox
from pathlib import Path

from tests.production_support import approve, build, submit

from comity.adapters.mail.mbox import split_mbox
from comity.adapters.mail.sources import mbox_records
from comity.adapters.package import layout
from comity.adapters.package.archive import extract_canonical
from comity.adapters.package.reader import read_records
from comity.adapters.package.verify import read_index, verify_package
from comity.domain.authorization import PackageOptions
from comity.services.custody.ingest import ingest

#: Envelope lines as real mailboxes have them: two spaces before a one-digit day, a time zone,
#: UUCP's "remote from", MAILER-DAEMON; a rebuilt line would lose every one of these details.
ENVELOPES = [
    b"From alice@example.org Sat Jun  1 10:00:00 2013",
    b"From MAILER-DAEMON Sun Jun  2 11:30:00 2013 +0200",
    b"From bob@example.net  Mon Jun  3 12:00:00 2013 remote from gateway",
]


def _message(n: int) -> bytes:
    return (
        f"From: Person {n} <p{n}@example.org>\nTo: target@example.com\n"
        f"Subject: kept {n}\nMessage-ID: <kept-{n}@example.org>\n"
        f"Date: Sat, 0{1 + n} Jun 2013 10:00:00 +0000\n\nLine one.\n>From a quoted line.\n"
    ).encode()


def _mbox(path: Path) -> Path:
    with path.open("wb") as out:
        for n, envelope in enumerate(ENVELOPES):
            out.write(envelope + b"\n" + _message(n) + b"\n")
    return path


def test_the_packages_mbox_gives_back_the_ingested_envelope_lines(tmp_path: Path) -> None:
    pw = build(tmp_path / "dep")
    source = _mbox(tmp_path / "in.mbox")
    ingest(
        pw.comity.uow,
        pw.comity.region_store,
        "acct-0001",
        lambda: mbox_records(source, "acct-0001", pw.clock.now()),
        kind="mbox",
        source=source.name,
        actor="test",
        clock=pw.clock,
    )
    demand_id = submit(pw)
    approve(pw, demand_id)
    production = pw.comity.productions.produce(
        pw.admin, demand_id, options=PackageOptions(mbox=True)
    )
    assert production.path is not None
    package = Path(production.path)
    verify_package(package)
    bag = extract_canonical(package, tmp_path / "x")
    with (bag / layout.mbox_path("eu-ie", "acct-0001")).open("rb") as stream:
        entries = list(split_mbox(stream, "content.mbox"))
    for n, envelope in enumerate(ENVELOPES):
        (entry,) = [e for e in entries if f"<kept-{n}@example.org>".encode() in e.data]
        assert entry.envelope == envelope
        assert entry.data == _message(n).replace(b"\n>From", b"\n>>From")  # mboxrd quoting
    # Messages stored without an envelope line get one made from their From: address.
    made = [e.envelope for e in entries if b"<kept-" not in e.data]
    assert made
    assert all(e.startswith(b"From s") for e in made)
    box = mailbox.mbox(bag / layout.mbox_path("eu-ie", "acct-0001"), create=False)
    kept = {m["Message-ID"]: m.get_from() for m in box}
    assert kept["<kept-2@example.org>"] == ENVELOPES[2].decode()[len("From ") :]
    # The index carries each line too, and reading the package gives the records back with it.
    envelopes = {row.record_id: row.envelope for row in read_index(bag)}
    back = {r.body: r.envelope for _, r in read_records(bag)}
    for n, envelope in enumerate(ENVELOPES):
        assert back[_message(n)] == envelope
    assert sorted(e for e in envelopes.values() if e) == sorted(e.decode() for e in ENVELOPES)


def test_a_package_without_the_mbox_still_carries_the_envelope_lines(tmp_path: Path) -> None:
    pw = build(tmp_path / "dep")
    source = _mbox(tmp_path / "in.mbox")
    ingest(
        pw.comity.uow,
        pw.comity.region_store,
        "acct-0001",
        lambda: mbox_records(source, "acct-0001", pw.clock.now()),
        kind="mbox",
        source=source.name,
        actor="test",
        clock=pw.clock,
    )
    demand_id = submit(pw)
    approve(pw, demand_id)
    production = pw.comity.productions.produce(pw.admin, demand_id)
    assert production.path is not None
    bag = extract_canonical(Path(production.path), tmp_path / "x")
    assert not (bag / layout.mbox_path("eu-ie", "acct-0001")).exists()
    lines = sorted(row.envelope for row in read_index(bag) if row.envelope)
    assert lines == sorted(e.decode() for e in ENVELOPES)
