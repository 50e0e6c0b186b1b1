"""The signed hold instruction (ADR 0014): its wire form round-trips, a change to any byte of it
breaks the signature, it is refused outside its region and its minutes, and an instruction that
would shorten or undo a hold the region keeps is named as such."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.hold_support import place_instruction

from comity.adapters.signing.ed25519 import SigningKey
from comity.adapters.signing.hold_instructions import (
    sign_hold_instruction,
    verify_hold_instruction,
)
from comity.domain.accounts import Selector
from comity.domain.categories import Category
from comity.domain.hold_instruction import (
    CLOCK_SKEW,
    VALIDITY,
    HoldAction,
    HoldInstruction,
    SignedHoldInstruction,
    check_current,
)
from comity.errors import IntegrityError, InvalidInput

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
KEY = SigningKey.generate()


def _instruction(**changes: object) -> HoldInstruction:
    return place_instruction(T0, **changes)


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)
moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2190, 1, 1), timezones=st.just(UTC)
)


@st.composite
def instructions(draw: st.DrawFn) -> HoldInstruction:
    action = draw(st.sampled_from(list(HoldAction)))
    released = None if action is HoldAction.PLACE else draw(st.none() | moments)
    if action is HoldAction.RELEASE and released is None:
        released = draw(moments)
    return HoldInstruction(
        id=draw(texts),
        action=action,
        hold_id=draw(texts),
        case_id=draw(texts),
        account_id=draw(texts),
        selectors=tuple(
            Selector(t, v) for t, v in draw(st.lists(st.tuples(texts, texts), max_size=3))
        ),
        categories=tuple(draw(st.sets(st.sampled_from(list(Category)), min_size=1))),
        region=draw(texts),
        placed_at=draw(moments),
        expires_at=draw(st.none() | moments),
        released_at=released,
        issued_at=draw(moments),
        issuer=draw(texts),
    )


@given(instructions())
def test_the_wire_form_round_trips_and_still_verifies(instruction: HoldInstruction) -> None:
    signed = sign_hold_instruction(instruction, KEY)
    back = SignedHoldInstruction.from_bytes(signed.to_bytes())
    assert back == signed
    now = instruction.issued_at
    verified = verify_hold_instruction(back, [KEY.public], now=now, region=instruction.region)
    assert verified == instruction


@given(instructions(), st.data())
def test_any_changed_field_breaks_the_signature(
    instruction: HoldInstruction, data: st.DataObject
) -> None:
    signed = sign_hold_instruction(instruction, KEY)
    changed = replace(
        instruction, account_id=instruction.account_id + data.draw(texts, label="suffix")
    )
    forged = SignedHoldInstruction(changed, signed.key_id, signed.signature)
    with pytest.raises(IntegrityError, match="signature does not verify"):
        verify_hold_instruction(forged, [KEY.public], now=changed.issued_at, region=changed.region)


def test_an_instruction_signed_by_another_key_is_refused() -> None:
    other = SigningKey.generate()
    signed = sign_hold_instruction(_instruction(), other)
    with pytest.raises(IntegrityError, match="not among the given keys"):
        verify_hold_instruction(signed, [KEY.public], now=T0, region="eu-ie")


def test_it_is_current_only_in_its_region_and_its_minutes() -> None:
    instruction = _instruction()
    check_current(instruction, now=T0 + VALIDITY - timedelta(seconds=1), region="eu-ie")
    check_current(instruction, now=T0 - CLOCK_SKEW, region="eu-ie")  # a clock a bit behind
    with pytest.raises(IntegrityError, match="is for region eu-ie, not us-west"):
        check_current(instruction, now=T0, region="us-west")
    with pytest.raises(IntegrityError, match=r"was current until .*; it is not carried out"):
        check_current(instruction, now=T0 + VALIDITY, region="eu-ie")
    with pytest.raises(IntegrityError, match="check the hosts' clocks"):
        check_current(instruction, now=T0 - CLOCK_SKEW - timedelta(seconds=1), region="eu-ie")


def test_a_malformed_instruction_names_each_bad_field() -> None:
    doc = _instruction().to_document()
    doc.update(action="freeze", categories=["content", "dreams"], placed_at="yesterday")
    del doc["hold"]
    with pytest.raises(InvalidInput) as bad:
        HoldInstruction.from_document(doc)
    problems = bad.value.problems
    assert any(p.startswith("instruction.action: expected one of place, mark") for p in problems)
    assert any(p.startswith("instruction.categories[1]") for p in problems)
    assert "instruction.placed_at: expected a date and time with a zone" in problems
    assert "instruction.hold: expected a non-empty string" in problems
    with pytest.raises(IntegrityError, match="not valid JSON"):
        SignedHoldInstruction.from_bytes(b"{nope")
    signed = sign_hold_instruction(_instruction(), KEY).to_bytes()
    with pytest.raises(IntegrityError, match="malformed: "):
        SignedHoldInstruction.from_bytes(signed.replace(b'"place"', b'"freeze"'))


def test_a_release_names_its_time_and_a_placing_cannot_carry_one() -> None:
    with pytest.raises(InvalidInput, match="a release names when the hold was released"):
        _instruction(action=HoldAction.RELEASE)
    with pytest.raises(InvalidInput, match="a place may not carry released_at"):
        _instruction(released_at=T0)


def test_an_instruction_may_lengthen_or_end_a_hold_never_shorten_or_revive_it() -> None:
    kept_until = T0 + timedelta(days=90)
    longer = _instruction(action=HoldAction.MARK, expires_at=T0 + timedelta(days=180))
    assert longer.refusal_against(kept_until, None) is None
    assert (
        _instruction(action=HoldAction.MARK, expires_at=None).refusal_against(kept_until, None)
        is None
    )  # confirmed: kept until released
    release = _instruction(action=HoldAction.RELEASE, released_at=T0 + timedelta(days=1))
    assert release.refusal_against(None, None) is None
    assert release.refusal_against(kept_until, T0) is None  # told twice: the same end
    shorter = _instruction(action=HoldAction.MARK, expires_at=T0 + timedelta(days=30))
    assert "is kept until 2027-02-28" in (shorter.refusal_against(kept_until, None) or "")
    assert "kept until released" in (shorter.refusal_against(None, None) or "")
    revived = _instruction()
    assert "was released at" in (revived.refusal_against(kept_until, T0) or "")
