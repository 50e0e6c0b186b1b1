"""The production package: round trip, determinism, BagIt validity, mail clients, refusals."""

from __future__ import annotations

import dataclasses
import hashlib
import mailbox
import os
import re
import shutil
import subprocess
import sys
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bagit
import pexpect
import pytest
from tests import packaging
from tests.packaging import (
    CONTROL_PLANE_KEY,
    PROVIDER_KEY,
    authorization,
    grant,
    message,
    produce,
    reseal,
    sample_authorization,
    sample_records,
)

from comity.adapters.package import layout
from comity.adapters.package.archive import extract_canonical, order_key
from comity.adapters.package.reader import read_records
from comity.adapters.package.verify import verify_package
from comity.adapters.package.writer import produce_package, staging_dir
from comity.domain.categories import Category
from comity.entrypoints.cli.main import main
from comity.errors import Conflict, Forbidden, IntegrityError


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return produce(tmp_path / "out" / "package.tar", sample_records())


def unpack(package: Path, into: Path) -> Path:
    return extract_canonical(package, into)


def test_round_trip_holds_exactly_the_records_given_byte_for_byte(
    package: Path, tmp_path: Path
) -> None:
    result = verify_package(package, keys=[PROVIDER_KEY.public])
    assert result.record_count == 7
    assert result.key_given
    bag = unpack(package, tmp_path / "x")
    given = [(region, r) for region, records in sample_records() for r in records]
    assert list(read_records(bag)) == given
    eml = bag / layout.eml_path("eu-ie", "acct-0001", 1, "msg-acct-0001-0")
    assert eml.read_bytes() == given[0][1].body
    assert not staging_dir(package).exists()


def test_the_same_inputs_give_the_same_bytes(package: Path, tmp_path: Path) -> None:
    again = produce(tmp_path / "again.tar", sample_records())
    assert again.read_bytes() == package.read_bytes()


def test_the_archive_is_canonical_tar(package: Path) -> None:
    with tarfile.open(package) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names, key=order_key)
    assert names.index(f"{names[0]}/data/eu-ie/acct-0001/content.mbox") > names.index(
        f"{names[0]}/data/eu-ie/acct-0001/content/00000003-msg-acct-0001-2.eml"
    )
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
    assert {m.mtime for m in members} == {int(datetime(2026, 11, 23, 12, tzinfo=UTC).timestamp())}


def test_the_bag_is_valid_for_the_library_of_congress_validator(
    package: Path, tmp_path: Path
) -> None:
    bag = bagit.Bag(str(unpack(package, tmp_path / "x")))
    bag.validate()
    assert bag.info["External-Identifier"] == "2013-MAG-2814"
    assert bag.info["Comity-Demand-Period"] == "2013-01-01 to 2013-12-31"
    assert "Southern District of New York" in bag.info["Comity-Demand-Authority"]
    assert set(bag.algorithms) == {"sha256", "sha512"}


