"""A region's store and keyring together: seal on the way in, open on the way out.

``RegionVault`` is what ``Comity.region_store`` hands out; nothing else in Comity holds both a
region's ciphertext and its key, so this is the one path to a region's plaintext.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

from comity.adapters.config.deployment_file import local_path
from comity.adapters.regions.envelope import open_sealed, rewrap, seal
from comity.adapters.regions.keyring_file import FileKeyring
from comity.adapters.regions.pkcs11_url import SCHEME as PKCS11_SCHEME
from comity.adapters.regions.pkcs11_url import parse_pkcs11_url
from comity.adapters.regions.postgres import PostgresRegionStore
from comity.adapters.regions.sql_store import SqlRegionStore
from comity.adapters.regions.sqlite import SqliteRegionStore
from comity.domain.categories import Category
from comity.domain.deployment import Region
from comity.domain.records import Record
from comity.errors import ConfigurationError
from comity.services.custody.ports import Keyring, SealedRecord


class RegionVault:
    def __init__(self, region_id: str, store: SqlRegionStore, keyring: Keyring) -> None:
        self.region_id = region_id
        self.store = store
        self.keyring = keyring

    def seal(self, record: Record) -> SealedRecord:
        return seal(self.region_id, self.keyring, record)

    def open(self, sealed: SealedRecord) -> Record:
        return open_sealed(self.region_id, self.keyring, sealed)

    def read(
        self,
        account_id: str,
        categories: Sequence[Category] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Iterator[Record]:
        for sealed in self.store.read(account_id, categories, start, end):
            yield self.open(sealed)

    def prepare(self) -> list[str]:
        """Create the store's tables and the first key if missing; say what was made."""
        made = []
        if self.store.ensure_schema():
            made.append("store")
        if self.keyring.ensure():
            made.append("key")
        return made

    def rotate_key(self, batch: int = 500) -> tuple[int, int]:
        """Add a KEK version and re-wrap every data key under it; return (version, re-wrapped).

        Content ciphertext is never touched. Resumable: re-running after a crash re-wraps only
        the records still under an older version.
        """
        version = self.keyring.rotate()
        return version, self.rewrap_all(batch)

    def rewrap_all(self, batch: int = 500) -> int:
        current = self.keyring.current_version()
        done = 0
        while stale := self.store.stale_keys(current, batch):
            updates = []
            for sealed in stale:
                new_version, wrapped = rewrap(self.region_id, self.keyring, sealed)
                updates.append((sealed.id, new_version, wrapped))
            self.store.set_wrapped_keys(updates)
            done += len(updates)
        return done


def open_vault(region: Region) -> RegionVault:
    """The vault for a configured region: store by URL scheme, keyring by URL scheme."""
    if region.store is None:
        raise ConfigurationError(f"region {region.id} has no store configured")
    path = local_path(region.store)
    store: SqlRegionStore
    if path is not None:
        store = SqliteRegionStore(region.id, path)
    elif region.store.startswith(("postgresql://", "postgresql+psycopg://")):
        store = PostgresRegionStore(region.id, region.store)
    else:
        raise ConfigurationError(f"region {region.id}: unsupported store URL {region.store!r}")
    return RegionVault(region.id, store, open_keyring(region.id, keyring_url(region)))


def keyring_url(region: Region) -> str:
    """The region's ``keyring`` URL, or its default key file ``keys/<region>.key``."""
    return region.keyring or f"file:keys/{region.id}.key"


def open_keyring(region_id: str, url: str) -> Keyring:
    """The keyring a ``keyring`` URL names: ``file:PATH`` or ``pkcs11:module=...;token=...;
    pin-file=...`` (an HSM; its library is imported only for regions that use one)."""
    key_path = local_path(url)
    if key_path is not None:
        return FileKeyring(region_id, Path(key_path))
    if url.startswith(PKCS11_SCHEME):
        from comity.adapters.regions.keyring_pkcs11 import Pkcs11Keyring  # noqa: PLC0415

        try:
            settings = parse_pkcs11_url(url)
        except ValueError as exc:
            raise ConfigurationError(f"region {region_id}: keyring {exc}") from None
        return Pkcs11Keyring(region_id, settings)
    raise ConfigurationError(
        f"region {region_id}: keyring {url!r} is not supported; use file:PATH or "
        "pkcs11:module=PATH;token=LABEL;pin-file=PATH"
    )
