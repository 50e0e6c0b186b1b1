"""TOTP secrets sealed at rest with AES-256-GCM under a key file beside the other keys.

A TOTP secret is shared by nature (RFC 6238): whoever holds it can make codes. Passwords are
stored as Argon2id hashes and tokens as SHA-256, so a copy of the control-plane database
(a backup, a replica, a dump handed to support) must not hand out the second factor either. The
secret is encrypted with ``keys/console-totp.key`` (32 random bytes, 0600) and bound to its user
by the associated data, so a sealed value copied to another user's row does not open.

Stored form: ``v1:`` + base64(nonce || ciphertext || tag). Values without the prefix are
enrolments made before sealing; they are read as they are and sealed when next written.
"""

from __future__ import annotations

import base64
import contextlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from comity.adapters.secret_files import read_secret, write_secret
from comity.errors import ConfigurationError, IntegrityError

KEY_FILE = "console-totp.key"
_PREFIX = "v1:"


class TotpSealer:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ConfigurationError("the console TOTP key must be 32 bytes")
        self._aead = AESGCM(key)

    @classmethod
    def at(cls, keys_dir: Path) -> TotpSealer:
        """The deployment's sealer, creating its key on first use."""
        path = keys_dir / KEY_FILE
        if not path.exists():
            # Another process may create it first: then its key is the one read below.
            with contextlib.suppress(FileExistsError):
                write_secret(path, os.urandom(32))
        return cls(read_secret(path, "the console TOTP key"))

    @staticmethod
    def _aad(user_id: str) -> bytes:
        return b"comity-totp:" + user_id.encode("utf-8")

    def seal(self, user_id: str, secret: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, secret.encode("ascii"), self._aad(user_id))
        return _PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, user_id: str, stored: str) -> str:
        if not stored.startswith(_PREFIX):
            return stored  # enrolled before sealing
        raw = base64.b64decode(stored[len(_PREFIX) :])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], self._aad(user_id)).decode("ascii")
        except InvalidTag:
            raise IntegrityError(
                f"the TOTP secret stored for {user_id} does not open with this deployment's key"
            ) from None
