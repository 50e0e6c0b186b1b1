"""The regional agent: the one component that opens a region's records for a production.

It trusts nothing but a signed authorization. Before the first record leaves it checks, in order:
the control plane's signature, the expiry and the region (``AuthorizationVerifier``); then it asks
the law engine again, as of now, whether every granted (account, category, region) may still be
disclosed, and refuses with the difference if the answer is not the one the approval relied on
(a court ruling, a statute coming into force, an account moved, a withdrawn demand). Only then
does it read, decrypt and yield the covered records, each checked once more against the grant.

Legal basis: what may be disclosed is judged when the data leaves, not only when the case was
approved (the CLOUD Act changed the Microsoft Ireland answer between approval-era and production
dates; Reg. (EU) 2023/1543 Art. 10(2) suspends production while a notified authority may refuse).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta

from comity.domain.assessment import DISCLOSING, Pathway
from comity.domain.authorization import Authorization, RegionGrant, SignedAuthorization
from comity.domain.demand import parse_demand
from comity.domain.deployment import Deployment
from comity.domain.records import Record
from comity.errors import Forbidden, IntegrityError, NotFound, collect
from comity.law.engine import LawEngine
from comity.services.assessment import assess_demand
from comity.services.assessments import with_recorded_verification
from comity.services.custody_ports import RegionCustody
from comity.services.intake_ports import IntakeUnitOfWork
from comity.services.ports import Clock
from comity.services.production_ports import AuthorizationVerifier, LawAnswer, LawRecheck


class LocalRegionAgent:
    """The agent for one region, with that region's custody (store and keyring) in hand."""

    def __init__(
        self,
        custody: RegionCustody,
        verify: AuthorizationVerifier,
        law: LawRecheck,
        clock: Clock,
    ) -> None:
        self._custody = custody
        self._verify = verify
        self._law = law
        self._clock = clock

    @property
    def region_id(self) -> str:
        return self._custody.region_id

    def release(self, signed: SignedAuthorization) -> Iterator[Record]:
        now = self._clock.now()
        auth = self._verify(signed, now, self.region_id)
        self.check_law(auth, now)
        return self._records(auth)

    def check_law(self, auth: Authorization, now: datetime) -> None:
        """Refuse unless the law engine, as of ``now``, still gives every granted item the
        pathway the approval relied on (or, for an authorization without a basis, a disclosing
        one)."""
        answer = self._law.answer(auth.demand_id, now)
        if answer.blocked_reason:
            raise Forbidden(
                f"demand {auth.demand_reference} may no longer be disclosed: "
                f"{answer.blocked_reason}"
            )
        changes = [
            change
            for grant in auth.grants_for(self.region_id)
            for change in _changes(auth, grant, answer)
        ]
        if changes:
            raise Forbidden(
                f"the law engine's answer as of {answer.as_of} differs from the approval's, so "
                f"region {self.region_id} releases nothing: " + "; ".join(changes)
            )

    def _records(self, auth: Authorization) -> Iterator[Record]:
        """The region's records, merged across its grants: per account (in order), every grant
        naming it is read and the reads are merged oldest first, so an account with a period per
        category, or two targets naming it, gives one ordered stream with each record once."""
        for account in auth.accounts_in(self.region_id):
            reads = [
                self._custody.read(account, grant.categories, *_bounds(grant))
                for grant in auth.grants_for(self.region_id)
                if account in grant.accounts
            ]
            seen: set[str] = set()
            for record in heapq.merge(*reads, key=lambda r: (r.occurred_at, r.id)):
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


def _bounds(grant: RegionGrant) -> tuple[datetime | None, datetime | None]:
    """The grant's period as the store's half-open range of instants (UTC days, inclusive)."""
    if grant.period is None:
        return None, None
    start = datetime.combine(grant.period.start, time(), UTC)
    end = datetime.combine(grant.period.end + timedelta(days=1), time(), UTC)
    return start, end


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
