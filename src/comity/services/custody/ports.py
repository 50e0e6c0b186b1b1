"""Ports of regional custody: where a region keeps its encrypted records and its keys.

A region is the only holder of its data (architecture, principle 4). The control plane never sees
a ``SealedRecord``'s plaintext; it only asks a region, through these ports, to write, read, count
or delete. Backends are chosen by URL in ``bootstrap`` (SQLite file or PostgreSQL database for the
store; a key file today, a KMS or PKCS#11 token later for the keyring).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from comity.domain.categories import Category
from comity.domain.records import Record


@dataclass(frozen=True)
class SealedRecord:
    """A ``Record`` as stored: its body encrypted under a fresh data key wrapped by the region key.

    Only metadata a demand selects on (account, category, time) and what rotation needs (key
    version) is in clear. ``deleted_at`` leaves room for preservation holds (issue 6): a user's
    deletion will hide a held record instead of removing it.
    """

    id: str
    account_id: str
    category: Category
    occurred_at: datetime
    media_type: str
    size: int
    key_version: int
    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes
    warning: str | None = None
    deleted_at: datetime | None = None
    #: The record's mbox ``From `` line, sealed like the body: a fresh nonce, then the
    #: ciphertext under the same data key (``adapters.regions.envelope``); None without one.
    envelope: bytes | None = None


@dataclass(frozen=True)
class HoldMarker:
    """A preservation hold as the region enforces it: written into the region's own store
    (through the region, not the control plane) when a hold is placed, extended or released.

    While a marker covers an account's category, the store refuses to delete those records and a
    user's deletion only hides them (``deleted_at``), keeping the bytes.
    """

    hold_id: str
    case_id: str
    account_id: str
    categories: tuple[Category, ...]
    placed_at: datetime
    expires_at: datetime | None = None
    released_at: datetime | None = None

    def is_active(self, now: datetime) -> bool:
        if now < self.placed_at:
            return False
        if self.released_at is not None and now >= self.released_at:
            return False
        return self.expires_at is None or now < self.expires_at

    def covers(self, account_id: str, category: Category, now: datetime) -> bool:
        return self.account_id == account_id and category in self.categories and self.is_active(now)


class Keyring(Protocol):
    """A region's key-encryption keys (KEKs), by version. Plain keys never leave it except as
    data keys it unwraps for its own region."""

    region_id: str

    @property
    def custody(self) -> str:
        """Where the KEKs are kept, for operators (``comity regions list``): a file's path, an
        HSM's token; never key material."""
        ...

    def ensure(self) -> bool:
        """Create the first KEK if there is none; True if one was created."""
        ...

    def current_version(self) -> int: ...

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[int, bytes]:
        """Encrypt ``data_key`` under the current KEK, bound to ``aad``; return (version, blob)."""
        ...

    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        """The data key, or ``IntegrityError`` if the KEK or ``aad`` do not match."""
        ...

    def rotate(self) -> int:
        """Add a new KEK version and make it current; old versions stay for unwrapping."""
        ...


class RecordWriter(Protocol):
    """Puts sealed records into a store inside one open transaction."""

    #: Records really added so far (ids already stored are skipped), after ``flush``.
    inserted: int
    inserted_by_category: dict[Category, int]

    def put(self, record: SealedRecord) -> None:
        """Add ``record``; a record whose id is already stored is left as it is."""
        ...

    def flush(self) -> None:
        """Send buffered records to the store (still uncommitted)."""
        ...


class RegionStore(Protocol):
    """Encrypted records of one region, filtered by account, category and period, streamed."""

    region_id: str

    def ensure_schema(self) -> bool:
        """Create the tables if missing (idempotent); True if they were created."""
        ...

    def writer(self) -> AbstractContextManager[RecordWriter]:
        """One transaction: committed if the block ends normally, rolled back otherwise."""
        ...

    def read(
        self,
        account_id: str,
        categories: Sequence[Category] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        include_deleted: bool = False,
    ) -> Iterator[SealedRecord]:
        """Records of ``account_id`` with ``start <= occurred_at < end``, oldest first."""
        ...

    def get(self, record_id: str) -> SealedRecord | None: ...

    def count(self, account_id: str, category: Category | None = None) -> int: ...

    def delete(
        self, account_id: str, categories: Sequence[Category], *, now: datetime | None = None
    ) -> int:
        """Remove every record of the account in ``categories``; return how many.

        Refused (``Conflict``, nothing removed) while a hold marker covers any of them at ``now``
        (default: the region's clock).
        """
        ...

    def hide(
        self,
        account_id: str,
        categories: Sequence[Category],
        now: datetime,
        record_ids: Sequence[str] | None = None,
    ) -> tuple[int, int]:
        """A user's deletion: held records are hidden (``deleted_at``) and kept, the others
        removed; return (hidden, removed)."""
        ...

    def set_hold(self, marker: HoldMarker) -> None:
        """Write (or replace) the hold marker ``marker.hold_id`` in this region."""
        ...

    def holds(self, account_id: str | None = None) -> list[HoldMarker]:
        """The hold markers this region holds (of one account), oldest first."""
        ...

    def stale_keys(self, current_version: int, limit: int) -> list[SealedRecord]:
        """Up to ``limit`` records whose data key is wrapped under an older KEK version."""
        ...

    def set_wrapped_keys(self, updates: Iterable[tuple[str, int, bytes]]) -> None:
        """Replace (id, key_version, wrapped_key) in one transaction; ciphertext is untouched."""
        ...


class RegionCustody(Protocol):
    """A region's store and keyring together: the only path to a region's plaintext."""

    @property
    def region_id(self) -> str: ...

    @property
    def store(self) -> RegionStore: ...

    @property
    def keyring(self) -> Keyring: ...

    def seal(self, record: Record) -> SealedRecord: ...

    def open(self, sealed: SealedRecord) -> Record: ...

    def read(
        self,
        account_id: str,
        categories: Sequence[Category] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Iterator[Record]: ...

    def rotate_key(self, batch: int = 500) -> tuple[int, int]:
        """Add a KEK version, re-wrap every data key under it; return (version, re-wrapped)."""
        ...


@dataclass(frozen=True)
class MoveStep:
    """One category of one account on its way from ``source`` to ``destination``."""

    id: int
    account_id: str
    category: Category
    source: str
    destination: str
    whole_account: bool
    state: str  # copying | switched | done


class MoveJournal(Protocol):
    """Where moves stand, in the control plane, so a crashed move resumes where it stopped."""

    def unfinished(self, account_id: str) -> list[MoveStep]: ...

    def start(
        self,
        account_id: str,
        category: Category,
        source: str,
        destination: str,
        *,
        whole_account: bool,
    ) -> MoveStep: ...

    def advance(
        self, step_id: int, state: str, *, records: int | None = None, digest: str | None = None
    ) -> None: ...
