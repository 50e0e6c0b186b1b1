"""The one permission table (issue 12): roles, standing, four eyes, own account, last admin."""

from __future__ import annotations

import pytest
from tests.unit.case_helpers import reach, reviewed

from comity.domain import permissions
from comity.domain.case.model import CaseState
from comity.domain.case.transitions import TABLE as CASE_TABLE
from comity.domain.case.transitions import Action as CaseAction
from comity.domain.permissions import Action, allowed_actions, check, may
from comity.domain.registry import StaffRole, User, UserStatus
from comity.errors import Conflict, Forbidden

REVIEWER = User("rita", "Rita", "rita@p.example", frozenset({StaffRole.REVIEWER}))
APPROVER = User("alan", "Alan", "alan@p.example", frozenset({StaffRole.APPROVER}))
ADMIN = User("ada", "Ada", "ada@p.example", frozenset({StaffRole.ADMINISTRATOR}))
AUDITOR = User("aud", "Aud", "aud@p.example", frozenset({StaffRole.AUDITOR}))
REQUESTER = User("agent-7", "Agent", "a7@dea.gov", agency_id="us-dea", may_download=True)


def _with(user: User, status: UserStatus) -> User:
    return User(user.id, user.name, user.email, user.roles, user.agency_id, status=status)


def test_case_rows_are_the_workflow_table_read_for_staff_roles() -> None:
    for action in CaseAction:
        workflow_roles = CASE_TABLE[action].roles
        if any(r.value == "system" for r in workflow_roles):
            assert action.value not in permissions.TABLE  # Comity's own steps
            continue
        row = permissions.TABLE[action.value]
        assert {r.value for r in row.roles} == {
            r.value for r in workflow_roles if r.value in {s.value for s in StaffRole}
        }
        assert row.requester == any(r.value == "requester" for r in workflow_roles)


def test_who_starts_a_production_has_one_answer() -> None:
    """It used to be approver-or-administrator in the case and administrator-only in the
    production service; now both read this row, and delivery follows the same row."""
    start = permissions.TABLE[CaseAction.START_PRODUCTION.value].roles
    assert start == {StaffRole.APPROVER, StaffRole.ADMINISTRATOR}
    assert permissions.TABLE[CaseAction.DELIVER.value].roles == start
    check(APPROVER, CaseAction.START_PRODUCTION)
    check(ADMIN, CaseAction.START_PRODUCTION)
    for user in (REVIEWER, AUDITOR, REQUESTER):
        with pytest.raises(Forbidden):
            check(user, CaseAction.START_PRODUCTION)


@pytest.mark.parametrize("status", [UserStatus.SUSPENDED, UserStatus.BLOCKLISTED])
def test_staff_out_of_standing_may_do_nothing(status: UserStatus) -> None:
    for user in (REVIEWER, APPROVER, ADMIN, AUDITOR):
        out = _with(user, status)
        assert allowed_actions(out) == []
        assert allowed_actions(out, reach(CaseState.IN_REVIEW)) == []
        with pytest.raises(Forbidden, match=f"the account {user.id} is {status.value}"):
            check(out, Action.READ)


def test_a_blocklisted_requester_may_do_nothing_a_suspended_one_files_to_be_flagged() -> None:
    assert allowed_actions(_with(REQUESTER, UserStatus.BLOCKLISTED)) == []
    suspended = _with(REQUESTER, UserStatus.SUSPENDED)
    assert may(suspended, Action.SUBMIT_DEMAND)
    assert not may(suspended, Action.HANDLE_DEMAND)


def test_allowed_actions_without_a_case_follow_the_roles() -> None:
    assert allowed_actions(AUDITOR) == ["read", "read_internal"]
    assert allowed_actions(REVIEWER) == [
        "read",
        "read_internal",
        "submit_demand",
        "handle_demand",
        "download",
    ]
    assert "verify_demand" in allowed_actions(APPROVER)
    assert "manage_users" not in allowed_actions(APPROVER)
    assert set(allowed_actions(ADMIN)) == {a.value for a in Action}
    assert allowed_actions(REQUESTER) == ["read", "submit_demand", "download"]


def test_allowed_actions_on_a_case_follow_state_roles_and_four_eyes() -> None:
    in_review = reach(CaseState.IN_REVIEW)
    assert allowed_actions(AUDITOR, in_review) == []
    assert "approve" not in allowed_actions(REVIEWER, in_review)
    assert "approve" not in allowed_actions(APPROVER, in_review)  # nothing recommended yet
    recommended = reviewed(in_review)
    assert recommended.recommended_by is not None
    recommender = User(
        recommended.recommended_by,
        "R",
        "r@p.example",
        frozenset({StaffRole.REVIEWER, StaffRole.APPROVER}),
    )
    assert "approve" not in allowed_actions(recommender, recommended)
    assert "approve" in allowed_actions(APPROVER, recommended)
    approved = reach(CaseState.APPROVED)
    assert allowed_actions(APPROVER, approved) == [
        a for a in approved.allowed_actions() if a in {"object", "start_production"}
    ]
    assert allowed_actions(REQUESTER, in_review) == ["withdraw"]


def test_an_unknown_action_is_allowed_to_nobody() -> None:
    with pytest.raises(Forbidden, match="not an action anyone may take"):
        check(ADMIN, "drop_tables")


def test_status_changes_never_lock_out_oneself_or_the_last_administrator() -> None:
    other_admin = User("bo", "Bo", "bo@p.example", frozenset({StaffRole.ADMINISTRATOR}))
    admins = [ADMIN, other_admin]
    for status in (UserStatus.SUSPENDED, UserStatus.BLOCKLISTED):
        with pytest.raises(Conflict, match="your own account"):
            permissions.check_status_change(ADMIN.id, ADMIN, status, admins)
        permissions.check_status_change(ADMIN.id, other_admin, status, admins)
        with pytest.raises(Conflict, match="ada is the last active administrator"):
            permissions.check_status_change("cli", ADMIN, status, [ADMIN])
        suspended_other = _with(other_admin, UserStatus.SUSPENDED)
        with pytest.raises(Conflict, match="last active administrator"):
            permissions.check_status_change("cli", ADMIN, status, [ADMIN, suspended_other])
        permissions.check_status_change("cli", REVIEWER, status, [ADMIN])
    # Reactivating is always allowed, oneself included.
    permissions.check_status_change(ADMIN.id, ADMIN, UserStatus.ACTIVE, [ADMIN])


def test_a_requester_downloads_only_when_the_provider_allows_it() -> None:
    check(REQUESTER, Action.DOWNLOAD)
    barred = User("agent-8", "Agent", "a8@dea.gov", agency_id="us-dea")
    assert "download" not in allowed_actions(barred)
    with pytest.raises(Forbidden, match=r"may not download productions.*\(may_download\)"):
        check(barred, Action.DOWNLOAD)
