"""Audit actions are a closed list (issue 12), and the stored strings stay what they were."""

from __future__ import annotations

import typing
from datetime import UTC, datetime

import pytest

from comity.domain.audit import AuditAction, AuditEvent
from comity.domain.case.transitions import Action as CaseAction
from comity.domain.court_events import CourtEvent

T0 = datetime(2026, 11, 23, tzinfo=UTC)


def test_every_workflow_step_and_court_event_has_its_action() -> None:
    """The case writes ``case:<step>`` and ``case:court:<kind>``; each must be on the list."""
    for step in CaseAction:
        assert AuditAction(f"case:{step.value}")
    kinds = {
        kind
        for member in typing.get_args(typing.get_args(CourtEvent)[0])
        for kind in typing.get_args(member.model_fields["kind"].annotation)
    }
    assert "ruling" in kinds
    for kind in kinds:
        assert AuditAction(f"case:court:{kind}")


def test_an_action_not_on_the_list_is_refused_before_anything_is_written() -> None:
    with pytest.raises(ValueError, match=r"'case:teleported' is not in comity\.domain\.audit"):
        AuditEvent.of(T0, "x", "case:teleported", "case/1", {})
    event = AuditEvent.of(T0, "x", AuditAction.USER_CREATED, "user/x", {})
    assert event.action == "user:created"
    assert type(event.action) is str  # stored and hashed as the plain string


def test_stored_strings_are_unchanged() -> None:
    """A sample of the strings logs already hold: renaming a member must not change them."""
    assert AuditAction.DEMAND_RECEIVED == "demand:received"
    assert AuditAction.USER_SIGNED_IN == "user:signed-in"
    assert AuditAction.CUSTODY_INGEST_STARTED == "custody:ingest_started"
    assert AuditAction.CASE_NOTICE_NON_DISCLOSURE == "case:notice:non_disclosure"
    assert len({a.value for a in AuditAction}) == len(AuditAction)
