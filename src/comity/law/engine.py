"""The law engine: for every (target, category, region) of a demand, what the law in force on a
date requires, and why.

Design (see docs/rule-pack-guide.md):

- One Cedar action, ``assess``. Principal: the issuing ``Authority`` (a US federal court sits in
  its ``District``, which sits in its ``Circuit``). Resource: the ``Data`` of one category held
  in one country for one ``Account``. Context: the instrument, the date as a YYYYMMDD Long and
  facts derived from the YAML (EU membership on that date, treaties in force, ...).
- Each ``permit`` policy is one rule; its annotations say what it means: ``@effect`` pathway,
  conflict or challenge; ``@pathway``, ``@reason``, ``@explanation``, ``@citation``,
  ``@deadline``. Every satisfied policy is in the decision's reasons, so one request per finding
  yields the pathway rules, conflicts and challenges at once.
- Several pathway rules may fire; the pack's precedence (most protective first) picks one.
- Fail closed: an unknown country, instrument or district, any evaluation error, or no pathway
  rule at all gives ``reject`` with reason ``needs_review`` and the error. Never a disclosure.
- Identical decision inputs are evaluated once (memoised), so re-assessing is cheap.

The engine never reads the clock: ``as_of`` is an argument.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date
from pathlib import Path
from typing import Any

import cedarpy

from comity.domain import deadlines
from comity.domain.accounts import Account, Selector
from comity.domain.assessment import (
    NEEDS_REVIEW,
    Assessment,
    Finding,
    Pathway,
    Route,
    RulePackRef,
)
from comity.domain.categories import Category
from comity.domain.demand import EU_ADDRESSEE_ROLES, Demand, served_entity
from comity.domain.deployment import Deployment
from comity.law.facts import parse_duration
from comity.law.pack import Rule, RulePack, load_pack

__all__ = ["DecisionInput", "LawEngine", "parse_duration"]

_POLICY_REF = re.compile(r"`?(policy\d+)`?")
_MEMO_LIMIT = 200_000
#: Instruments that only preserve: they divulge nothing, so bars on disclosure do not engage.
PRESERVATION_INSTRUMENTS = ("us.preservation", "eu.epoc_pr")


@dataclass(frozen=True)
class Decision:
    """What Cedar said for one set of decision inputs: rules by effect, and any errors."""

    pathway_rules: tuple[Rule, ...]
    conflict_rules: tuple[Rule, ...]
    challenge_rules: tuple[Rule, ...]
    errors: tuple[str, ...]


@dataclass(frozen=True)
class DecisionInput:
    """Everything a decision depends on, hashable: the memo key and the Cedar request."""

    authority: tuple[str, str, str]  # country, kind, district ('' if none)
    account: tuple[str, str]  # kind, us_person (residence is in the context as booleans)
    data: tuple[str, str]  # category, country
    context: tuple[tuple[str, object], ...]


@dataclass(frozen=True)
class _Slot:
    """One finding to make: a target, its account, a category and where that category is held."""

    selector: Selector
    account: Account | None
    category: Category
    region: str | None
    country: str | None


class LawEngine:
    """Parses a rule pack once and assesses demands against it."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self._memo: dict[DecisionInput, Decision] = {}
        self._rank = {p: i for i, p in enumerate(pack.precedence)}

    @classmethod
    def load(cls, pack_dir: Path | None = None) -> LawEngine:
        return cls(load_pack(pack_dir))

    @property
    def ref(self) -> RulePackRef:
        return RulePackRef(self.pack.version, self.pack.digest)

    # -- public API ---------------------------------------------------------------------------

    def assess(
        self,
        demand: Demand,
        deployment: Deployment,
        accounts: Mapping[Selector, Account],
        as_of: date,
    ) -> Assessment:
        """Assess every (target, category, region) of ``demand`` under the law of ``as_of``.

        ``accounts`` are the provider's accounts by selector, looked up before the engine runs:
        the engine decides on data and never calls back into the services or a database.
        """
        plan, cases = self._plan(demand, deployment, accounts, as_of)
        self._decide_all([c for c in cases if isinstance(c, DecisionInput)])

        findings = []
        deadlines_seen: dict[tuple[str, ...], str | None] = {}
        for slot, case in zip(plan, cases, strict=True):
            if slot.account is None:
                findings.append(
                    Finding(
                        slot.selector,
                        None,
                        slot.category,
                        None,
                        None,
                        Pathway.NO_DATA,
                        "no_matching_account",
                        "No account of this provider matches the target, so it holds no data.",
                    )
                )
            elif isinstance(case, str):
                findings.append(self._review(slot, case))
            else:
                assert case is not None
                findings.append(
                    self._finding(demand, deployment, slot, as_of, case, seen=deadlines_seen)
                )
        return Assessment(demand.reference, as_of, self.ref, tuple(findings))

    def decision_inputs(
        self,
        demand: Demand,
        deployment: Deployment,
        accounts: Mapping[Selector, Account],
        as_of: date,
    ) -> list[DecisionInput]:
        """The Cedar decision inputs ``assess`` would evaluate (the benchmark replays them raw)."""
        return [
            c
            for c in self._plan(demand, deployment, accounts, as_of)[1]
            if isinstance(c, DecisionInput)
        ]

    def _plan(
        self,
        demand: Demand,
        deployment: Deployment,
        accounts: Mapping[Selector, Account],
        as_of: date,
    ) -> tuple[list[_Slot], list[DecisionInput | str | None]]:
        """One slot per finding to make, with its decision inputs or why it cannot be decided."""
        plan: list[_Slot] = []
        for target in demand.targets:
            account = accounts.get(target.selector)
            for category in demand.categories:
                if account is None:
                    plan.append(_Slot(target.selector, None, category, None, None))
                    continue
                region_id = account.region_for(category)
                try:
                    country: str | None = deployment.region(region_id).country
                except KeyError:
                    country = None
                plan.append(_Slot(target.selector, account, category, region_id, country))

        cases: list[DecisionInput | str | None] = []
        base = self._demand_context(demand, deployment, as_of) if plan else ""
        by_country: dict[str, dict[str, object]] = {}
        for slot in plan:
            account, data_country = slot.account, slot.country
            if account is None:
                cases.append(None)
            elif data_country is None:
                cases.append(f"region {slot.region!r} of account {account.id} is not deployed")
            elif data_country not in self.pack.facts.countries:
                why = f"the rule pack does not know the data's country {data_country}"
                cases.append(f"{base}; {why}" if isinstance(base, str) and base else why)
            elif isinstance(base, str):
                cases.append(base)
            else:
                authority, context, qfg = base
                if data_country not in by_country:
                    by_country[data_country] = self._data_context(demand, data_country, as_of, qfg)
                issuer = demand.issuing_authority.country
                us_person = (
                    "unknown" if account.us_person is None else str(account.us_person).lower()
                )
                full = {
                    **context,
                    **by_country[data_country],
                    "target_resides_in_issuer": account.residence == issuer,
                    "target_in_us": account.residence == "US",
                }
                cases.append(
                    DecisionInput(
                        authority,
                        (account.kind.value, us_person),
                        (slot.category.value, data_country),
                        tuple(sorted(full.items())),
                    )
                )
        return plan, cases

    # -- building decision inputs ---------------------------------------------------------------

    def _demand_context(
        self, demand: Demand, deployment: Deployment, as_of: date
    ) -> tuple[tuple[str, str, str], dict[str, object], list[str] | None] | str:
        """What the whole demand contributes to every decision: the authority, the context
        entries that depend on the demand and the date only, and the deployment's QFG list
        (None: the pack's); or why nothing in it can be decided (fail closed). Computed once
        per assessment rather than once per finding."""
        facts = self.pack.facts
        issuer = demand.issuing_authority
        problems = []
        instrument_country = facts.instruments.get(demand.instrument)
        if instrument_country is None:
            problems.append(f"unknown instrument {demand.instrument!r}")
        if issuer.country not in facts.countries:
            problems.append(f"the rule pack does not know the issuing country {issuer.country}")
        district = ""
        if issuer.forum and issuer.forum.startswith("us."):
            district = issuer.forum.removeprefix("us.")
            if district not in facts.districts:
                problems.append(f"unknown US district court {issuer.forum!r}")
        law = deployment.extra.get("law")
        override = law.get("qualifying_foreign_governments") if isinstance(law, dict) else None
        if override is not None and not (
            isinstance(override, list) and all(isinstance(c, str) for c in override)
        ):
            problems.append(
                "the deployment's [law] qualifying_foreign_governments must be a list of "
                f"country codes, got {override!r}"
            )
        provider = deployment.provider
        try:
            addressee = served_entity(demand, provider)
        except ValueError as exc:
            problems.append(str(exc))
        requesting = (demand.via.requesting_country if demand.via else None) or issuer.country
        treaty_named = demand.via.treaty if demand.via else None
        if treaty_named is not None and treaty_named not in facts.treaty_ids:
            problems.append(f"via.treaty {treaty_named!r} is not a treaty the rule pack knows")
        if problems:
            return "; ".join(problems)

        offence = demand.offence
        # The entity served is a proper e-Evidence addressee: the provider's designated
        # establishment or legal representative in a bound Member State, or the provider itself
        # when it is established there (Reg. (EU) 2023/1543 Art. 7; Dir. (EU) 2023/1544 Art. 3).
        eu_addressee_served = facts.bound_by_eevidence(addressee.country, as_of) and (
            "provider" in addressee.roles or any(r in addressee.roles for r in EU_ADDRESSEE_ROLES)
        )
        if treaty_named is not None:
            mla_with_requester = facts.treaty_in_force(
                treaty_named, requesting, issuer.country, as_of
            )
        else:
            mla_with_requester = facts.mla_treaty(requesting, issuer.country, as_of) is not None
        nd_until = demand.non_disclosure_until
        if instrument_country == "any":
            matches = True
        elif instrument_country == "EU":
            matches = facts.in_eu(issuer.country, as_of)
        else:
            matches = instrument_country == issuer.country
        context: dict[str, object] = {
            "as_of": self._date_key(as_of.year * 10000 + as_of.month * 100 + as_of.day),
            "instrument": demand.instrument,
            "instrument_matches_issuer": matches,
            "emergency": demand.emergency is not None,
            "emergency_verified": demand.emergency is not None
            and demand.emergency.verified_by is not None,
            "non_disclosure": nd_until is not None and as_of <= nd_until,
            "served_on_eu_addressee": eu_addressee_served,
            "addressee_in_issuer": addressee.country == issuer.country,
            "provider_operates_in_us": provider.established_in == "US"
            or "US" in provider.offers_services_in,
            "mla_treaty_with_requester": mla_with_requester,
            "offence_years": -1
            if offence is None or offence.max_custodial_years is None
            else int(offence.max_custodial_years),
            "offence_in_issuer": offence is not None and offence.committed_in == issuer.country,
            "offence_listed": offence is not None and offence.listed_for_eevidence,
            "validated_by": issuer.validated_by or "",
            "channel": demand.via.channel if demand.via else "",
            "issuer_in_eu": facts.in_eu(issuer.country, as_of),
            "issuer_in_gdpr": facts.in_gdpr(issuer.country, as_of),
            "issuer_bound_eevidence": facts.bound_by_eevidence(issuer.country, as_of),
            "provider_offers_in_issuer": issuer.country in provider.offers_services_in,
            "provider_in_eevidence": facts.bound_by_eevidence(provider.established_in, as_of),
            "has_eu_addressee": any(provider.entity_with_role(r) for r in EU_ADDRESSEE_ROLES),
            "exec_agreement_with_us": facts.executive_agreement(issuer.country, "US", as_of)
            is not None,
        }
        qfg = list(override) if isinstance(override, list) else None
        return (issuer.country, issuer.kind, district), context, qfg

    def _data_context(
        self, demand: Demand, data_country: str, as_of: date, qfg: list[str] | None
    ) -> dict[str, object]:
        """The context entries that depend on where the data is held."""
        facts = self.pack.facts
        issuer = demand.issuing_authority.country
        requesting = (demand.via.requesting_country if demand.via else None) or issuer
        return {
            "data_in_issuer": data_country == issuer,
            "data_in_eu": facts.in_eu(data_country, as_of),
            "data_in_gdpr": facts.in_gdpr(data_country, as_of),
            "data_country_qfg": facts.is_qfg(data_country, as_of, qfg),
            "mla_route": facts.mla_treaty(requesting, data_country, as_of) is not None,
        }

    def _date_key(self, day: int) -> int:
        """The representative of ``day`` among dates all policies treat alike (see pack)."""
        cuts = self.pack.date_thresholds
        if not cuts:
            return day
        i = bisect.bisect_right(cuts, day)
        return cuts[i - 1] if i else cuts[0] - 1

    # -- evaluating ------------------------------------------------------------------------------

    def _decide_all(self, cases: Iterable[DecisionInput]) -> None:
        """Evaluate, in one Cedar batch, every case not already decided."""
        todo = list(dict.fromkeys(c for c in cases if c not in self._memo))
        if not todo:
            return
        if len(self._memo) + len(todo) > _MEMO_LIMIT:
            self._memo.clear()
        entities, requests = self.cedar_requests(todo)
        try:
            results = cedarpy.is_authorized_batch(
                requests, self.pack.policies, json.dumps(entities)
            )
        except Exception as exc:
            for case in todo:
                self._memo[case] = Decision((), (), (), (f"Cedar evaluation failed: {exc}",))
            return
        for case, result in zip(todo, results, strict=True):
            self._memo[case] = self._decision(result)

    def cedar_requests(
        self, cases: list[DecisionInput]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Per-request entities and Cedar requests for ``cases`` (the bench reuses them)."""
        entities: dict[str, dict[str, Any]] = {}
        requests = []
        for case in cases:
            country, kind, district = case.authority
            a_id = "|".join(case.authority)
            # The static entities a request can reach, so that a batch is self-contained and
            # small: parsing a few entities is much cheaper than cloning the whole fact base.
            for c in (country, case.data[1]):
                entities.setdefault(
                    f"K{c}", {"uid": _uid("Country", c), "attrs": {}, "parents": []}
                )
            if district:
                circuit = self.pack.facts.districts[district]
                entities.setdefault(
                    f"T{district}",
                    {
                        "uid": _uid("District", district),
                        "attrs": {},
                        "parents": [_uid("Circuit", circuit)],
                    },
                )
                entities.setdefault(
                    f"U{circuit}", {"uid": _uid("Circuit", circuit), "attrs": {}, "parents": []}
                )
            entities.setdefault(
                f"A{a_id}",
                {
                    "uid": {"type": "Authority", "id": a_id},
                    "attrs": {"country": {"__entity": _uid("Country", country)}, "kind": kind},
                    "parents": [_uid("District", district)] if district else [],
                },
            )
            acc_id = "|".join(case.account)
            entities.setdefault(
                f"C{acc_id}",
                {
                    "uid": _uid("Account", acc_id),
                    "attrs": dict(zip(("kind", "us_person"), case.account, strict=True)),
                    "parents": [],
                },
            )
            d_id = "|".join(case.data) + "|" + acc_id
            entities.setdefault(
                f"D{d_id}",
                {
                    "uid": _uid("Data", d_id),
                    "attrs": {
                        "category": case.data[0],
                        "country": {"__entity": _uid("Country", case.data[1])},
                        "account": {"__entity": _uid("Account", acc_id)},
                    },
                    "parents": [],
                },
            )
            requests.append(
                {
                    "principal": _uid("Authority", a_id),
                    "action": _uid("Action", "assess"),
                    "resource": _uid("Data", d_id),
                    "context": dict(case.context),
                }
            )
        return list(entities.values()), requests

    def _decision(self, result: cedarpy.AuthzResult) -> Decision:
        rules = self.pack.rules
        errors = tuple(
            _POLICY_REF.sub(
                lambda m: rules[m.group(1)].id if m.group(1) in rules else m.group(0), e
            )
            for e in result.diagnostics.errors
        )
        fired = sorted(
            (rules[r] for r in result.diagnostics.reasons if r in rules), key=lambda r: r.order
        )
        unknown = [r for r in result.diagnostics.reasons if r not in rules]
        if unknown:
            errors += (f"policies without rule metadata fired: {', '.join(unknown)}",)
        return Decision(
            tuple(r for r in fired if r.effect == "pathway"),
            tuple(r for r in fired if r.effect == "conflict"),
            tuple(r for r in fired if r.effect == "challenge"),
            errors,
        )

    # -- findings ---------------------------------------------------------------------------------

    def _review(self, slot: _Slot, why: str, decision: Decision | None = None) -> Finding:
        """Reject for review; conflicts and challenges that did fire are still shown."""
        side = [] if decision is None else [*decision.conflict_rules, *decision.challenge_rules]
        return Finding(
            slot.selector,
            slot.account.id if slot.account else None,
            slot.category,
            slot.region,
            slot.country,
            Pathway.REJECT,
            NEEDS_REVIEW,
            f"The rule pack cannot decide this safely ({why}); a lawyer must review it before "
            "anything is disclosed.",
            tuple(r.id for r in side),
            tuple(dict.fromkeys(r.citation for r in side)),
            conflicts=tuple(r.summary or r.id for r in side if r.effect == "conflict"),
            challenges=tuple(r.summary or r.id for r in side if r.effect == "challenge"),
        )

    def _finding(
        self,
        demand: Demand,
        deployment: Deployment,
        slot: _Slot,
        as_of: date,
        case: DecisionInput,
        *,
        seen: dict[tuple[str, ...], str | None],
    ) -> Finding:
        decision = self._memo[case]
        account, category, country = slot.account, slot.category, slot.country
        assert account is not None
        assert country is not None
        if decision.errors:
            return self._review(slot, "; ".join(decision.errors))
        if not decision.pathway_rules:
            return self._review(
                slot,
                f"no rule decides {demand.instrument} from {demand.issuer_country} for "
                f"{category.value} held in {country} on {as_of}",
                decision,
            )
        pathway = min(
            (r.pathway for r in decision.pathway_rules if r.pathway is not None),
            key=lambda p: self._rank.get(p, -1),
        )
        chosen = [r for r in decision.pathway_rules if r.pathway == pathway]
        lead = chosen[0]
        contributing = chosen + list(decision.conflict_rules) + list(decision.challenge_rules)
        facts = self.pack.facts
        route = None
        alternatives = [a for r in chosen for a in r.alternatives]
        requesting = (
            demand.via.requesting_country if demand.via else None
        ) or demand.issuer_country
        if pathway == Pathway.REDIRECT_MLAT:
            treaty = facts.mla_treaty(requesting, country, as_of)
            authority = facts.countries[country].central_authority
            route = Route(treaty.id if treaty else "letters_rogatory", authority)
            instrument = facts.countries[country].instrument or "domestic order"
            channel = f"mla ({treaty.id})" if treaty else "letters rogatory"
            alternatives.insert(0, f"{instrument} via {channel}")
        if pathway == Pathway.REDIRECT_ENTITY and lead.reason == "wrong_addressee":
            entity = next(
                (
                    e
                    for r in EU_ADDRESSEE_ROLES
                    if (e := deployment.provider.entity_with_role(r)) is not None
                ),
                None,
            )
            alternatives.insert(
                0,
                f"{demand.instrument} served on {entity.name} ({entity.country})"
                if entity
                else f"{demand.instrument} served on the provider's EU designated establishment",
            )
        return Finding(
            slot.selector,
            account.id,
            category,
            slot.region,
            country,
            pathway,
            lead.reason or NEEDS_REVIEW,
            lead.explanation or "",
            tuple(dict.fromkeys(r.id for r in contributing)),
            tuple(dict.fromkeys(r.citation for r in contributing)),
            self._deadline(demand, deployment, chosen, seen),
            route,
            tuple(r.summary or r.id for r in decision.conflict_rules),
            tuple(r.summary or r.id for r in decision.challenge_rules),
            tuple(dict.fromkeys(alternatives)),
        )

    def _deadline(
        self,
        demand: Demand,
        deployment: Deployment,
        rules: list[Rule],
        seen: dict[tuple[str, ...], str | None],
    ) -> str | None:
        """The earliest deadline of the deciding rules, computed by ``domain.deadlines``.

        The case lists the same deadlines from the same functions, so a deadline has one value
        wherever it is shown (issue 12: the EPOC's 10 days were once counted twice, differently).
        """
        names = tuple(r.deadline for r in rules if r.deadline)
        if not names:
            return None
        if names in seen:  # the same deadlines for the demand's other findings
            return seen[names]
        zone = deadlines.counting_zone(demand, deployment)
        ends = [
            deadlines.rule_deadline(
                name,
                demand.received_at,
                emergency=demand.emergency is not None,
                zone_name=zone,
                subject=demand.reference,
            ).due_at
            for name in names
        ]
        seen[names] = min(ends).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return seen[names]


def _uid(type_: str, id_: str) -> dict[str, str]:
    return {"type": type_, "id": id_}
