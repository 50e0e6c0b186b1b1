"""Sharing decisions between dates is exact: same findings as evaluating each date itself."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from comity.adapters.law_files import read_scenario
from comity.law.engine import LawEngine
from comity.law.pack import date_thresholds

SCENARIOS = Path(__file__).resolve().parents[2] / "src" / "comity" / "law" / "scenarios"
CASES = [
    read_scenario(SCENARIOS / n)
    for n in (
        "us-microsoft-ireland-ca2.yaml",
        "eu-epoc-judge.yaml",
        "uk-opo.yaml",
        "us-cloud-2703h.yaml",
        "be-order.yaml",
    )
]
BUCKETED = LawEngine.load()
EXACT = LawEngine(dataclasses.replace(BUCKETED.pack, date_thresholds=None))


@settings(max_examples=60, deadline=None)
@given(
    day=st.dates(min_value=date(1985, 1, 1), max_value=date(2030, 12, 31)),
    which=st.integers(min_value=0, max_value=len(CASES) - 1),
)
def test_bucketed_dates_decide_exactly_like_exact_dates(day: date, which: int) -> None:
    sc = CASES[which]
    accounts = {s: a for a in sc.accounts for s in a.selectors}
    a = BUCKETED.assess(sc.demand, sc.deployment, accounts, day).to_document()
    b = EXACT.assess(sc.demand, sc.deployment, accounts, day).to_document()
    assert a == b


def test_thresholds_are_refused_when_a_policy_uses_the_date_otherwise() -> None:
    compare = {">=": {"left": {".": {"left": {"Var": "context"}, "attr": "as_of"}},
                      "right": {"Value": 20180323}}}  # fmt: skip
    arithmetic = {"*": {"left": {".": {"left": {"Var": "context"}, "attr": "as_of"}},
                        "right": {"Value": 2}}}  # fmt: skip
    assert date_thresholds([{"p": compare}]) == (20180323, 20180324)
    assert date_thresholds([{"p": compare}, {"q": arithmetic}]) is None
    assert BUCKETED.pack.date_thresholds is not None
