"""The portal's one status (issue 15): every case state reads in plain words, and what intake
ended (withdrawn, refused on call-back) wins over the case."""

from __future__ import annotations

import pytest

from comity.domain.case.model import CaseState
from comity.entrypoints.web import portal_status


def test_every_case_state_has_plain_words() -> None:
    # A state added to the workflow without words here would be a 500 on the requester's page.
    assert set(portal_status._BY_STATE) == {s.value for s in CaseState}
    for status in portal_status._BY_STATE.values():
        assert status.headline
        assert status.next_step.endswith(".")
        assert status.waits_on


@pytest.mark.parametrize("state", ["closed", "withdrawn", "rejected"])
def test_a_finished_case_waits_on_nobody(state: str) -> None:
    assert portal_status._BY_STATE[state].waits_on == portal_status.NOBODY


def test_delivered_and_redirected_wait_on_the_requester() -> None:
    assert portal_status._BY_STATE["delivered"].waits_on == "you"
    assert portal_status._BY_STATE["redirected"].waits_on == "you"
