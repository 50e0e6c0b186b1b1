"""Encrypting a finished package to the requester's age public key (age-encryption.org/v1).

The requester opens it with the standard ``age`` tool (``age -d -i key.txt package.tar.age``) and
then runs ``comity verify`` on the archive inside. Encryption is not deterministic (a fresh
file key each time); the archive inside is, so its SHA-256 identifies the production either way.
The encrypted file is written under a temporary name and renamed, like the package itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyrage

from comity.errors import Conflict, InvalidInput


def parse_recipient(text: str) -> pyrage.x25519.Recipient:
    """An age X25519 recipient (``age1...``), or ``InvalidInput`` saying what was expected."""
    try:
        return pyrage.x25519.Recipient.from_str(text.strip())
    except Exception:  # pyrage raises its own RecipientError or ValueError by version
        raise InvalidInput(
            f"{text.strip()[:20]!r} is not an age public key (expected age1... as printed by "
            "age-keygen)"
        ) from None


def encrypt_package(package: Path, recipients: list[str], out: Path, mode: int = 0o600) -> Path:
    """Encrypt ``package`` to every recipient into ``out`` (file mode ``mode``), return ``out``."""
    if not recipients:
        raise InvalidInput("encrypting a package needs at least one age recipient")
    if out.exists():
        raise Conflict(f"{out} already exists; an encrypted package is never overwritten")
    parsed = [parse_recipient(r) for r in recipients]
    tmp = out.with_name(f".{out.name}.incomplete")
    tmp.unlink(missing_ok=True)
    pyrage.encrypt_file(str(package), str(tmp), parsed)
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fchmod(fd, mode)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, out)
    return out
