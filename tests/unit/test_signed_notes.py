"""C2SP signed notes and checkpoints, checked against Go's sumdb/note and sum.golang.org."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from comity.adapters.audit.signing import (
    NoteSigner,
    create_key_file,
    load_key_file,
    open_checkpoint,
    open_note,
)
from comity.domain.merkle import EMPTY_ROOT
from comity.domain.note import Checkpoint, NoteError, VerifierKey, parse_note
from comity.errors import ConfigurationError, IntegrityError

DATA = Path(__file__).parents[1] / "data" / "sumdb"
SUMDB_KEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"

# golang.org/x/mod/sumdb/note's documented example (note.go package comment and note_test.go).
GO_PRIVATE = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_PUBLIC = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZ"
    "SNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def _accepts(data: bytes, key: VerifierKey) -> bool:
    try:
        open_checkpoint(data.decode("utf-8"), key)
    except (UnicodeDecodeError, IntegrityError):
        return False
    return True


@pytest.mark.parametrize("name", ["blankhost-3784599.note", "uuid-445646.note"])
def test_a_real_sum_golang_org_checkpoint_verifies_and_any_changed_byte_is_rejected(
    name: str,
) -> None:
    key = VerifierKey.parse(SUMDB_KEY)
    data = (DATA / name).read_bytes()
    checkpoint = open_checkpoint(data.decode(), key)
    assert checkpoint.origin == "go.sum database tree"
    assert checkpoint.size == int(name.split("-")[1].split(".", maxsplit=1)[0])
    assert len(checkpoint.root) == 32
    for i in range(len(data)):
        for delta in (1, 0x40):
            changed = data[:i] + bytes([data[i] ^ delta]) + data[i + 1 :]
            assert not _accepts(changed, key), f"accepted with byte {i} changed"


def test_the_sumdb_key_hash_is_computed_as_go_does() -> None:
    key = VerifierKey.parse(SUMDB_KEY)
    assert key.hash.hex() == "033de0ae"
    assert str(key) == SUMDB_KEY
    with pytest.raises(NoteError, match="hash does not match"):
        VerifierKey.parse(SUMDB_KEY.replace("033de0ae", "033de0af"))


def test_signing_reproduces_go_sumdb_note_byte_for_byte() -> None:
    signer = NoteSigner.parse(GO_PRIVATE)
    assert str(signer.verifier_key) == GO_PUBLIC
    assert signer.sign(GO_TEXT) == GO_NOTE
    assert signer.private_key_text().strip() == GO_PRIVATE
    assert open_note(GO_NOTE, VerifierKey.parse(GO_PUBLIC)) == GO_TEXT


def test_a_note_by_another_key_or_with_a_bad_signature_is_rejected() -> None:
    peter = VerifierKey.parse(GO_PUBLIC)
    other = NoteSigner.generate("PeterNeumann")
    with pytest.raises(IntegrityError, match="no signature by PeterNeumann"):
        open_note(other.sign(GO_TEXT), peter)
    forged = GO_NOTE.replace("answer", "Answer")
    with pytest.raises(IntegrityError, match="does not verify"):
        open_note(forged, peter)


def test_checkpoints_round_trip_in_the_c2sp_format() -> None:
    signer = NoteSigner.generate("example.com/log")
    cp = Checkpoint("example.com/log", 3, bytes(range(32)), ("ext line",))
    note = signer.sign_checkpoint(cp)
    lines = note.split("\n")
    assert lines[:4] == [
        "example.com/log",
        "3",
        base64.b64encode(bytes(range(32))).decode(),
        "ext line",
    ]
    assert lines[4] == ""
    assert lines[5].startswith("\u2014 example.com/log ")
    assert open_checkpoint(note, signer.verifier_key) == cp
    assert Checkpoint.parse(Checkpoint("o", 0, EMPTY_ROOT).text()).size == 0
    for bad in ["o\n01\n" + cp.text().split("\n")[2] + "\n", "o\n1\nnot base64!\n", "o\n1\n"]:
        with pytest.raises(NoteError):
            Checkpoint.parse(bad)
    with pytest.raises(NoteError):
        parse_note("no blank line\n")


def test_the_key_file_is_private_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "audit-log.key"
    made = create_key_file(path, "acme/comity-audit")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_key_file(path)
    assert loaded.verifier_key == made.verifier_key
    with pytest.raises(FileExistsError):
        create_key_file(path, "acme/comity-audit")
    os.chmod(path, 0o644)
    with pytest.raises(ConfigurationError, match="readable by others"):
        load_key_file(path)
