"""Who may do what: one table, read by every entry point (API, console, portal, CLI).

Each action names the staff roles that may take it, whether a requester may, and the extra
conditions that apply. Case actions are not restated here: their roles come from the case
workflow's own table (``domain.case.transitions.TABLE``), translated from workflow roles to staff
roles, so the services, the console and the case itself give one answer (issue 12: who may start
a production used to be answered two ways).

The conditions, and why:

- **standing**: a staff member who is suspended or blocklisted may do nothing, and an API token or
  console session they hold stops working at once (an account is suspended because it may be in
  the wrong hands). A blocklisted requester may do nothing (FBI PIN, 4 Nov 2024: compromised
  government accounts are used to send fraudulent emergency requests). A *suspended* requester may
  still file and follow their own demands: what they file is flagged ``requester_suspended`` and
  blocked from disclosure until staff clear it (practice.md, "What the existing request platforms
  offer"; docs/intake.md), so staff see the attempt instead of losing it.
- **agency scope**: a requester acts only on their own agency's demands and cases; any other is
  answered as if it did not exist (the services apply it where the record is loaded).
- **four eyes**: the approver of a recommendation is never the reviewer who made it (the case
  enforces it; ``allowed_actions`` hides ``approve`` from the recommending reviewer).
- **last administrator / own account**: an administrator may not suspend or blocklist their own
  account, and the last active administrator is never suspended or blocklisted, so the deployment
  always keeps someone able to manage it (``status_change_problem``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from comity.domain.case.model import CaseState, WorkflowRole
from comity.domain.case.transitions import TABLE as CASE_TABLE
from comity.domain.case.transitions import Action as CaseAction
from comity.domain.case.transitions import allowed_actions as state_actions
from comity.domain.registry import ADMINS, HANDLERS, READERS, VERIFIERS, StaffRole, User, UserStatus
from comity.errors import Conflict, Forbidden

if TYPE_CHECKING:
    from comity.domain.case.case import Case


class Action(StrEnum):
    """Everything a caller can be allowed to do outside a case's own workflow steps."""

    #: Read demands and cases (a requester: their own agency's, without the internal review).
    READ = "read"
    #: Read what only staff see: assessments, the queue's internals, what is due, the registry,
    #: reports and audit entries (auditors included: they read, never change).
    READ_INTERNAL = "read_internal"
    #: File a demand (a requester for their agency; staff on an agency's behalf).
    SUBMIT_DEMAND = "submit_demand"
    #: Work a demand: open its case, run or re-run an assessment, record a call-back, message.
    HANDLE_DEMAND = "handle_demand"
    #: Clear a demand for disclosure after checking the requester out of band.
    VERIFY_DEMAND = "verify_demand"
    #: Change the authority registry.
    MANAGE_REGISTRY = "manage_registry"
    #: Create users, issue credentials, enrol second factors, set passwords.
    MANAGE_USERS = "manage_users"
    #: Suspend, blocklist or reactivate a user (plus the own-account and last-admin conditions).
    SET_USER_STATUS = "set_user_status"
    #: Read a published package or create a download link for it.
    DOWNLOAD = "download"


@dataclass(frozen=True)
class Permission:
    """One row: the staff roles that may act, whether a requester may, and what else applies."""

    action: str
    roles: frozenset[StaffRole]
    requester: bool
    conditions: tuple[str, ...]


_ALL = READERS
_HANDLERS = HANDLERS
_VERIFIERS = VERIFIERS
_ADMINS = ADMINS

#: Workflow roles held by staff roles (an auditor holds none: auditors read, never act).
STAFF_TO_WORKFLOW: dict[StaffRole, WorkflowRole] = {
    StaffRole.REVIEWER: WorkflowRole.REVIEWER,
    StaffRole.APPROVER: WorkflowRole.APPROVER,
    StaffRole.ADMINISTRATOR: WorkflowRole.ADMINISTRATOR,
}


def _case_row(action: CaseAction) -> Permission:
    rule = CASE_TABLE[action]
    roles = frozenset(s for s, w in STAFF_TO_WORKFLOW.items() if w in rule.roles)
    conditions = ["standing", "state"]
    if action is CaseAction.APPROVE:
        conditions.append("four eyes")
    requester = WorkflowRole.REQUESTER in rule.roles
    if requester:
        conditions.append("agency scope")
    return Permission(action.value, roles, requester, tuple(conditions))


