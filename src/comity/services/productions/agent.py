"""The regional agent: the one component that opens a region's records for a production.

It trusts nothing but a signed authorization. Before the first record leaves it checks, in order:
the control plane's signature, the expiry and the region (``AuthorizationVerifier``); then it asks
the law engine again, as of now, whether every granted (account, category, region) may still be
disclosed, and refuses with the difference if the answer is not the one the approval relied on
(a court ruling, a statute coming into force, an account moved, a withdrawn demand). Only then
does it read, decrypt and yield the covered records, each checked once more against the grant.

Records come from the region's live sources (the provider's IMAP server, its records database, a
Maildir tree: ``services.custody.source_ports``), then from Comity's own store: what was ingested,
and
what a hold's snapshot preserved that the source no longer has, marked as such in the index.

Legal basis: what may be disclosed is judged when the data leaves, not only when the case was
approved (the CLOUD Act changed the Microsoft Ireland answer between approval-era and production
dates; Reg. (EU) 2023/1543 Art. 10(2) suspends production while a notified authority may refuse).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from comity.domain.assessment import DISCLOSING, Pathway
from comity.domain.authorization import Authorization, RegionGrant, SignedAuthorization
from comity.domain.categories import Category
from comity.domain.demand_schema import parse_demand
from comity.domain.deployment import Deployment
from comity.domain.records import Record
from comity.errors import Forbidden, IntegrityError, NotFound, collect
from comity.law.engine import LawEngine
from comity.services.assessment.law_assessor import assess_demand
from comity.services.assessment.stored import with_recorded_verification
from comity.services.custody.ports import RegionCustody
from comity.services.custody.source_ports import AccountRef, RecordSource
from comity.services.intake.ports import IntakeUnitOfWork
from comity.services.ports import Clock
from comity.services.productions.ports import AuthorizationVerifier, LawAnswer, LawRecheck


class LocalRegionAgent:
    """The agent for one region, with that region's custody (store and keyring) in hand."""

    def __init__(
        self,
        custody: RegionCustody,
        verify: AuthorizationVerifier,
        law: LawRecheck,
        clock: Clock,
        *,
        sources: Sequence[RecordSource] = (),
        accounts: Callable[[str], AccountRef] | None = None,
    ) -> None:
        self._custody = custody
        self._verify = verify
        self._law = law
        self._clock = clock
        self._sources = tuple(sources)
        self._accounts = accounts or AccountRef

    @property
    def region_id(self) -> str:
        return self._custody.region_id

    def now(self) -> datetime:
        """The agent's clock (its worker sweeps expired parts by it)."""
        return self._clock.now()

    def release(self, signed: SignedAuthorization) -> Iterator[Record]:
        return self._records(self.admit(signed))

    def admit(self, signed: SignedAuthorization) -> Authorization:
        """Every check before a record may leave (signature, expiry, region, the law as of now);
        the authorization if all pass. A durable part passes them when queued, when run and
        again when fetched."""
        now = self._clock.now()
        auth = self._verify(signed, now, self.region_id)
        self.check_law(auth, now)
        # Open the region's key custody before the first record: a file missing or an HSM that
        # refuses its PIN fails here, with its own sentence, and nothing is released.
        self._custody.keyring.current_version()
        return auth

    def check_law(self, auth: Authorization, now: datetime) -> None:
        """Refuse unless the law engine, as of ``now``, still gives every granted item the
        pathway the approval relied on (``check_law_now``)."""
        check_law_now(self._law, auth, self.region_id, now)

    def _records(self, auth: Authorization) -> Iterator[Record]:
        """The region's records, merged across its grants: per account (in order), every grant
        naming it is read and the reads are merged oldest first, so an account with a period per
        category, or two targets naming it, gives one ordered stream with each record once."""
        for account in auth.accounts_in(self.region_id):
            reads = [
                self._read(account, grant.categories, *_bounds(grant))
                for grant in auth.grants_for(self.region_id)
                if account in grant.accounts
            ]
            seen: set[str] = set()
            # One grant naming the account (the usual case) is one read: nothing to merge.
            merged = reads[0] if len(reads) == 1 else heapq.merge(*reads, key=_merge_key)
            for record in merged:
                if record.id in seen:
                    continue  # two grants (two periods) of one account overlap
                refusal = auth.refusal(
                    self.region_id, record.account_id, record.category, record.occurred_at
                )
                if refusal is not None or record.account_id != account:
                    # The store returned more than asked: never release.
                    raise IntegrityError(
                        f"region {self.region_id} store returned record {record.id} outside "
                        f"the authorization ({refusal or 'another account'}); nothing more is "
                        "released"
                    )
                seen.add(record.id)
                yield record

    def _read(
        self,
        account: str,
        categories: Sequence[Category],
        start: datetime | None,
        end: datetime | None,
    ) -> Iterator[Record]:
        """The account's records from the region's live sources, then from Comity's own store:
        what was ingested, and what a hold preserved that the live source no longer has (a record
        id already read live is skipped by the caller, so the live copy wins)."""
        ref = self._accounts(account) if self._sources else AccountRef(account)
        gaps = self._gaps(account, categories)
        live: set[str] = set()
        for source in self._sources:
            wanted = [c for c in categories if c in source.categories]
            if wanted:
                for record in source.iter_records(ref, wanted, start, end):
                    live.add(record.id)
                    yield _noted(record, gaps.get(record.id))
        prefixes = tuple(f"{s.name}:" for s in self._sources)
        for record in self._custody.read(account, categories, start, end):
            if prefixes and record.id.startswith(prefixes) and record.id not in live:
                yield _noted(record, snapshot_note(), gaps.get(record.id))
            else:
                yield record

    def _gaps(self, account: str, categories: Sequence[Category]) -> dict[str, str]:
        """For a held account, the notes that say which records of a sequenced source (IMAP
        UIDs) were already gone when the hold's snapshot was taken, keyed by the id of the next
        record that was there: the package index prints them beside that record."""
        sequenced = tuple(f"{s.name}:" for s in self._sources if s.sequenced)
        holds = self._custody.store.holds(account) if sequenced else []
        if not holds:
            return {}
        placed = min(h.placed_at for h in holds)
        known: dict[str, list[int]] = {}
        for sealed in self._custody.store.read(account, categories):
            head, _, tail = sealed.id.rpartition(":")
            if sealed.id.startswith(sequenced) and tail.isdigit():
                known.setdefault(head, []).append(int(tail))
        notes: dict[str, str] = {}
        for head, numbers in known.items():
            previous = 0
            for n in sorted(numbers):
                if n > previous + 1:
                    gone = str(previous + 1) if n == previous + 2 else f"{previous + 1}-{n - 1}"
                    notes[f"{head}:{n}"] = (
                        f"record(s) {head}:{gone} before this one were no longer at the source "
                        f"when the hold of {placed.isoformat()} took its snapshot, so they were "
                        "not preserved and cannot be produced"
                    )
                previous = n
        return notes


