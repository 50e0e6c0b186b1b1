"""Ed25519 signing and checking of C2SP signed notes, and the log's key file.

The key file holds one line in golang.org/x/mod/sumdb/note's private key format,
``PRIVATE+KEY+<name>+<hex key hash>+<base64(0x01 || seed)>``, so the same file works with Go's
``note.NewSigner``. It is created with mode 0600 and never leaves the deployment; the verifier key
(``<name>+<hash>+<base64 key>``) is what the operator publishes for auditors and witnesses.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from comity.adapters.secret_files import read_secret, write_secret
from comity.domain.note import (
    ED25519,
    Checkpoint,
    NoteError,
    NoteSignature,
    SignedNote,
    VerifierKey,
    key_hash,
    parse_note,
)
from comity.errors import ConfigurationError, IntegrityError

_PRIVATE_PREFIX = "PRIVATE+KEY+"


class NoteSigner:
    """Signs note text with the log's Ed25519 key."""

    def __init__(self, name: str, private: Ed25519PrivateKey) -> None:
        self._private = private
        public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.verifier_key = VerifierKey.of(name, public)

    @property
    def name(self) -> str:
        return self.verifier_key.name

    def sign(self, text: str) -> str:
        signature = self._private.sign(text.encode())
        sig = NoteSignature(self.name, self.verifier_key.hash, signature)
        return str(SignedNote(text, (sig,)))

    def sign_checkpoint(self, checkpoint: Checkpoint) -> str:
        return self.sign(checkpoint.text())

    def private_key_text(self) -> str:
        seed = self._private.private_bytes_raw()
        blob = base64.b64encode(bytes([ED25519]) + seed).decode()
        return f"{_PRIVATE_PREFIX}{self.name}+{self.verifier_key.hash.hex()}+{blob}\n"

    @staticmethod
    def generate(name: str) -> NoteSigner:
        return NoteSigner(name, Ed25519PrivateKey.generate())

    @staticmethod
    def parse(text: str, where: str = "the key file") -> NoteSigner:
        text = text.strip()
        parts = (
            text[len(_PRIVATE_PREFIX) :].split("+", 2) if text.startswith(_PRIVATE_PREFIX) else []
        )
        if len(parts) != 3:
            raise ConfigurationError(f"{where}: not a 'PRIVATE+KEY+<name>+<hash>+<key>' line")
        name, hash_hex, blob_b64 = parts
        try:
            blob = base64.b64decode(blob_b64, validate=True)
        except binascii.Error:
            raise ConfigurationError(f"{where}: the key is not valid base64") from None
        if len(blob) != 33 or blob[0] != ED25519:
            raise ConfigurationError(f"{where}: not an Ed25519 private key")
        signer = NoteSigner(name, Ed25519PrivateKey.from_private_bytes(blob[1:]))
        if signer.verifier_key.hash.hex() != hash_hex.lower():
            raise ConfigurationError(f"{where}: the key hash does not match the key")
        return signer


def create_key_file(path: Path, name: str) -> NoteSigner:
    """Write a new signing key to ``path`` with mode 0600 (refusing to overwrite one)."""
    signer = NoteSigner.generate(name)
    write_secret(path, signer.private_key_text().encode("ascii"))
    return signer


def load_key_file(path: Path) -> NoteSigner:
    text = read_secret(path, "the audit log signing key").decode("ascii", errors="replace")
    return NoteSigner.parse(text, str(path))


def open_note(message: str, key: VerifierKey) -> str:
    """The text of ``message`` if ``key`` signed it; raise ``IntegrityError`` otherwise.

    As sumdb/note's Open with one known verifier: signatures by other keys are ignored, but at
    least one must be by ``key`` and every signature by ``key`` must be valid.
    """
    try:
        note = parse_note(message)
    except NoteError as exc:
        raise IntegrityError(f"not a signed note: {exc}") from None
    mine = [s for s in note.signatures if s.name == key.name and s.hash == key.hash]
    if not mine:
        raise IntegrityError(f"the note carries no signature by {key.name}")
    public = Ed25519PublicKey.from_public_bytes(key.public)
    for sig in mine:
        try:
            public.verify(sig.signature, note.text.encode())
        except InvalidSignature:
            raise IntegrityError(f"the signature by {key.name} does not verify") from None
    return note.text


def open_checkpoint(message: str, key: VerifierKey) -> Checkpoint:
    """A checkpoint whose note ``key`` signed, or ``IntegrityError``."""
    text = open_note(message, key)
    try:
        return Checkpoint.parse(text)
    except NoteError as exc:
        raise IntegrityError(f"signed, but not a checkpoint: {exc}") from None


__all__ = [
    "NoteSigner",
    "create_key_file",
    "key_hash",
    "load_key_file",
    "open_checkpoint",
    "open_note",
]
