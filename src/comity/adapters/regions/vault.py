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
    keyring_url = region.keyring or f"file:keys/{region.id}.key"
    key_path = local_path(keyring_url)
    if key_path is None:
        raise ConfigurationError(
            f"region {region.id}: keyring {keyring_url!r} is not supported; only file: keyrings "
            "exist today (a KMS or PKCS#11 keyring plugs in behind the Keyring port)"
        )
    return RegionVault(region.id, store, FileKeyring(region.id, Path(key_path)))
