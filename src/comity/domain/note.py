"""C2SP signed notes and tlog checkpoints: the text formats, without the cryptography.

A signed note (c2sp.org/signed-note, as implemented by golang.org/x/mod/sumdb/note) is UTF-8
text ending in a newline, a blank line, then one line per signature:
``— <key name> <base64(key hash (4 bytes) || signature)>``. The key hash is the first four bytes
of ``SHA-256(name || "\\n" || 0x01 || Ed25519 public key)``; a verifier key is written
``<name>+<hex key hash>+<base64(0x01 || public key)>``. A checkpoint (c2sp.org/tlog-checkpoint)
is the note text: origin line, tree size in decimal, base64 root hash, optional extension lines.
Signing and checking signatures live in the adapters (they need a cryptography library).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

ED25519 = 1  # signature algorithm byte for Ed25519 (sumdb/note's algEd25519)
_DASH = "\u2014 "  # an em dash and a space start every signature line
_NAME = re.compile(r"^[^\s+]+$")
_MAX_SIGNATURES = 100


class NoteError(ValueError):
    """Text that is not a well-formed signed note, verifier key or checkpoint."""


def strict_b64decode(text: str) -> bytes:
    """Standard base64 that must be canonical: one encoding per byte string.

    Lenient decoders accept a last character whose unused bits are set, so two different texts
    would carry the same signature; refusing them makes every changed byte a rejected note.
    """
    data = base64.b64decode(text, validate=True)
    if base64.b64encode(data).decode() != text:
        raise binascii.Error("non-canonical base64")
    return data


def key_hash(name: str, key: bytes) -> bytes:
    """The 4-byte key hash of ``key`` (algorithm byte included) under ``name``."""
    return hashlib.sha256(name.encode() + b"\n" + key).digest()[:4]


def _check_name(name: str) -> None:
    if not name or not _NAME.match(name):
        raise NoteError(f"key name {name!r} must be non-empty, with no spaces or '+'")


@dataclass(frozen=True)
class VerifierKey:
    """A public key as sumdb/note writes it; ``key`` includes the leading algorithm byte."""

    name: str
    hash: bytes
    key: bytes

    @staticmethod
    def of(name: str, public: bytes) -> VerifierKey:
        _check_name(name)
        key = bytes([ED25519]) + public
        return VerifierKey(name, key_hash(name, key), key)

    @staticmethod
    def parse(text: str) -> VerifierKey:
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key has the form <name>+<hex key hash>+<base64 key>")
        name, hash_hex, key_b64 = parts[0], parts[1], parts[2]
        _check_name(name)
        try:
            want = bytes.fromhex(hash_hex)
            key = strict_b64decode(key_b64)
        except (ValueError, binascii.Error):
            raise NoteError("the verifier key's hash or key is not valid hex/base64") from None
        if len(want) != 4 or len(key) != 33 or key[0] != ED25519:
            raise NoteError("the verifier key is not a 4-byte hash and an Ed25519 key")
        if key_hash(name, key) != want:
            raise NoteError("the verifier key's hash does not match its name and key")
        return VerifierKey(name, want, key)

    @property
    def public(self) -> bytes:
        return self.key[1:]

    def __str__(self) -> str:
        return f"{self.name}+{self.hash.hex()}+{base64.b64encode(self.key).decode()}"


@dataclass(frozen=True)
class NoteSignature:
    name: str
    hash: bytes
    signature: bytes

    def line(self) -> str:
        return f"{_DASH}{self.name} {base64.b64encode(self.hash + self.signature).decode()}\n"


@dataclass(frozen=True)
class SignedNote:
    text: str
    signatures: tuple[NoteSignature, ...]

    def __str__(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)


def parse_note(message: str) -> SignedNote:
    """Split a signed note into its text and signature lines (sumdb/note's Open, no crypto)."""
    if "\r" in message:
        raise NoteError("a signed note must not contain carriage returns")
    split = message.rfind("\n\n")
    if split < 0 or not message.endswith("\n"):
        raise NoteError("a signed note is text, a blank line, then signature lines")
    text, sig_block = message[: split + 1], message[split + 2 :]
    signatures: list[NoteSignature] = []
    for line in sig_block.splitlines():
        if not line.startswith(_DASH):
            raise NoteError(f"signature line {line[:40]!r} does not start with an em dash")
        fields = line[len(_DASH) :].split(" ")
        if len(fields) != 2:
            raise NoteError("a signature line is '— <name> <base64 signature>'")
        name, blob_b64 = fields
        _check_name(name)
        try:
            blob = strict_b64decode(blob_b64)
        except binascii.Error:
            raise NoteError(f"signature by {name} is not valid base64") from None
        if len(blob) < 5:
            raise NoteError(f"signature by {name} is too short")
        signatures.append(NoteSignature(name, blob[:4], blob[4:]))
    if not signatures or len(signatures) > _MAX_SIGNATURES:
        raise NoteError("a signed note needs between 1 and 100 signatures")
    return SignedNote(text, tuple(signatures))


@dataclass(frozen=True)
class Checkpoint:
    """A tlog checkpoint: which log, how many entries, and the RFC 9162 root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @staticmethod
    def parse(text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise NoteError("a checkpoint is an origin line, a size line and a root hash line")
        origin, size_text, root_text, extensions = lines[0], lines[1], lines[2], lines[3:-1]
        if not origin:
            raise NoteError("the checkpoint's origin line is empty")
        if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
            raise NoteError(f"the checkpoint's size line {size_text!r} is not a decimal number")
        try:
            root = strict_b64decode(root_text)
        except binascii.Error:
            raise NoteError("the checkpoint's root hash line is not base64") from None
        if len(root) != 32:
            raise NoteError("the checkpoint's root hash is not 32 bytes")
        if any(not line for line in extensions):
            raise NoteError("the checkpoint has an empty extension line")
        return Checkpoint(origin, int(size_text), root, tuple(extensions))
