"""Ingest: records land in the regions the account's placement names, exactly and only once."""

from __future__ import annotations

import functools
import json
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.conftest import FixedClock

from comity.adapters.controlplane.tables import AuditEntryRow
from comity.adapters.controlplane.unit_of_work import SqlUnitOfWork
from comity.adapters.mail.sources import (
    eml_records,
    identification_records,
    maildir_records,
    mbox_records,
    subscriber_records,
)
from comity.bootstrap import Comity, open_deployment
from comity.domain.accounts import Account, Selector
from comity.domain.categories import Category
from comity.entrypoints.cli.main import main
from comity.errors import InvalidInput, NotFound
from comity.services.accounts import create_account
from comity.services.custody.ingest import IngestReport, ingest

TWO_REGIONS = """\
[provider]
name = "Example Mail Inc."
established_in = "US"
offers_services_in = ["US", "IE"]

[regions.us-west]
country = "US"
store = "sqlite:///regions/us-west.db"

[regions.eu-ie]
country = "IE"
store = "sqlite:///regions/eu-ie.db"
"""


@pytest.fixture
def comity(tmp_path: Path, clock: FixedClock) -> Comity:
    (tmp_path / "comity.toml").write_text(TWO_REGIONS)
    c = open_deployment(tmp_path, clock)
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


@functools.cache
def _message(n: int, *, subject: str = "Hello") -> bytes:
    """A multipart message; cached because its MIME boundary is random."""
    msg = EmailMessage()
    msg["From"] = f"Sender {n} <sender{n}@example.com>"
    msg["To"] = "Target <target@msn.example>"
    msg["Cc"] = "=?utf-8?q?Ren=C3=A9e?= <renee@example.ie>"
    msg["Subject"] = f"{subject} {n} – ünïcödé"
    msg["Date"] = f"Wed, 0{1 + n % 9} Dec 2013 09:00:00 +0100"
    msg["Message-ID"] = f"<m{n}@example.com>"
    msg.set_content(f"Body {n}\nFrom here on, a line that an mbox writer must quote.\n")
    msg.add_attachment(bytes(range(256)) * 4, maintype="application", subtype="octet-stream")
    return bytes(msg)


def _write_mbox(path: Path, messages: list[bytes]) -> Path:
    with path.open("wb") as out:
        for m in messages:
            out.write(b"From sender@example.com Wed Dec  4 09:00:00 2013\n" + m + b"\n")
    return path


def _ingest_mbox(comity: Comity, path: Path, account: str = "msn-1") -> IngestReport:
    return ingest(
        comity.uow,
        comity.region_store,
        account,
        lambda: mbox_records(path, account, comity.clock.now()),
        kind="mbox",
        source=path.name,
        actor="test",
        clock=comity.clock,
    )


def _actions(comity: Comity) -> list[str]:
    with comity.uow() as uow:
        return list(uow.session.scalars(select(AuditEntryRow.action).order_by(AuditEntryRow.idx)))


def test_mbox_content_goes_to_the_content_region_and_traffic_to_its_own(
    comity: Comity, tmp_path: Path
) -> None:
    messages = [_message(n) for n in range(5)]
    report = _ingest_mbox(comity, _write_mbox(tmp_path / "in.mbox", messages))
    assert report.total == {"content": 5, "traffic": 5}
    assert report.new == {"content": 5, "traffic": 5}
    assert report.regions == {"content": "eu-ie", "traffic": "us-west"}
    ie, us = comity.region_store("eu-ie"), comity.region_store("us-west")
    assert sorted(r.body for r in ie.read("msn-1")) == sorted(messages)
    assert list(us.read("msn-1", [Category.CONTENT])) == []
    traffic = [r.fields() for r in us.read("msn-1", [Category.TRAFFIC])]
    first = min(traffic, key=lambda f: f["message_id"])
    assert first["from"] == ["sender0@example.com"]
    assert first["to"] == ["target@msn.example"]
    assert first["cc"] == ["renee@example.ie"]
    assert first["date"] == "2013-12-01T09:00:00+01:00"
    assert first["message_id"] == "<m0@example.com>"
    assert first["size"] == len(messages[0])
    assert _actions(comity)[-1] == "custody:ingested"


