"""A region's key-encryption keys inside a PKCS#11 token (an HSM, SoftHSM in tests).

Each KEK version is an AES-256 secret key object on the token, labelled
``comity/<region>/kek/<version>``, created sensitive and non-extractable: the region key never
leaves the token. Data keys are wrapped and unwrapped by the token itself with AES-GCM
(``CKM_AES_GCM``), with the same associated data as the file keyring, so a wrapping stays bound
to its region, account and record; a wrapped key has the same form (12-byte nonce, ciphertext
and tag) as ``keyring_file``'s. Rotation generates a new key object; old versions stay for
unwrapping until ``rotate-key`` has re-wrapped every data key.

The labels name the region, so two regions may share one token without ever using each other's
keys, and a region pointed at a token holding none of its keys creates its own rather than
borrowing another's.

One session per keyring, opened on first use, logged in with the PIN read from an owner-only
file; a lock serialises the token's operations (a PKCS#11 session is not for concurrent use).
"""

from __future__ import annotations

import os
import threading
from typing import Any

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.exceptions import (
    NoSuchToken,
    PinIncorrect,
    PinLenRange,
    PinLocked,
    PKCS11Error,
    UserAlreadyLoggedIn,
)
from pkcs11.mechanisms import GCMParams

from comity.adapters.regions.pkcs11_url import Pkcs11Settings
from comity.adapters.secret_files import read_secret
from comity.errors import ConfigurationError, IntegrityError

NONCE_BYTES = 12
TAG_BITS = 128


class Pkcs11Keyring:
    """KEKs of ``region_id`` as non-extractable AES keys on a PKCS#11 token."""

    def __init__(self, region_id: str, settings: Pkcs11Settings) -> None:
        self.region_id = region_id
        self.settings = settings
        self._lock = threading.Lock()
        self._session: Any = None
        self._keys: dict[int, Any] = {}

    @property
    def custody(self) -> str:
        return f"pkcs11 token {self.settings.token} ({self.settings.module})"

    @property
    def _prefix(self) -> str:
        return f"comity/{self.region_id}/kek/"

    # -- the token -----------------------------------------------------------------------------

    def _open(self) -> Any:
        """The logged-in session; every failure to get one is one sentence naming its cause."""
        if self._session is not None:
            return self._session
        where = f"region {self.region_id}'s HSM token {self.settings.token!r}"
        pin = read_secret(self.settings.pin_file, f"the PIN of {where}").decode().strip()
        if not self.settings.module.exists():
            raise ConfigurationError(
                f"{where}: the PKCS#11 module {self.settings.module} does not exist"
            )
        try:
            library = pkcs11.lib(str(self.settings.module))
            token = library.get_token(token_label=self.settings.token)
        except NoSuchToken:
            raise ConfigurationError(
                f"{where} is not present in {self.settings.module}; initialise it (for SoftHSM: "
                f"softhsm2-util --init-token --free --label {self.settings.token}) or fix the "
                "label"
            ) from None
        except (PKCS11Error, RuntimeError, OSError) as exc:
            raise ConfigurationError(
                f"{where}: the PKCS#11 module {self.settings.module} failed to load or list its "
                f"tokens ({type(exc).__name__} {exc})"
            ) from None
        try:
            self._session = token.open(user_pin=pin, rw=True)
        except UserAlreadyLoggedIn:
            # Login is per process and token: another keyring here already logged in.
            self._session = token.open(rw=True)
        except (PinIncorrect, PinLenRange):
            raise ConfigurationError(
                f"{where} refused the PIN in {self.settings.pin_file} (PIN incorrect); no key "
                "was used and nothing was released"
            ) from None
        except PinLocked:
            raise ConfigurationError(
                f"{where} has locked its user PIN after too many wrong ones; the security "
                "officer must unlock it"
            ) from None
        except PKCS11Error as exc:
            raise ConfigurationError(
                f"{where} could not be opened ({type(exc).__name__} {exc})"
            ) from None
        return self._session

    def _load(self) -> dict[int, Any]:
        if self._keys:
            return self._keys
        session = self._open()
        keys: dict[int, Any] = {}
        for key in session.get_objects(
            {Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.KEY_TYPE: KeyType.AES}
        ):
            label = key.label or ""
            if label.startswith(self._prefix) and label[len(self._prefix) :].isdigit():
                keys[int(label[len(self._prefix) :])] = key
        self._keys = keys
        return keys

    def _generate(self, version: int) -> None:
        self._open().generate_key(
            KeyType.AES,
            256,
            label=f"{self._prefix}{version}",
            store=True,
            template={
                Attribute.EXTRACTABLE: False,
                Attribute.SENSITIVE: True,
                Attribute.ENCRYPT: True,
                Attribute.DECRYPT: True,
            },
        )
        self._keys = {}

    # -- the Keyring port ----------------------------------------------------------------------

    def ensure(self) -> bool:
        with self._lock:
            if self._load():
                return False
            self._generate(1)
            return True

    def current_version(self) -> int:
        with self._lock:
            keys = self._load()
        if not keys:
            raise ConfigurationError(
                f"region {self.region_id} has no key on HSM token {self.settings.token!r}; run "
                "'comity regions prepare' to create it"
            )
        return max(keys)

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[int, bytes]:
        version = self.current_version()
        nonce = os.urandom(NONCE_BYTES)
        with self._lock:
            kek = self._load()[version]
            wrapped = kek.encrypt(
                data_key,
                mechanism=Mechanism.AES_GCM,
                mechanism_param=GCMParams(nonce, aad, TAG_BITS),
            )
        return version, nonce + bytes(wrapped)

    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        with self._lock:
            kek = self._load().get(version)
            if kek is None:
                raise IntegrityError(
                    f"region {self.region_id} has no key version {version} on HSM token "
                    f"{self.settings.token!r}; the record was wrapped by another region's key "
                    "or the token was replaced"
                )
            try:
                return bytes(
                    kek.decrypt(
                        wrapped[NONCE_BYTES:],
                        mechanism=Mechanism.AES_GCM,
                        mechanism_param=GCMParams(wrapped[:NONCE_BYTES], aad, TAG_BITS),
                    )
                )
            except PKCS11Error:
                raise IntegrityError(
                    f"a data key failed to unwrap in region {self.region_id}'s HSM: the record "
                    "was sealed for another region, account or record id, or it was altered"
                ) from None

    def rotate(self) -> int:
        with self._lock:
            keys = self._load()
            new = max(keys, default=0) + 1
            self._generate(new)
        return new