def test_the_certificate_certifies_the_manifest_hashes_as_text_and_pdf(
    package: Path, tmp_path: Path
) -> None:
    bag = unpack(package, tmp_path / "x")
    text = (bag / layout.CERTIFICATE_TXT).read_text()
    manifest_sha = hashlib.sha256((bag / "manifest-sha256.txt").read_bytes()).hexdigest()
    assert manifest_sha in text
    assert "902(11)" in text
    assert "902(14)" in text
    assert "Ada Lovelace" in text
    pdf = (bag / layout.CERTIFICATE_PDF).read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert b"/CreationDate (D:20261123120000Z" in pdf
    if shutil.which("pdftotext"):
        out = subprocess.run(
            ["pdftotext", "-layout", str(bag / layout.CERTIFICATE_PDF), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert manifest_sha in out


def test_python_mailbox_reads_every_message_of_the_mbox(package: Path, tmp_path: Path) -> None:
    bag = unpack(package, tmp_path / "x")
    box = mailbox.mbox(str(bag / layout.mbox_path("eu-ie", "acct-0001")), create=False)
    messages = list(box)
    assert [m["Message-ID"] for m in messages] == [f"<{i}.acct-0001@example.org>" for i in range(3)]
    originals = [r.body for _, r in read_records(bag) if r.category is Category.CONTENT]
    for stored, original in zip(box.itervalues(), originals, strict=True):
        # mboxrd: strip one '>' from quoted From lines to get the original message back.
        raw = box.get_bytes(box.keys()[originals.index(original)])
        unquoted = re.sub(rb"(?m)^>(>*From )", rb"\1", raw)
        assert unquoted == original
        assert stored.get_from().startswith("sender")


@pytest.mark.skipif(
    shutil.which("mutt") is None,
    reason="mutt is not installed (Debian: apt-get install mutt); the mbox is still read by "
    "Python's mailbox in the test above",
)
def test_mutt_opens_the_mbox_and_sees_every_message(package: Path, tmp_path: Path) -> None:
    """mutt, on a real terminal (pexpect gives it a pseudo-terminal of a fixed size), opens the
    package's mbox read-only; a person's keys tag every message (``T~A``) and copy the tagged
    ones out (``;C``): each message must arrive.

    Each key is sent once mutt has shown the screen that takes it, and every wait is bounded, so
    the test neither races mutt's start-up nor hangs when mutt does not exit."""
    bag = unpack(package, tmp_path / "x")
    copy = tmp_path / "copied.mbox"
    home = tmp_path / "home"
    (home / "Mail").mkdir(parents=True)  # mutt's default folder, so it asks nothing at start-up
    mutt = pexpect.spawn(
        "mutt",
        [
            *("-n", "-F", "/dev/null", "-R", "-e", "set confirmcreate=no confirmappend=no"),
            *("-f", str(bag / layout.mbox_path("eu-ie", "acct-0001"))),
        ],
        env={**os.environ, "TERM": "vt100", "HOME": str(home)},
        dimensions=(24, 80),
        timeout=20,
        encoding="utf-8",
        codec_errors="replace",
    )
    try:
        mutt.expect("message 2")  # the index shows the last of the three messages
        mutt.send("T")
        mutt.expect("Tag messages matching")
        mutt.send("~A\r")
        mutt.expect("matching messages")
        mutt.send(";C")
        mutt.expect("agged to mailbox")
        mutt.send(f"{copy}\rq")  # mutt reads keys in order: it quits once the copy is done
        mutt.expect(pexpect.EOF)
    finally:
        mutt.close(force=True)
    assert mutt.exitstatus == 0, mutt.before
    copied = mailbox.mbox(str(copy), create=False)
    assert sorted(m["Message-ID"] for m in copied) == sorted(
        f"<{i}.acct-0001@example.org>" for i in range(3)
    )


def test_the_writer_refuses_a_record_outside_the_authorization(tmp_path: Path) -> None:
    regions = sample_records()
    stray = message(9, "acct-0002", datetime(2013, 6, 1, tzinfo=UTC))
    regions[0] = ("eu-ie", [*regions[0][1], stray])
    with pytest.raises(Forbidden, match="record msg-acct-0002-9 may not be released"):
        produce(tmp_path / "p.tar", regions)
    assert not (tmp_path / "p.tar").exists()
    assert not staging_dir(tmp_path / "p.tar").exists()


def test_the_writer_refuses_an_authorization_that_does_not_verify(tmp_path: Path) -> None:
    forged = authorization([grant("eu-ie", ["acct-0001"], [Category.CONTENT])], key=PROVIDER_KEY)
    with pytest.raises(IntegrityError, match="not among the given keys"):
        produce(tmp_path / "p.tar", sample_records(), forged)


def test_a_package_is_never_overwritten(package: Path) -> None:
    with pytest.raises(Conflict, match="never overwritten"):
        produce(package, sample_records())


def test_verify_refuses_a_package_signed_by_another_key(package: Path) -> None:
    with pytest.raises(IntegrityError, match="not among the given keys"):
        verify_package(package, keys=[CONTROL_PLANE_KEY.public])


def test_verify_refuses_an_authorization_not_from_the_given_control_plane(package: Path) -> None:
    with pytest.raises(IntegrityError, match="authorization auth-0001 is signed by key"):
        verify_package(package, authorization_keys=[PROVIDER_KEY.public])


@pytest.mark.parametrize(
    ("narrow", "reason"),
    [
        (
            [
                grant("eu-ie", ["acct-0002"], [Category.CONTENT]),
                grant("us-west", ["acct-0001"], list(Category)),
            ],
            "account acct-0001 is not authorized in region eu-ie",
        ),
        (
            [
                grant("eu-ie", ["acct-0001"], [Category.TRAFFIC]),
                grant("us-west", ["acct-0001"], list(Category)),
            ],
            "category content is not authorized for region eu-ie",
        ),
        (
            [grant("us-west", ["acct-0001"], list(Category))],
            "region eu-ie is not authorized",
        ),
    ],
)
def test_verify_rejects_a_signed_package_whose_records_exceed_its_authorization(
    package: Path, tmp_path: Path, narrow: list[object], reason: str
) -> None:
    bag = unpack(package, tmp_path / "x")
    narrower = authorization(narrow)  # type: ignore[arg-type]
    (bag / layout.AUTHORIZATION).write_bytes(narrower.to_bytes())
    resealed = reseal(bag, tmp_path / "resealed.tar")
    with pytest.raises(IntegrityError, match=f"lies outside the authorization: {reason}"):
        verify_package(resealed, keys=[PROVIDER_KEY.public])


def test_verify_rejects_a_certificate_whose_hashes_are_not_the_files(
    package: Path, tmp_path: Path
) -> None:
    bag = unpack(package, tmp_path / "x")
    text = (bag / layout.CERTIFICATE_TXT).read_text()
    mbox_sha = hashlib.sha256((bag / layout.mbox_path("eu-ie", "acct-0001")).read_bytes())
    (bag / layout.CERTIFICATE_TXT).write_text(text.replace(mbox_sha.hexdigest(), "0" * 64))
    resealed = reseal(bag, tmp_path / "resealed.tar")
    with pytest.raises(
        IntegrityError, match="certifies a SHA-256 for data/eu-ie/acct-0001/content"
    ):
        verify_package(resealed, keys=[PROVIDER_KEY.public])


def test_verify_rejects_records_outside_the_authorized_period(
    package: Path, tmp_path: Path
) -> None:
    auth = sample_authorization().authorization
    shorter = [
        dataclasses.replace(
            g, period=dataclasses.replace(g.period, end=datetime(2013, 6, 1).date())
        )
        for g in auth.grants
        if g.period is not None
    ]
    bag = unpack(package, tmp_path / "x")
    (bag / layout.AUTHORIZATION).write_bytes(authorization(shorter).to_bytes())
    resealed = reseal(bag, tmp_path / "resealed.tar")
    with pytest.raises(IntegrityError, match="2013-06-02 is outside the authorized period"):
        verify_package(resealed)


def _comity(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the ``comity`` command line in-process (as its console script would) and capture it."""
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


def test_comity_verify_exits_0_for_a_valid_package_and_1_naming_the_problem(
    package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "provider.pub.pem"
    key.write_bytes(PROVIDER_KEY.public.pem())
    code, out, err = _comity(["verify", str(package), "--key", str(key)], capsys)
    assert code == 0, err
    assert "valid: package-auth-0001, 7 records for demand 2013-MAG-2814" in out
    data = bytearray(package.read_bytes())
    offset = data.find(b"Hello 1.")
    data[offset] ^= 0x01
    tampered = tmp_path / "tampered.tar"
    tampered.write_bytes(bytes(data))
    code, out, err = _comity(["verify", str(tampered), "--key", str(key)], capsys)
    assert code == 1
    missing = _comity(["verify", str(tmp_path / "nothing.tar")], capsys)
    assert missing[0] == 1
    assert "does not exist" in missing[2]
    assert err.strip() == (
        "error: payload file data/eu-ie/acct-0001/content/00000002-msg-acct-0001-1.eml does not "
        "match "
        "its SHA-256 in manifest-sha256.txt"
    )


def test_an_empty_production_is_still_a_valid_package(tmp_path: Path) -> None:
    out = produce(tmp_path / "empty.tar", [("eu-ie", [])])
    assert verify_package(out).record_count == 0


def test_an_expired_authorization_is_refused_at_production_time(tmp_path: Path) -> None:
    late = dataclasses.replace(
        packaging.request(sample_authorization()),
        produced_at=sample_authorization().authorization.expires_at + timedelta(seconds=1),
    )
    with pytest.raises(IntegrityError, match="expired at"):
        produce_package(
            tmp_path / "late.tar",
            late,
            sample_records(),
            signing_key=PROVIDER_KEY,
            control_plane_keys=[CONTROL_PLANE_KEY.public],
        )


def test_two_productions_of_one_package_never_run_at_once(tmp_path: Path) -> None:
    out = tmp_path / "p.tar"

    def records() -> object:
        yield from sample_records()[0][1]
        with pytest.raises(Conflict, match="another production of"):
            produce(out, sample_records())

    produce(out, [("eu-ie", records())])  # type: ignore[list-item]
    assert verify_package(out).record_count == 3