def test_re_ingesting_the_same_mailbox_adds_nothing(comity: Comity, tmp_path: Path) -> None:
    path = _write_mbox(tmp_path / "in.mbox", [_message(n) for n in range(3)])
    _ingest_mbox(comity, path)
    again = _ingest_mbox(comity, path)
    assert again.total == {"content": 3, "traffic": 3}
    assert again.new == {"content": 0, "traffic": 0}
    assert comity.region_store("eu-ie").store.count("msn-1") == 3
    assert _actions(comity).count("custody:ingested") == 2


def test_a_malformed_message_is_kept_byte_for_byte_with_a_warning(
    comity: Comity, tmp_path: Path
) -> None:
    broken = b"this is not a header\nDate: someday\n\xff\xfe binary \x00 junk\n"
    path = _write_mbox(tmp_path / "in.mbox", [_message(1), broken, _message(2)])
    report = _ingest_mbox(comity, path)
    assert report.total["content"] == 3
    kept = [r for r in comity.region_store("eu-ie").read("msn-1") if r.body == broken]
    assert len(kept) == 1
    assert kept[0].warning is not None
    assert "not 'Name: value'" in kept[0].warning
    assert "not an RFC 5322 date" in kept[0].warning
    assert "mbox 'From ' line" in kept[0].warning
    assert len(report.warnings) == 1


def test_a_file_that_is_not_a_mailbox_is_refused_and_nothing_is_written(
    comity: Comity, tmp_path: Path
) -> None:
    path = tmp_path / "photo.mbox"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(1000))
    before = _actions(comity)
    with pytest.raises(InvalidInput, match="is not an mbox mailbox"):
        _ingest_mbox(comity, path)
    assert comity.region_store("eu-ie").store.count("msn-1") == 0
    # The attempt is on the record, and so is its failure; no data entry is.
    assert _actions(comity) == [*before, "custody:ingest_started", "custody:ingest_failed"]


def test_a_crash_after_the_regions_commit_leaves_a_start_without_an_end_on_the_log(
    comity: Comity, tmp_path: Path
) -> None:
    path = _write_mbox(tmp_path / "in.mbox", [_message(n) for n in range(3)])

    class Crash(BaseException):
        """Stands for the process dying: not an error the service may handle."""

    def crashing_uow() -> SqlUnitOfWork:
        uow = comity.uow()
        real_commit = uow.commit

        def commit() -> None:
            pending = uow.session.scalars(select(AuditEntryRow.action)).all()
            if "custody:ingested" in pending:
                raise Crash
            real_commit()

        uow.commit = commit  # type: ignore[method-assign]
        return uow

    with pytest.raises(Crash):
        ingest(
            crashing_uow,
            comity.region_store,
            "msn-1",
            lambda: mbox_records(path, "msn-1", comity.clock.now()),
            kind="mbox",
            source=str(path),
            actor="test",
            clock=comity.clock,
        )
    # The data is in the region, and the log says an ingest began and never said it ended.
    assert comity.region_store("eu-ie").store.count("msn-1") == 3
    assert _actions(comity)[-1] == "custody:ingest_started"
    again = _ingest_mbox(comity, path)
    assert again.new == {"content": 0, "traffic": 0}
    assert _actions(comity)[-2:] == ["custody:ingest_started", "custody:ingested"]


def test_an_unknown_account_is_refused(comity: Comity, tmp_path: Path) -> None:
    path = _write_mbox(tmp_path / "in.mbox", [_message(1)])
    with pytest.raises(NotFound, match="no account with id 'ghost'"):
        _ingest_mbox(comity, path, account="ghost")


def _run(comity: Comity, kind: str, records: object) -> IngestReport:
    return ingest(
        comity.uow,
        comity.region_store,
        "msn-1",
        records,  # type: ignore[arg-type]
        kind=kind,
        source=kind,
        actor="test",
        clock=comity.clock,
    )


def test_a_single_eml_and_a_maildir_are_ingested(comity: Comity, tmp_path: Path) -> None:
    eml = tmp_path / "one.eml"
    eml.write_bytes(_message(7))
    assert _run(comity, "eml", lambda: eml_records(eml, "msn-1")).new == {
        "content": 1,
        "traffic": 1,
    }
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "cur" / "1.host:2,S").write_bytes(_message(8))
    (maildir / "new" / "2.host").write_bytes(_message(9))
    report = _run(comity, "maildir", lambda: maildir_records(maildir, "msn-1"))
    assert report.new == {"content": 2, "traffic": 2}
    bodies = {r.body for r in comity.region_store("eu-ie").read("msn-1")}
    assert bodies == {_message(7), _message(8), _message(9)}


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", "is empty"),
        (b"%PDF-1.7\n...", "is not an e-mail message"),
        (b"From a@b Wed Dec  4 09:00:00 2013\nSubject: x\n\n", "use 'comity ingest mbox'"),
    ],
)
def test_an_eml_that_is_not_a_message_is_refused(
    comity: Comity, tmp_path: Path, content: bytes, error: str
) -> None:
    path = tmp_path / "x.eml"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=error):
        _run(comity, "eml", lambda: eml_records(path, "msn-1"))


