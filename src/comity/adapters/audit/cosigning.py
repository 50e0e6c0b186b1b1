"""Ed25519 cosignatures (c2sp.org/tlog-cosignature v1): making them as a witness, checking them.

A witness's key file holds ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x04 || seed)>``, the
sumdb/note private key layout with the cosignature type byte, created 0600 like the log's key. Its
public half (``comity witness key``) is what logs put in their ``[[log.witnesses]]``.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from comity.adapters.secret_files import read_secret, write_secret
from comity.domain.note import NoteSignature
from comity.domain.witness import COSIGNATURE_V1, CosignerKey, WitnessError, cosigned_message
from comity.errors import ConfigurationError

_PRIVATE_PREFIX = "PRIVATE+KEY+"


class Cosigner:
    """A witness's signing key."""

    def __init__(self, name: str, private: Ed25519PrivateKey) -> None:
        self._private = private
        public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key = CosignerKey.of(name, public)

    @property
    def name(self) -> str:
        return self.key.name

    def cosign(self, checkpoint_text: str, timestamp: int) -> NoteSignature:
        """The cosignature line's content for ``checkpoint_text`` at POSIX time ``timestamp``."""
        signature = self._private.sign(cosigned_message(checkpoint_text, timestamp))
        return NoteSignature(self.name, self.key.hash, timestamp.to_bytes(8, "big") + signature)

    def private_key_text(self) -> str:
        blob = base64.b64encode(bytes([COSIGNATURE_V1]) + self._private.private_bytes_raw())
        return f"{_PRIVATE_PREFIX}{self.name}+{self.key.hash.hex()}+{blob.decode()}\n"

    @staticmethod
    def parse(text: str, where: str) -> Cosigner:
        text = text.strip()
        parts = (
            text[len(_PRIVATE_PREFIX) :].split("+", 2) if text.startswith(_PRIVATE_PREFIX) else []
        )
        if len(parts) != 3:
            raise ConfigurationError(f"{where}: not a 'PRIVATE+KEY+<name>+<id>+<key>' line")
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except binascii.Error:
            raise ConfigurationError(f"{where}: the key is not valid base64") from None
        if len(blob) != 33 or blob[0] != COSIGNATURE_V1:
            raise ConfigurationError(f"{where}: not an Ed25519 cosignature key")
        cosigner = Cosigner(parts[0], Ed25519PrivateKey.from_private_bytes(blob[1:]))
        if cosigner.key.hash.hex() != parts[1].lower():
            raise ConfigurationError(f"{where}: the key id does not match the key")
        return cosigner


def load_or_create_cosigner(path: Path, name: str) -> Cosigner:
    """The witness key at ``path``; made (mode 0600) on first use with the name ``name``."""
    if not path.exists():
        cosigner = Cosigner(name, Ed25519PrivateKey.generate())
        write_secret(path, cosigner.private_key_text().encode("ascii"))
        return cosigner
    text = read_secret(path, "the witness signing key").decode("ascii", errors="replace")
    cosigner = Cosigner.parse(text, str(path))
    if cosigner.name != name:
        raise ConfigurationError(
            f"{path} is the key of witness {cosigner.name!r}, but witness.name is {name!r}"
        )
    return cosigner


def cosignature_time(signature: NoteSignature, checkpoint_text: str, key: CosignerKey) -> int:
    """The timestamp of a valid v1 cosignature by ``key`` on ``checkpoint_text``.

    Raises ``WitnessError`` if the line is not by ``key`` or does not verify: a cosignature is only
    as good as the exact checkpoint bytes it signed.
    """
    if signature.name != key.name or signature.hash != key.hash:
        raise WitnessError(f"the signature is not by witness {key.name}")
    if len(signature.signature) != 8 + 64:
        raise WitnessError(f"the cosignature by {key.name} is not a timestamp and a signature")
    timestamp = int.from_bytes(signature.signature[:8], "big")
    try:
        message = cosigned_message(checkpoint_text, timestamp)
        Ed25519PublicKey.from_public_bytes(key.public).verify(signature.signature[8:], message)
    except (InvalidSignature, WitnessError):
        raise WitnessError(f"the cosignature by {key.name} does not verify") from None
    return timestamp
