"""Transparency figures: one outcome per demand, counted per country and legal process."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from tests.unit.case_helpers import ADMIN, CONTENT, NOTHING, SYSTEM, new_case, reach, tick

from comity.domain.transparency import (
    DemandFacts,
    Outcome,
    half_year,
    outcome,
    tabulate,
)
from comity.domain.workflow import Case, CaseState
from comity.errors import InvalidInput


def facts(
    case: Case | None,
    *,
    country: str = "US",
    instrument: str = "us.warrant",
    received: date = date(2026, 9, 1),
    withdrawn: bool = False,
    refused: bool = False,
) -> DemandFacts:
    return DemandFacts(
        demand_id="d",
        received_on=received,
        country=country,
        instrument=instrument,
        accounts_specified=1,
        emergency=False,
        withdrawn=withdrawn,
        refused_at_intake=refused,
        case=case,
    )


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (reach(CaseState.DELIVERED), Outcome.CONTENT_DISCLOSED),
        (reach(CaseState.CLOSED), Outcome.CONTENT_DISCLOSED),
        (reach(CaseState.REJECTED), Outcome.REJECTED),
        (reach(CaseState.REDIRECTED), Outcome.REJECTED),
        (reach(CaseState.OBJECTED), Outcome.REJECTED),
        (reach(CaseState.WITHDRAWN), Outcome.WITHDRAWN),
        (reach(CaseState.IN_REVIEW), Outcome.PENDING),
        (reach(CaseState.APPROVED), Outcome.PENDING),
        (None, Outcome.PENDING),
    ],
    ids=lambda v: v.state.value if isinstance(v, Case) else str(v),
)
def test_each_case_state_counts_under_one_outcome(case: Case | None, expected: Outcome) -> None:
    assert outcome(facts(case)) is expected


def test_content_withheld_means_only_non_content_was_disclosed() -> None:
    partly = reach(CaseState.PARTLY_APPROVED)
    partly, _ = partly.start_production(ADMIN, tick(7))
    partly, _ = partly.deliver(ADMIN, tick(8))
    assert outcome(facts(partly)) is Outcome.NON_CONTENT_ONLY


def test_no_data_found_only_when_every_finding_is_no_data() -> None:
    nothing, _ = new_case().assess([NOTHING], SYSTEM, tick(1))
    assert outcome(facts(nothing)) is Outcome.NO_DATA_FOUND
    some, _ = new_case().assess([NOTHING, CONTENT], SYSTEM, tick(1))
    assert outcome(facts(some)) is Outcome.PENDING


def test_intake_refusal_and_withdrawal_win_over_an_open_case() -> None:
    assert outcome(facts(reach(CaseState.IN_REVIEW), refused=True)) is Outcome.REJECTED
    assert outcome(facts(reach(CaseState.IN_REVIEW), withdrawn=True)) is Outcome.WITHDRAWN
    # ... but what was delivered stays disclosed.
    assert outcome(facts(reach(CaseState.DELIVERED), withdrawn=True)) is Outcome.CONTENT_DISCLOSED


def test_rows_per_country_and_process_with_percentages_and_the_period_bounds() -> None:
    demands = [
        facts(reach(CaseState.DELIVERED)),
        facts(reach(CaseState.REJECTED)),
        facts(reach(CaseState.IN_REVIEW), country="IE", instrument="ie.production_order"),
        facts(reach(CaseState.DELIVERED), received=date(2026, 6, 30)),  # the day before
        facts(reach(CaseState.DELIVERED), received=date(2027, 1, 1)),  # the day after
    ]
    report = tabulate(demands, *half_year("2026-H2"))
    assert [(r.country, r.instrument, r.requests) for r in report.rows] == [
        ("IE", "ie.production_order", 1),
        ("US", "us.warrant", 2),
    ]
    us = report.rows[1]
    assert us.share(Outcome.CONTENT_DISCLOSED) == 50.0
    assert us.share(Outcome.REJECTED) == 50.0
    assert us.some_data_produced == 50.0
    assert report.total.requests == 3
    # The Dublin content finding of a US warrant is what Microsoft reports separately.
    assert us.us_warrants_for_content_abroad == 2
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert [r["country"] for r in rows] == ["IE", "US", "all"]
    assert rows[1]["content_disclosed_percent"] == "50.0"
    assert "| US | us.warrant | 2 | 2 | 1 (50.0%)" in report.to_markdown()


def test_bad_periods_are_named() -> None:
    with pytest.raises(InvalidInput, match="the start 2026-07-01 is after the end 2026-01-01"):
        tabulate([], date(2026, 7, 1), date(2026, 1, 1))
    with pytest.raises(InvalidInput, match="expected a half-year such as 2026-H1"):
        half_year("2026-H3")
