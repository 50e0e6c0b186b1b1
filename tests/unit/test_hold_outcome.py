"""The agent's answer to a hold instruction (ADR 0014) as the control plane reads it: what the
agent sends round-trips exactly, and an answer about another hold or region, or one that does
not add up, is refused before anything reaches the audit log."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comity.errors import IntegrityError
from comity.services.custody.hold_ports import (
    HELD,
    HOLD_FAILED,
    RELEASE_FAILED,
    RELEASED,
    HoldOutcome,
    InPlaceAnswer,
)
from comity.services.custody.snapshots import Snapshot

names = st.text(min_size=1, max_size=12)
digests = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


@st.composite
def answers(draw: st.DrawFn) -> InPlaceAnswer:
    outcome = draw(st.sampled_from([HELD, HOLD_FAILED, RELEASED, RELEASE_FAILED]))
    failed = outcome in (HOLD_FAILED, RELEASE_FAILED)
    return InPlaceAnswer(
        draw(names),
        draw(names),
        outcome,
        held=tuple(draw(st.lists(st.dictionaries(names, names, max_size=3), max_size=2))),
        removed=tuple(draw(st.lists(names, max_size=2))),
        error=draw(names) if failed else None,
    )


@st.composite
def outcomes(draw: st.DrawFn) -> HoldOutcome:
    records = draw(st.lists(st.tuples(names, digests), max_size=5))
    snapshot = None
    if draw(st.booleans()):
        taken = draw(
            st.datetimes(
                min_value=datetime(2000, 1, 1),
                max_value=datetime(2100, 1, 1),
                timezones=st.just(UTC),
            )
        )
        snapshot = Snapshot(
            "case-1/hold-1", "eu-ie", "acct-1", taken, {"mail": len(records)}, records
        )
    return HoldOutcome(
        "eu-ie", "case-1/hold-1", snapshot, tuple(draw(st.lists(answers(), max_size=3)))
    )


@given(outcomes())
def test_the_agents_answer_round_trips_through_json(outcome: HoldOutcome) -> None:
    wire = json.loads(json.dumps(outcome.to_document()))
    assert HoldOutcome.from_document(wire, region="eu-ie", hold_id="case-1/hold-1") == outcome


def test_an_answer_about_another_hold_or_that_does_not_add_up_is_refused() -> None:
    taken = datetime(2026, 11, 30, tzinfo=UTC)
    good = HoldOutcome(
        "eu-ie",
        "case-1/hold-1",
        Snapshot("case-1/hold-1", "eu-ie", "a", taken, {"mail": 1}, [("m:1", "0" * 64)]),
    ).to_document()
    with pytest.raises(IntegrityError, match="not hold case-1/hold-2"):
        HoldOutcome.from_document(good, region="eu-ie", hold_id="case-1/hold-2")
    with pytest.raises(IntegrityError, match="does not add up"):
        HoldOutcome.from_document(
            {**good, "snapshot": {**good["snapshot"], "counts": {"mail": 2}}},
            region="eu-ie",
            hold_id="case-1/hold-1",
        )
    with pytest.raises(IntegrityError, match="not SHA-256"):
        HoldOutcome.from_document(
            {**good, "snapshot": {**good["snapshot"], "records": [{"id": "m:1", "sha256": "x"}]}},
            region="eu-ie",
            hold_id="case-1/hold-1",
        )
    failed_without_error = {
        "source": "mail",
        "account": "a",
        "outcome": HOLD_FAILED,
        "held": [],
        "removed": [],
        "error": None,
    }
    with pytest.raises(IntegrityError, match="in-place answer"):
        HoldOutcome.from_document(
            {**good, "in_place": [failed_without_error]}, region="eu-ie", hold_id="case-1/hold-1"
        )
    with pytest.raises(IntegrityError, match="answered a hold with no outcome"):
        HoldOutcome.from_document(None, region="eu-ie", hold_id="case-1/hold-1")
