"""From an approved case to the authorization that limits what each region may release.

Pure: the case, the demand's identity and blocking reason, the accounts the findings' targets
resolve to, and ``now`` come in; an unsigned ``Authorization`` comes out (the control plane signs
it). Legal basis for the scope: a production must not exceed what was ordered and approved
(18 U.S.C. 2703 compels only what the warrant describes; Reg. (EU) 2023/1543 Art. 10 limits the
addressee to the data requested), so each grant is exactly one region, one account, the approved
categories and the approved period, and nothing the reviewers withheld is granted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from comity.domain.authorization import Authorization, Basis, PackageOptions, RegionGrant
from comity.domain.case.model import CaseState, DecisionKind
from comity.domain.categories import Category
from comity.domain.demand import Period
from comity.domain.workflow import Case, Pathway
from comity.errors import Conflict, Forbidden, InvalidInput

#: How long the regions accept an authorization: long enough for a large production and a re-run
#: after a crash, short enough that a leaked authorization soon opens nothing.
DEFAULT_VALIDITY = timedelta(hours=24)
PRODUCIBLE_STATES = frozenset({CaseState.APPROVED, CaseState.PARTLY_APPROVED})


@dataclass(frozen=True)
class ApprovedItem:
    """One approved finding, resolved: what the region may release for it."""

    region: str
    account: str
    category: Category
    period: Period | None
    pathway: Pathway
    key: str


def approved_items(case: Case, accounts: Mapping[str, str | None]) -> list[ApprovedItem]:
    """Every finding decided produce or narrow, not quashed and not yet produced, resolved.

    ``accounts`` maps each finding's target (``FindingRef.target``) to the account it names
    today; a target that no longer resolves is refused rather than silently skipped.
    """
    items: list[ApprovedItem] = []
    for key, decision in sorted(case.decisions.items()):
        if decision.kind is DecisionKind.WITHHOLD or key in case.produced:
            continue
        if case.court.finding_status.get(key) == "quashed":
            continue
        finding = case.finding(key)
        if finding.pathway is Pathway.NO_DATA or finding.region is None:
            continue
        account = accounts.get(finding.target)
        if account is None:
            raise Conflict(
                f"finding {key}: target {finding.target} no longer names an account; "
                "re-assess the case before producing"
            )
        if decision.kind is DecisionKind.NARROW:
            assert decision.period is not None
            period: Period | None = Period(decision.period.start, decision.period.end)
        else:
            period = None if case.period is None else Period(case.period.start, case.period.end)
        items.append(
            ApprovedItem(finding.region, account, finding.category, period, finding.pathway, key)
        )
    return items


def authorize_case(
    case: Case,
    *,
    demand_id: str,
    demand_reference: str,
    blocked_reason: str | None,
    accounts: Mapping[str, str | None],
    assessment_digest: str,
    authorization_id: str,
    issuer: str,
    now: datetime,
    validity: timedelta = DEFAULT_VALIDITY,
    package: PackageOptions | None = None,
) -> Authorization:
    """The authorization for ``case``'s approved decisions, valid from ``now`` for ``validity``.

    Refuses a case that is not approved or partly approved, a demand whose disclosure is blocked
    (unverified, withdrawn, fraud signs, an emergency without its call-back: docs/intake.md),
    and an approval that leaves nothing to produce. ``package`` is the package's options (the
    mbox copy, the SHA-512 manifest), both off unless chosen.
    """
    if case.state not in PRODUCIBLE_STATES:
        raise Conflict(
            f"case {case.case_id} is {case.state.value}; only an approved or partly approved "
            "case can be produced"
        )
    if blocked_reason:
        raise Forbidden(f"demand {demand_reference} may not be disclosed: {blocked_reason}")
    if validity <= timedelta(0):
        raise InvalidInput("the authorization's validity must be positive")
    items = approved_items(case, accounts)
    if not items:
        raise Conflict(
            f"case {case.case_id} approves nothing that the provider holds; nothing to produce"
        )
    categories: dict[tuple[str, str, Period | None], set[Category]] = defaultdict(set)
    for item in items:
        categories[(item.region, item.account, item.period)].add(item.category)
    grants = tuple(
        RegionGrant(region, (account,), tuple(cats), period)
        for (region, account, period), cats in categories.items()
    )
    basis = tuple(sorted({Basis(i.region, i.account, i.category, i.pathway.value) for i in items}))
    _check_one_pathway(basis)
    return Authorization(
        id=authorization_id,
        demand_id=demand_id,
        demand_reference=demand_reference,
        assessment_digest=assessment_digest,
        grants=grants,
        issued_at=now,
        expires_at=now + validity,
        issuer=issuer,
        basis=basis,
        package=package or PackageOptions(),
    )


def _check_one_pathway(basis: tuple[Basis, ...]) -> None:
    """Two targets naming one account must not have been assessed differently for a category."""
    seen: dict[tuple[str, str, Category], str] = {}
    for b in basis:
        where = (b.region, b.account, b.category)
        if where in seen and seen[where] != b.pathway:
            raise Conflict(
                f"account {b.account} {b.category.value} in {b.region} was assessed both "
                f"{seen[where]} and {b.pathway} through different targets; re-assess the case"
            )
        seen[where] = b.pathway