def test_a_folder_that_is_not_a_maildir_is_refused(comity: Comity, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="is not a Maildir: it has no cur or new/ folder"):
        _run(comity, "maildir", lambda: maildir_records(tmp_path, "msn-1"))


def test_subscriber_and_identification_records_go_to_their_regions(
    comity: Comity, tmp_path: Path
) -> None:
    sub = tmp_path / "sub.json"
    sub.write_text(json.dumps({"name": "Target", "created_at": "2010-05-01T10:00:00Z"}))
    assert _run(comity, "subscriber", lambda: subscriber_records(sub, "msn-1")).regions == {
        "subscriber": "us-west"
    }
    ids = tmp_path / "logins.csv"
    ids.write_text("ip,time,port,event\n203.0.113.7,2013-12-01T08:00:00+00:00,443,login\n")
    report = _run(comity, "identification", lambda: identification_records(ids, "msn-1"))
    assert report.regions == {"identification": "eu-ie"}
    [login] = list(comity.region_store("eu-ie").read("msn-1", [Category.IDENTIFICATION]))
    assert login.fields() == {
        "ip": "203.0.113.7",
        "time": "2013-12-01T08:00:00+00:00",
        "port": 443,
        "event": "login",
    }
    [subscriber] = list(comity.region_store("us-west").read("msn-1", [Category.SUBSCRIBER]))
    assert subscriber.fields()["name"] == "Target"


def test_bad_csv_rows_are_each_named_and_nothing_is_written(comity: Comity, tmp_path: Path) -> None:
    ids = tmp_path / "logins.csv"
    ids.write_text(
        "ip,time\n"
        "203.0.113.7,2013-12-01T08:00:00+00:00\n"
        "999.1.1.1,2013-12-01T08:00:00+00:00\n"
        "203.0.113.8,yesterday\n"
    )
    with pytest.raises(InvalidInput) as info:
        _run(comity, "identification", lambda: identification_records(ids, "msn-1"))
    assert info.value.problems == [
        f"{ids}: line 3: ip '999.1.1.1' is not an IPv4 or IPv6 address",
        f"{ids}: line 4: time 'yesterday' must be an ISO 8601 date-time with a time zone",
    ]
    assert comity.region_store("eu-ie").store.count("msn-1") == 0


def test_bad_subscriber_json_is_refused(comity: Comity, tmp_path: Path) -> None:
    sub = tmp_path / "sub.json"
    sub.write_text('[{"name": "A", "created_at": "2010-05-01"}, 3]')
    with pytest.raises(InvalidInput) as info:
        _run(comity, "subscriber", lambda: subscriber_records(sub, "msn-1"))
    assert info.value.problems == [
        f"{sub}: item 0: created_at must be an ISO 8601 date-time with a time zone, got "
        "'2010-05-01'",
        f"{sub}: item 1 must be a JSON object of subscriber fields",
    ]
    sub.write_text("{not json")
    with pytest.raises(InvalidInput, match="not valid JSON at line 1, column 2"):
        _run(comity, "subscriber", lambda: subscriber_records(sub, "msn-1"))


def test_the_cli_ingests_and_reports_errors(
    comity: Comity,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _write_mbox(tmp_path / "in.mbox", [_message(1)])
    monkeypatch.setattr(
        sys,
        "argv",
        ["comity", "--dir", str(comity.home), "ingest", "mbox", str(path), "--account", "msn-1"],
    )
    main()
    assert "content: 1 record(s), 1 new, in eu-ie" in capsys.readouterr().out
    monkeypatch.setattr(
        sys,
        "argv",
        ["comity", "--dir", str(comity.home), "ingest", "maildir", str(path), "--account", "msn-1"],
    )
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    assert "is not a directory" in capsys.readouterr().err
