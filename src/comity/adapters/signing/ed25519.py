"""Ed25519 keys: the control plane's (signs authorizations) and the provider's (signs packages).

Ed25519 (RFC 8032) signatures are deterministic, so the same package signed twice gives the same
bytes, which the deterministic archive needs. The private key is a PKCS#8 PEM file created with
mode 0600 (never readable by others, never rewritten once made); the public key is published beside
it as ``<name>.pub.pem``. A key is named by ``ed25519:`` and the first 16 hex digits of the SHA-256
of its raw 32 bytes, so a signature says which published key checks it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from comity.adapters.secret_files import read_secret, write_secret
from comity.errors import ConfigurationError, IntegrityError, InvalidInput


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKey:
    """A published Ed25519 public key."""

    key: Ed25519PublicKey

    @property
    def key_id(self) -> str:
        return key_id_of(self.key)

    @property
    def fingerprint(self) -> str:
        """The SHA-256 of the raw 32-byte key, in full hex; its first 16 digits are the key id's.

        Anyone computes it from the PEM with standard tools:
        ``openssl pkey -pubin -in KEY.pem -outform DER | tail -c 32 | sha256sum``.
        """
        raw = self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return hashlib.sha256(raw).hexdigest()

    def pem(self) -> bytes:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def verifies(self, data: bytes, signature: bytes) -> bool:
        try:
            self.key.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    @staticmethod
    def from_pem(data: bytes, *, source: str = "the public key") -> PublicKey:
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError:
            raise InvalidInput(f"{source} is not a PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise InvalidInput(f"{source} is not an Ed25519 public key")
        return PublicKey(key)

    @staticmethod
    def load(path: Path) -> PublicKey:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read public key {path}: {exc.strerror}") from None
        return PublicKey.from_pem(data, source=str(path))


@dataclass(frozen=True)
class SigningKey:
    """A private Ed25519 key loaded from its 0600 file."""

    key: Ed25519PrivateKey

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.key.public_key())

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data)

    @staticmethod
    def generate() -> SigningKey:
        return SigningKey(Ed25519PrivateKey.generate())

    @staticmethod
    def load(path: Path) -> SigningKey:
        data = read_secret(path, "signing key")
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except ValueError:
            raise ConfigurationError(f"signing key {path} is not a PEM private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigurationError(f"signing key {path} is not an Ed25519 key")
        return SigningKey(key)

    @staticmethod
    def load_or_create(path: Path) -> SigningKey:
        """The key at ``path``, creating it (mode 0600) and its ``.pub.pem`` if absent.

        Creation uses O_EXCL so two processes starting together never overwrite each other's key.
        """
        if path.exists():
            return SigningKey.load(path)
        key = SigningKey.generate()
        pem = key.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            write_secret(path, pem)
        except FileExistsError:
            return SigningKey.load(path)
        public_path(path).write_bytes(key.public.pem())
        return key


def public_path(private_path: Path) -> Path:
    """Where the public key of the private key at ``private_path`` is published."""
    return private_path.with_name(private_path.name.removesuffix(".pem") + ".pub.pem")


def verify_signature(
    keys: list[PublicKey], key_id: str, data: bytes, signature: bytes, *, what: str
) -> PublicKey:
    """The key among ``keys`` that verifies ``signature`` over ``data``, or ``IntegrityError``."""
    named = [k for k in keys if k.key_id == key_id]
    if not named:
        known = ", ".join(k.key_id for k in keys) or "none"
        raise IntegrityError(
            f"{what} is signed by key {key_id}, which is not among the given keys ({known})"
        )
    if not named[0].verifies(data, signature):
        raise IntegrityError(f"{what}'s signature does not verify with key {key_id}")
    return named[0]
