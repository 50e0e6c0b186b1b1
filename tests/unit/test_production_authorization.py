"""From an approved case to its authorization: exactly the approved findings, per region, account,
category and period; refused for unapproved cases, blocked demands and empty approvals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from tests.unit.case_helpers import (
    APPROVER,
    CONTENT,
    REVIEWER,
    SUBSCRIBER,
    new_case,
    reach,
    tick,
)

from comity.domain.authorization import Authorization
from comity.domain.categories import Category
from comity.domain.demand import Period as DemandPeriod
from comity.domain.productions import authorize_case
from comity.domain.workflow import SYSTEM, Case, CaseState, DecisionKind, FindingRef, Period
from comity.errors import Conflict, Forbidden

ACCOUNTS = {"target@example.com": "acct-1"}
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _authorize(case: Case, **changes: object) -> Authorization:
    args: dict[str, object] = {
        "demand_id": "dem-1",
        "demand_reference": "13-MAG-2814",
        "blocked_reason": None,
        "accounts": ACCOUNTS,
        "assessment_digest": "sha256:" + "ab" * 32,
        "authorization_id": "prd-1",
        "issuer": "control-plane",
        "now": NOW,
    }
    args.update(changes)
    return authorize_case(case, **args)  # type: ignore[arg-type]


def test_an_approved_case_grants_each_region_exactly_its_approved_findings() -> None:
    auth = _authorize(reach(CaseState.APPROVED))
    whole = DemandPeriod(date(2026, 1, 1), date(2026, 8, 31))
    assert [(g.region, g.accounts, g.categories, g.period) for g in auth.grants] == [
        ("eu-ie", ("acct-1",), (Category.CONTENT,), whole),
        ("us-east", ("acct-1",), (Category.SUBSCRIBER,), whole),
    ]
    assert auth.expected_pathway("eu-ie", "acct-1", Category.CONTENT) == "disclose"
    assert auth.expires_at - auth.issued_at == timedelta(hours=24)
    # Nothing else: another category in a granted region, another account, the no_data finding.
    when = datetime(2026, 3, 1, tzinfo=UTC)
    assert auth.refusal("eu-ie", "acct-1", Category.CONTENT, when) is None
    assert auth.refusal("eu-ie", "acct-1", Category.TRAFFIC, when) is not None
    assert auth.refusal("us-east", "acct-2", Category.SUBSCRIBER, when) is not None
    assert auth.refusal("eu-ie", "acct-1", Category.CONTENT, datetime(2026, 9, 1, tzinfo=UTC))


def test_a_partly_approved_case_grants_only_what_was_not_withheld() -> None:
    auth = _authorize(reach(CaseState.PARTLY_APPROVED))
    assert [(g.region, g.categories) for g in auth.grants] == [("us-east", (Category.SUBSCRIBER,))]


def test_a_narrowed_finding_gets_its_own_period_and_its_own_grant() -> None:
    traffic = FindingRef(
        target="target@example.com",
        category=Category.TRAFFIC,
        region="us-east",
        pathway=SUBSCRIBER.pathway,
    )
    case = new_case()
    case, _ = case.assess([SUBSCRIBER, CONTENT, traffic], SYSTEM, tick(1))
    case, _ = case.start_review(REVIEWER, tick(2))
    case, _ = case.decide(SUBSCRIBER.key, DecisionKind.PRODUCE, REVIEWER, tick(3))
    case, _ = case.decide(CONTENT.key, DecisionKind.PRODUCE, REVIEWER, tick(3))
    narrow = Period(start=date(2026, 3, 1), end=date(2026, 3, 31))
    case, _ = case.decide(traffic.key, DecisionKind.NARROW, REVIEWER, tick(3), period=narrow)
    case, _ = case.recommend(REVIEWER, tick(4))
    case, _ = case.approve(APPROVER, tick(5))
    auth = _authorize(case)
    us = auth.grants_for("us-east")
    assert {(g.categories, g.period) for g in us} == {
        ((Category.SUBSCRIBER,), DemandPeriod(date(2026, 1, 1), date(2026, 8, 31))),
        ((Category.TRAFFIC,), DemandPeriod(date(2026, 3, 1), date(2026, 3, 31))),
    }
    # Subscriber records of any day in the demand's period, traffic only in March.
    assert (
        auth.refusal("us-east", "acct-1", Category.TRAFFIC, datetime(2026, 3, 5, tzinfo=UTC))
        is None
    )
    refusal = auth.refusal("us-east", "acct-1", Category.TRAFFIC, datetime(2026, 5, 5, tzinfo=UTC))
    assert refusal is not None
    assert "none of the 2 grants for region us-east" in refusal


def test_refusals_are_one_clear_sentence_each() -> None:
    with pytest.raises(Conflict, match="is in_review; only an approved or partly approved"):
        _authorize(reach(CaseState.IN_REVIEW))
    with pytest.raises(Forbidden, match="may not be disclosed: emergency request awaiting"):
        _authorize(
            reach(CaseState.APPROVED),
            blocked_reason="emergency request awaiting a call-back to the agency's contact",
        )
    with pytest.raises(Conflict, match="no longer names an account"):
        _authorize(reach(CaseState.APPROVED), accounts={})
    done = reach(CaseState.APPROVED)
    done = done.model_copy(update={"produced": (SUBSCRIBER.key, CONTENT.key)})
    with pytest.raises(Conflict, match="approves nothing that the provider holds"):
        _authorize(done)
