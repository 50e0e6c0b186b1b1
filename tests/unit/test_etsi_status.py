"""The HI-1 status table (docs/etsi.md "Statuses"): case state and findings to task statuses."""

from __future__ import annotations

import pytest
from tests.unit.case_helpers import reach

from comity.domain.intake import DemandStatus
from comity.domain.workflow import CaseState
from comity.services.etsi.status import authorisation_status, ld_task_status, lp_task_status

RECEIVED = DemandStatus.RECEIVED


@pytest.mark.parametrize(
    ("state", "categories", "published", "expected"),
    [
        (CaseState.RECEIVED, ("subscriber",), False, "AwaitingApproval"),
        (CaseState.IN_REVIEW, ("subscriber",), False, "AwaitingApproval"),
        (CaseState.OBJECTED, ("content",), False, "AwaitingApproval"),
        # The traffic finding is no_data: nothing to disclose, whatever the case's state.
        (CaseState.IN_REVIEW, ("traffic",), False, "DisclosureNotAvailable"),
        (CaseState.APPROVED, ("subscriber",), False, "AwaitingDisclosure"),
        (CaseState.APPROVED, ("subscriber", "traffic"), False, "AwaitingDisclosure"),
        (CaseState.APPROVED, ("subscriber",), True, "Disclosed"),
        (CaseState.DELIVERED, ("content",), False, "Disclosed"),
        # Partly approved: content was withheld, subscriber produced.
        (CaseState.PARTLY_APPROVED, ("content",), False, "Rejected"),
        (CaseState.PARTLY_APPROVED, ("subscriber",), False, "AwaitingDisclosure"),
        (CaseState.REJECTED, ("subscriber",), False, "Rejected"),
        (CaseState.REDIRECTED, ("content",), False, "Rejected"),
        (CaseState.WITHDRAWN, ("content",), False, "Cancelled"),
    ],
)
def test_ld_task_status_follows_the_case_and_its_findings(
    state: CaseState, categories: tuple[str, ...], published: bool, expected: str
) -> None:
    status = ld_task_status(categories, RECEIVED, reach(state), published=published)
    assert status.value == expected


def test_a_withheld_task_says_why() -> None:
    status = ld_task_status(
        ("content",), RECEIVED, reach(CaseState.PARTLY_APPROVED), published=False
    )
    assert status.reason == "the provider withheld this data after review"


def test_before_a_case_opens_tasks_await_and_a_refused_demand_is_rejected() -> None:
    assert ld_task_status(("content",), RECEIVED, None, published=False).value == (
        "AwaitingApproval"
    )
    assert lp_task_status(("content",), RECEIVED, None).value == "AwaitingPreservation"
    refused = ld_task_status(("content",), DemandStatus.REFUSED, None, published=False)
    assert refused.value == "Rejected"
    assert "not verified" in (refused.reason or "")
    assert lp_task_status(("content",), DemandStatus.WITHDRAWN, None).value == "Cancelled"


def test_lp_task_without_data_is_not_available() -> None:
    status = lp_task_status(("traffic",), RECEIVED, reach(CaseState.IN_REVIEW))
    assert status.value == "PreservationNotAvailable"


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (CaseState.IN_REVIEW, "AwaitingApproval"),
        (CaseState.APPROVED, "Approved"),
        (CaseState.CLOSED, "Approved"),
        (CaseState.REJECTED, "Rejected"),
        (CaseState.WITHDRAWN, "Cancelled"),
    ],
)
def test_authorisation_status_is_approved_once_the_approver_signed_off(
    state: CaseState, expected: str
) -> None:
    assert authorisation_status(RECEIVED, reach(state)).value == expected