TABLE: dict[str, Permission] = {
    p.action: p
    for p in (
        Permission(Action.READ, _ALL, True, ("standing", "agency scope")),
        Permission(Action.READ_INTERNAL, _ALL, False, ("standing",)),
        Permission(Action.SUBMIT_DEMAND, _HANDLERS, True, ("standing", "agency scope")),
        Permission(Action.HANDLE_DEMAND, _HANDLERS, False, ("standing",)),
        Permission(Action.VERIFY_DEMAND, _VERIFIERS, False, ("standing",)),
        Permission(Action.MANAGE_REGISTRY, _ADMINS, False, ("standing",)),
        Permission(Action.MANAGE_USERS, _ADMINS, False, ("standing",)),
        Permission(
            Action.SET_USER_STATUS,
            _ADMINS,
            False,
            ("standing", "own account", "last administrator"),
        ),
        Permission(Action.DOWNLOAD, _HANDLERS, True, ("standing", "agency scope", "may_download")),
        # The case workflow's steps that people take (``assess``/``reassess`` are Comity's own).
        *(_case_row(a) for a in CaseAction if WorkflowRole.SYSTEM not in CASE_TABLE[a].roles),
    )
}


def standing_problem(user: User) -> str | None:
    """Why ``user`` may do nothing at all right now, or None (see the module doc)."""
    if user.status is UserStatus.BLOCKLISTED:
        return f"the account {user.id} is blocklisted"
    if user.is_staff and user.status is not UserStatus.ACTIVE:
        return f"the account {user.id} is {user.status.value}"
    return None


def _row(action: str) -> Permission:
    try:
        return TABLE[action]
    except KeyError:
        # Fail closed: an action nobody listed is allowed to nobody.
        raise Forbidden(f"{action!r} is not an action anyone may take") from None


def may(user: User, action: str) -> bool:
    """Whether ``user``'s roles and standing allow ``action`` (conditions on a particular record,
    such as agency scope or four eyes, are checked where the record is loaded)."""
    row = _row(action)
    if standing_problem(user) is not None:
        return False
    if user.is_staff:
        return bool(user.roles & row.roles)
    if action == Action.DOWNLOAD:
        return user.may_download  # the provider allows downloads per requester (practice.md)
    return row.requester


def check(user: User, action: str) -> None:
    """Refuse (403) unless ``user`` may take ``action``, in one sentence naming what is missing."""
    row = _row(action)
    why = standing_problem(user)
    if why is not None:
        raise Forbidden(f"{why}; it may not {action.replace('_', ' ')}")
    if user.is_staff and not user.roles & row.roles:
        needed = ", ".join(sorted(r.value for r in row.roles)) or "no staff role"
        raise Forbidden(f"this needs a staff member with one of the roles: {needed}")
    if not user.is_staff and not row.requester:
        raise Forbidden(f"{user.id} is a requester: {action.replace('_', ' ')} is for staff only")
    if not user.is_staff and action == Action.DOWNLOAD and not user.may_download:
        raise Forbidden(
            f"{user.id} may not download productions; the provider must allow downloads for "
            "this requester (may_download)"
        )


def allowed_actions(user: User, case: Case | None = None) -> list[str]:
    """What ``user`` may do, for the console and API to show: without a case, the actions of
    ``Action`` their roles and standing allow; with one, the case's next steps the state, their
    roles and four eyes allow (the caller has already checked they may see the case)."""
    if case is None:
        return [a.value for a in Action if may(user, a)]
    return case_steps(user, case.state, case.recommended_by)


def case_steps(user: User, state: CaseState, recommended_by: str | None) -> list[str]:
    """A case's next steps for ``user``, from the two things they depend on: its state and who
    recommended it. Lists call this with those two values read from indexed columns, without
    decoding the case (``allowed_actions`` calls it with the case's own)."""
    steps = [a for a in state_actions(state) if a in TABLE and may(user, a)]
    if recommended_by is None or recommended_by == user.id:
        # Four eyes: approval needs someone's recommendation, and someone else to approve it.
        steps = [a for a in steps if a != CaseAction.APPROVE.value]
    return steps


def status_change_problem(
    actor_id: str, target: User, status: UserStatus, administrators: Iterable[User]
) -> str | None:
    """Why ``actor_id`` may not give ``target`` the ``status``, or None.

    ``administrators`` are the deployment's staff with the administrator role (any standing).
    """
    if status is UserStatus.ACTIVE:
        return None
    if target.id == actor_id:
        return f"you cannot make your own account {status.value}; another administrator must do it"
    others = [
        a
        for a in administrators
        if a.id != target.id
        and a.status is UserStatus.ACTIVE
        and StaffRole.ADMINISTRATOR in a.roles
    ]
    if target.has(_ADMINS) and target.status is UserStatus.ACTIVE and not others:
        return (
            f"{target.id} is the last active administrator; make another administrator "
            f"before making {target.id} {status.value}"
        )
    return None


def check_status_change(
    actor_id: str, target: User, status: UserStatus, administrators: Iterable[User]
) -> None:
    """``status_change_problem`` as a 409 (the request is well formed; the state forbids it)."""
    why = status_change_problem(actor_id, target, status, administrators)
    if why is not None:
        raise Conflict(why)
