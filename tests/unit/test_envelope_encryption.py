"""Envelope encryption: what a region's key opens, and what it must refuse to open."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from comity.adapters.regions.envelope import open_sealed, seal
from comity.adapters.regions.keyring_file import FileKeyring
from comity.domain.categories import Category
from comity.domain.records import MEDIA_TYPE_MESSAGE, Record
from comity.errors import ConfigurationError, IntegrityError

RECORD = Record(
    "msg-1",
    "acct-1",
    Category.CONTENT,
    datetime(2013, 12, 4, tzinfo=UTC),
    b"From: a@example.com\r\n\r\nsecret\r\n",
    MEDIA_TYPE_MESSAGE,
)


@pytest.fixture
def ie(tmp_path: Path) -> FileKeyring:
    keyring = FileKeyring("eu-ie", tmp_path / "eu-ie.key")
    assert keyring.ensure() is True
    assert keyring.ensure() is False
    return keyring


def test_the_key_file_is_owner_only_and_names_its_region(ie: FileKeyring) -> None:
    assert (ie.path.stat().st_mode & 0o777) == 0o600
    assert b'"region": "eu-ie"' in ie.path.read_bytes()


def test_a_sealed_record_opens_in_its_own_region(ie: FileKeyring) -> None:
    assert open_sealed("eu-ie", ie, seal("eu-ie", ie, RECORD)) == RECORD


def test_each_record_gets_a_fresh_data_key(ie: FileKeyring) -> None:
    a, b = seal("eu-ie", ie, RECORD), seal("eu-ie", ie, RECORD)
    assert a.wrapped_key != b.wrapped_key
    assert a.ciphertext != b.ciphertext


def test_another_regions_key_cannot_decrypt(ie: FileKeyring, tmp_path: Path) -> None:
    us = FileKeyring("us-west", tmp_path / "us-west.key")
    us.ensure()
    sealed = seal("eu-ie", ie, RECORD)
    with pytest.raises(IntegrityError, match="sealed for another region, account or record"):
        open_sealed("us-west", us, sealed)


def test_the_same_key_under_another_region_name_cannot_decrypt(ie: FileKeyring) -> None:
    with pytest.raises(IntegrityError):
        open_sealed("eu-de", ie, seal("eu-ie", ie, RECORD))


def test_a_record_copied_to_another_account_cannot_decrypt(ie: FileKeyring) -> None:
    copied = dataclasses.replace(seal("eu-ie", ie, RECORD), account_id="acct-2")
    with pytest.raises(IntegrityError, match="another region, account or record"):
        open_sealed("eu-ie", ie, copied)


def test_a_record_given_another_id_or_category_cannot_decrypt(ie: FileKeyring) -> None:
    sealed = seal("eu-ie", ie, RECORD)
    for change in ({"id": "msg-2"}, {"category": Category.TRAFFIC}):
        with pytest.raises(IntegrityError):
            open_sealed("eu-ie", ie, dataclasses.replace(sealed, **change))  # type: ignore[arg-type]


def test_altered_ciphertext_is_detected(ie: FileKeyring) -> None:
    sealed = seal("eu-ie", ie, RECORD)
    flipped = bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]
    with pytest.raises(IntegrityError, match="altered"):
        open_sealed("eu-ie", ie, dataclasses.replace(sealed, ciphertext=flipped))


def test_rotation_keeps_old_versions_readable(ie: FileKeyring) -> None:
    old = seal("eu-ie", ie, RECORD)
    assert ie.rotate() == 2
    fresh = FileKeyring("eu-ie", ie.path)
    assert fresh.current_version() == 2
    assert open_sealed("eu-ie", fresh, old) == RECORD
    assert seal("eu-ie", fresh, RECORD).key_version == 2


def test_a_key_file_readable_by_others_is_refused(ie: FileKeyring) -> None:
    os.chmod(ie.path, 0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        FileKeyring("eu-ie", ie.path).current_version()


def test_another_regions_key_file_is_refused(ie: FileKeyring) -> None:
    with pytest.raises(ConfigurationError, match="belongs to region eu-ie, not us-west"):
        FileKeyring("us-west", ie.path).current_version()
