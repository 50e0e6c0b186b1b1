"""A region's key-encryption keys in one owner-only file (the default keyring).

The file names the region it belongs to, so a deployment file that points region B at region A's
key file is refused instead of silently decrypting A's data with B's configuration. Versions are
kept so that rotation can add a key and re-wrap data keys while old wrappings still open.

Data keys are wrapped with AES-256-GCM (not RFC 3394 key wrap) because GCM takes associated data:
the wrapping is bound to the region, account and record, like the content itself.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from comity.adapters.secret_files import read_secret, write_secret
from comity.errors import ConfigurationError, IntegrityError

FORMAT = "comity-keyring/1"
NONCE_BYTES = 12


class FileKeyring:
    """KEKs of ``region_id`` in ``path`` (JSON, mode 0600)."""

    def __init__(self, region_id: str, path: Path) -> None:
        self.region_id = region_id
        self.path = path
        self._keys: dict[int, AESGCM] | None = None
        self._current = 0

    @property
    def custody(self) -> str:
        return f"file {self.path}"

    # -- file handling -------------------------------------------------------------------------

    def ensure(self) -> bool:
        if self.path.exists():
            self._load()
            return False
        self._write({1: secrets.token_bytes(32)}, 1)
        return True

    def _load(self) -> dict[int, AESGCM]:
        if self._keys is not None:
            return self._keys
        data = read_secret(self.path, f"the key of region {self.region_id}")
        try:
            doc = json.loads(data)
            region, current = doc["region"], int(doc["current"])
            raw = {int(v): base64.b64decode(k, validate=True) for v, k in doc["keys"].items()}
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigurationError(
                f"key file {self.path} is not a Comity keyring: {exc}"
            ) from None
        if doc.get("format") != FORMAT:
            raise ConfigurationError(f"key file {self.path} is not in format {FORMAT}")
        if region != self.region_id:
            raise ConfigurationError(
                f"key file {self.path} belongs to region {region}, not {self.region_id}; each "
                "region must have its own key"
            )
        if current not in raw or any(len(k) != 32 for k in raw.values()):
            raise ConfigurationError(f"key file {self.path} has a missing or malformed key")
        self._keys = {v: AESGCM(k) for v, k in raw.items()}
        self._raw = raw
        self._current = current
        return self._keys

    def _write(self, raw: dict[int, bytes], current: int) -> None:
        doc: dict[str, Any] = {
            "format": FORMAT,
            "region": self.region_id,
            "current": current,
            "keys": {str(v): base64.b64encode(k).decode() for v, k in sorted(raw.items())},
        }
        # Rotation rewrites the file: write the new version beside it, then rename over it.
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.unlink(missing_ok=True)
        write_secret(tmp, json.dumps(doc, indent=1).encode())
        os.replace(tmp, self.path)
        self._keys = None
        self._load()

    # -- the Keyring port ----------------------------------------------------------------------

    def current_version(self) -> int:
        self._load()
        return self._current

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[int, bytes]:
        kek = self._load()[self._current]
        nonce = os.urandom(NONCE_BYTES)
        return self._current, nonce + kek.encrypt(nonce, data_key, aad)

    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        keys = self._load()
        kek = keys.get(version)
        if kek is None:
            raise IntegrityError(
                f"region {self.region_id} has no key version {version}; the record was wrapped "
                "by another region's key or the key file was replaced"
            )
        try:
            return kek.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
        except InvalidTag:
            raise IntegrityError(
                f"a data key failed to unwrap in region {self.region_id}: the record was sealed "
                "for another region, account or record id, or it was altered"
            ) from None

    def rotate(self) -> int:
        self._load()
        raw = dict(self._raw)
        new = max(raw) + 1
        raw[new] = secrets.token_bytes(32)
        self._write(raw, new)
        return new
