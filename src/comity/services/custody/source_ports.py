"""Ports of data sources: where a region's agent reads customer data the provider already keeps.

A provider's mail sits on its IMAP servers, its subscriber and login records in its own database,
sometimes Maildir trees on disk (architecture, principle 8). The regional agent reads them for the
accounts a demand names, read-only, and is the only process that holds their credentials: a
``RecordSource`` is built inside the agent from the region's ``[regions.X.sources.Y]`` tables and
never handed to the control plane. Comity's own encrypted store is a source too (the embedded
default, and the demo's), and the region's evidence vault: what a hold preserved.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from comity.domain.accounts import Selector
from comity.domain.categories import Category
from comity.domain.records import Record
from comity.errors import ComityError


class SourceUnavailable(ComityError):
    """A source could not be read (refused login, host unreachable, connection lost, a row that
    is not what its query promised). Nothing read so far is released: the production stays
    retryable and the operator fixes the source, not the demand."""

    exit_code = 1
    http_status = 503
    code = "source_unavailable"


@dataclass(frozen=True)
class AccountRef:
    """The account a grant names, with the selectors a source logs in or queries by."""

    account_id: str
    selectors: tuple[Selector, ...] = ()

    def first(self, type_: str) -> str | None:
        return next((s.value for s in self.selectors if s.type == type_), None)


@dataclass(frozen=True)
class SourceAccount:
    """What a source knows of one selector: that it exists there, and a few attributes."""

    source: str
    selector: str
    attributes: dict[str, str] = field(default_factory=dict)


class RecordSource(Protocol):
    """One read-only source of one region: a mail server, a records database, a Maildir tree."""

    @property
    def name(self) -> str:
        """The ``Y`` of ``[regions.X.sources.Y]``; record ids and audit entries carry it."""
        ...

    @property
    def categories(self) -> frozenset[Category]:
        """The categories this source can hold (mail: content; a database: its queries')."""
        ...

    @property
    def sequenced(self) -> bool:
        """Whether a record id ends in ``:<n>``, a counter the source only ever increases (IMAP
        UIDs within a UIDVALIDITY): then a number missing below the highest one a snapshot holds
        is a record deleted before that snapshot, and the package can say so."""
        ...

    def lookup(self, selector: Selector) -> SourceAccount | None:
        """Whether ``selector`` exists in this source, with its attributes; None if it does not.

        Raises ``SourceUnavailable`` when the source cannot be asked (so "no" is never a guess).
        """
        ...

    def iter_records(
        self,
        account: AccountRef,
        categories: Sequence[Category],
        start: datetime | None,
        end: datetime | None,
    ) -> Iterator[Record]:
        """Stream ``account``'s records of ``categories`` with ``start <= occurred_at < end``
        (None: unbounded), each with a stable id, without changing anything at the source.

        An account the source does not know yields nothing. Raises ``SourceUnavailable`` on a
        failure, possibly after yielding some records: callers discard a partial read.
        """
        ...

    def check(self, selector: Selector | None) -> list[str]:
        """Reachability, read-only-ness and lookup, one line each, for ``comity sources check``;
        raises ``SourceUnavailable`` or ``ConfigurationError`` with the one thing that is wrong."""
        ...


@dataclass(frozen=True)
class InPlaceHold:
    """What one source did on its own server for one hold: where it keeps the copies, and per
    folder what it copied (the server's own COPYUID answer, so the audit entry can be checked
    against the server)."""

    source: str
    user: str
    location: str
    copies: tuple[dict[str, str], ...] = ()

    def to_document(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "user": self.user,
            "location": self.location,
            "copies": list(self.copies),
        }


@runtime_checkable
class HoldsInPlace(Protocol):
    """A source that can also preserve on the provider's own server (Dovecot: a hidden hold
    mailbox per hold). It adds to the snapshot, never replaces it: a server the provider runs
    can still lose or refuse what Comity's sealed store keeps."""

    @property
    def name(self) -> str: ...

    @property
    def categories(self) -> frozenset[Category]: ...

    @property
    def holds_in_place(self) -> bool:
        """Whether the operator turned it on for this source (``hold_in_place = "mailbox"``)."""
        ...

    def hold_in_place(self, account: AccountRef, hold_id: str) -> list[InPlaceHold]:
        """Copy the account's records into the hold's place on the server, originals untouched;
        raises ``SourceUnavailable`` (leaving nothing half made) when the server refuses."""
        ...

    def release_in_place(self, account: AccountRef, hold_id: str) -> list[str]:
        """Remove what ``hold_in_place`` made for ``hold_id``; the locations removed."""
        ...
