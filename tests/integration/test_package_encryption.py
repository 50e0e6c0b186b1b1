"""A package encrypted to the requester's age key opens with the standard age tool and verifies."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pyrage
import pytest
from tests.packaging import produce, sample_records

from comity.adapters.package.encryption import encrypt_package
from comity.adapters.package.verify import verify_package
from comity.errors import InvalidInput


def test_the_requester_decrypts_the_package_and_it_verifies(tmp_path: Path) -> None:
    package = produce(tmp_path / "package.tar", sample_records())
    identity = pyrage.x25519.Identity.generate()
    sealed = encrypt_package(package, [str(identity.to_public())], tmp_path / "package.tar.age")
    data = sealed.read_bytes()
    assert data.startswith(b"age-encryption.org/v1\n")
    assert b"2013-MAG-2814" not in data
    opened = tmp_path / "opened.tar"
    opened.write_bytes(pyrage.decrypt(data, [identity]))
    assert opened.read_bytes() == package.read_bytes()
    assert verify_package(opened).record_count == 7


@pytest.mark.skipif(
    shutil.which("age") is None,
    reason="the age tool is not installed (Debian: apt-get install age)",
)
def test_the_standard_age_tool_opens_it(tmp_path: Path) -> None:
    package = produce(tmp_path / "package.tar", sample_records())
    identity = pyrage.x25519.Identity.generate()
    key = tmp_path / "key.txt"
    key.write_text(f"{identity}\n")
    sealed = encrypt_package(package, [str(identity.to_public())], tmp_path / "package.tar.age")
    opened = subprocess.run(
        ["age", "-d", "-i", str(key), str(sealed)], capture_output=True, check=True
    ).stdout
    assert opened == package.read_bytes()


def test_a_bad_recipient_is_named(tmp_path: Path) -> None:
    package = produce(tmp_path / "package.tar", sample_records())
    with pytest.raises(InvalidInput, match="is not an age public key"):
        encrypt_package(package, ["ssh-nonsense"], tmp_path / "x.age")
    assert not (tmp_path / "x.age").exists()