def check_law_now(law: LawRecheck, auth: Authorization, region_id: str, now: datetime) -> None:
    """Refuse unless the law engine, as of ``now``, still gives every granted item in
    ``region_id`` the pathway the approval relied on (or, for an authorization without a basis,
    a disclosing one). Every agent implementation calls this before its first record."""
    answer = law.answer(auth.demand_id, now)
    if answer.blocked_reason:
        raise Forbidden(
            f"demand {auth.demand_reference} may no longer be disclosed: {answer.blocked_reason}"
        )
    changes = [
        change for grant in auth.grants_for(region_id) for change in _changes(auth, grant, answer)
    ]
    if changes:
        raise Forbidden(
            f"the law engine's answer as of {answer.as_of} differs from the approval's, so "
            f"region {region_id} releases nothing: " + "; ".join(changes)
        )


def _merge_key(record: Record) -> tuple[datetime, str]:
    return record.occurred_at, record.id


def _bounds(grant: RegionGrant) -> tuple[datetime | None, datetime | None]:
    """The grant's period as the store's half-open range of instants (UTC days, inclusive)."""
    if grant.period is None:
        return None, None
    start = datetime.combine(grant.period.start, time(), UTC)
    end = datetime.combine(grant.period.end + timedelta(days=1), time(), UTC)
    return start, end


def snapshot_note() -> str:
    """Why a record comes from Comity's store and not from its source: a hold preserved it and
    the source no longer has it. Printed in the package index's warning column."""
    return (
        "no longer at its source; produced from the preservation snapshot a hold took "
        "(custody:snapshot on the audit log)"
    )


def _noted(record: Record, *notes: str | None) -> Record:
    """``record`` with ``notes`` added to its warning (the index's warning column)."""
    extra = [n for n in notes if n]
    if not extra:
        return record
    return replace(record, warning="; ".join(w for w in (record.warning, *extra) if w))


def _changes(auth: Authorization, grant: RegionGrant, answer: LawAnswer) -> list[str]:
    out = []
    for account in grant.accounts:
        for category in grant.categories:
            expected = auth.expected_pathway(grant.region, account, category)
            now = answer.pathways.get((account, category.value, grant.region))
            where = f"{account} {category.value} in {grant.region}"
            if now is None:
                out.append(f"{where}: no finding now (the account or its data moved)")
            elif expected is None:
                if Pathway(now) not in DISCLOSING:
                    out.append(f"{where}: now {now}, which does not disclose")
            elif now != expected:
                out.append(f"{where}: {expected} at approval, {now} now")
    return out


class EngineRecheck:
    """``LawRecheck`` through the law engine, on the demand and accounts the control plane holds."""

    def __init__(
        self,
        engine: LawEngine,
        deployment: Deployment,
        uow_factory: Callable[[], IntakeUnitOfWork],
        known_countries: frozenset[str],
    ) -> None:
        self._engine = engine
        self._deployment = deployment
        self._uow = uow_factory
        self._countries = known_countries

    def answer(self, demand_id: str, now: datetime) -> LawAnswer:
        with self._uow() as uow:
            record = uow.intake.get_demand(demand_id)
        if record is None:
            raise NotFound(f"no demand with id {demand_id!r}")
        demand, problems = parse_demand(record.document, known_countries=self._countries)
        collect(problems)
        assert demand is not None
        as_of = now.astimezone(UTC).date()
        assessment = assess_demand(
            self._engine,
            self._deployment,
            self._uow,
            with_recorded_verification(demand, record),
            as_of,
        )
        pathways: dict[tuple[str, str, str], str] = {}
        for f in assessment.findings:
            if f.account is None or f.region is None:
                continue
            key = (f.account, f.category.value, f.region)
            # Two targets naming one account: the less disclosing answer wins (fail closed).
            if key not in pathways or Pathway(pathways[key]) in DISCLOSING:
                pathways[key] = f.pathway.value
        return LawAnswer(pathways, record.disclosure_blocked_reason, as_of.isoformat())
