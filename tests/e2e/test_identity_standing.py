"""Issue 12: suspension and blocklisting end credentials at once; nobody locks out the last admin.

Reproduced before the fix: a suspended staff member's API token kept working (only console sign-in
was refused), and an administrator could suspend or blocklist their own account, the last
administrator included.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import CliRunner
from tests.intake_support import FakeAssessor, World, demand_doc, populate

from comity.adapters.controlplane.console_tables import SessionRow
from comity.adapters.controlplane.intake_tables import TokenRow
from comity.bootstrap import initialise, open_deployment
from comity.domain.registry import StaffRole, User, UserStatus
from comity.entrypoints.api.app import create_app
from comity.services import identity, sign_in

PASSWORD = "twelve characters or more"


@pytest.fixture
def world(tmp_path: Path) -> World:
    initialise(tmp_path, demo=False)
    return populate(open_deployment(tmp_path))


@pytest.fixture
def api(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.comity, assessor=FakeAssessor())) as client:
        yield client


def _credentials(world: World, user_id: str) -> tuple[int, int]:
    with world.comity.intake_uow() as uow:
        tokens = uow.session.scalar(
            select(func.count()).select_from(TokenRow).where(TokenRow.user_id == user_id)
        )
        sessions = uow.session.scalar(
            select(func.count()).select_from(SessionRow).where(SessionRow.user_id == user_id)
        )
    return int(tokens or 0), int(sessions or 0)


def _status(world: World, user_id: str) -> UserStatus:
    with world.comity.intake_uow() as uow:
        user = uow.intake.get_user(user_id)
    assert user is not None
    return user.status


def _log_size(world: World) -> int:
    with world.comity.reader() as uow:
        return uow.audit.size()


def _signed_in(world: World, user_id: str, email: str) -> str:
    """Sign ``user_id`` in to the console (password and TOTP) and return the session cookie."""
    c = world.comity
    sign_in.set_password(c.console_uow, c.clock, user_id, PASSWORD, actor="test")
    secret = sign_in.enrol_totp(c.console_uow, c.clock, user_id, actor="test")
    code = pyotp.TOTP(secret).at(c.clock.now())
    return sign_in.sign_in(c.console_uow, c.clock, email, PASSWORD, code).token


@pytest.mark.parametrize("status", ["suspended", "blocklisted"])
def test_suspending_staff_ends_their_tokens_and_sessions_at_once(
    api: TestClient, world: World, status: str
) -> None:
    cookie = _signed_in(world, "rev", "rev@provider.example")
    c = world.comity
    assert sign_in.session_user(c.console_reader, c.clock, cookie) is not None
    assert api.get("/whoami", headers=world.auth("rev")).status_code == 200

    done = api.post("/users/rev/status", json={"status": status}, headers=world.auth("admin"))
    assert done.status_code == 200, done.text

    refused = api.get("/whoami", headers=world.auth("rev"))
    assert refused.status_code == 401  # the token is gone
    assert set(refused.json()["error"]) == {"code", "message", "problems"}
    assert api.get("/demands", headers=world.auth("rev")).status_code == 401
    assert sign_in.session_user(c.console_reader, c.clock, cookie) is None
    assert _credentials(world, "rev") == (0, 0)
    with c.reader() as uow:
        last = uow.audit.entry(uow.audit.size() - 1).entry
    assert '"action":"user:status"' in last

    # Reactivation does not bring the old token back; a new one works.
    back = api.post("/users/rev/status", json={"status": "active"}, headers=world.auth("admin"))
    assert back.status_code == 200
    assert api.get("/whoami", headers=world.auth("rev")).status_code == 401
    fresh = identity.issue_token(c.intake_uow, c.clock, "rev", label="again", actor="admin")
    assert api.get("/whoami", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_no_token_is_issued_to_a_suspended_staff_member(api: TestClient, world: World) -> None:
    c = world.comity
    identity.set_user_status(c.intake_uow, c.clock, "aud", UserStatus.SUSPENDED, actor="admin")
    with pytest.raises(Exception, match="aud is suspended; no token is issued"):
        identity.issue_token(c.intake_uow, c.clock, "aud", label="t", actor="admin")


@pytest.mark.parametrize("status", ["suspended", "blocklisted"])
def test_an_administrator_cannot_lock_out_their_own_account(
    api: TestClient, world: World, status: str
) -> None:
    before = _log_size(world)
    r = api.post("/users/admin/status", json={"status": status}, headers=world.auth("admin"))
    assert r.status_code == 409
    error = r.json()["error"]
    assert error["code"] == "conflict"
    assert error["message"] == (
        f"you cannot make your own account {status}; another administrator must do it"
    )
    assert _status(world, "admin") is UserStatus.ACTIVE
    assert api.get("/whoami", headers=world.auth("admin")).status_code == 200
    assert _log_size(world) == before


def test_another_administrator_may_suspend_an_administrator(api: TestClient, world: World) -> None:
    c = world.comity
    identity.create_user(
        c.intake_uow,
        c.clock,
        User("admin2", "Bo Admin", "bo@provider.example", frozenset({StaffRole.ADMINISTRATOR})),
        actor="admin",
    )
    r = api.post("/users/admin2/status", json={"status": "suspended"}, headers=world.auth("admin"))
    assert r.status_code == 200
    assert _status(world, "admin2") is UserStatus.SUSPENDED


def test_the_last_active_administrator_is_never_suspended(world: World, cli: CliRunner) -> None:
    before = _log_size(world)
    for status in ("suspended", "blocklisted"):
        result = cli(world.comity.home, "users", "set-status", "admin", status)
        assert result.returncode == 1, result
        assert (
            f"admin is the last active administrator; make another administrator before making "
            f"admin {status}"
        ) in result.stderr
    assert _status(world, "admin") is UserStatus.ACTIVE
    assert _log_size(world) == before
    # Others can still be suspended from the command line, and the admin reactivated anyone.
    assert cli(world.comity.home, "users", "set-status", "rev", "suspended").returncode == 0
    assert _status(world, "rev") is UserStatus.SUSPENDED


def test_blocklisting_a_requester_ends_their_tokens_suspension_only_flags_them(
    api: TestClient, world: World
) -> None:
    """A blocklisted requester may do nothing; a suspended one may still file, and what they
    file is flagged and blocked from disclosure (docs/intake.md), so staff see the attempt."""
    r = api.post(
        "/users/jsmith/status", json={"status": "blocklisted"}, headers=world.auth("admin")
    )
    assert r.status_code == 200
    refused = api.get("/whoami", headers=world.auth("jsmith"))
    assert refused.status_code == 401  # the token is gone, not merely refused
    assert refused.json()["error"]["message"] == "the API token is not valid"
    assert _credentials(world, "jsmith") == (0, 0)

    r = api.post("/users/jdoe/status", json={"status": "suspended"}, headers=world.auth("admin"))
    assert r.status_code == 200
    assert _credentials(world, "jdoe") == (1, 0)
    filed = api.post("/demands", json=demand_doc("SUSP-2"), headers=world.auth("jdoe"))
    assert filed.status_code == 201, filed.text
    assert "requester_suspended" in {s["code"] for s in filed.json()["fraud_signs"]}
    assert filed.json()["disclosure_blocked"] is True


def test_a_token_left_behind_still_does_not_work_for_suspended_staff(
    api: TestClient, world: World
) -> None:
    """Defence in depth: even if a status were changed without revoking (an old database, a
    manual edit), authentication refuses staff out of standing."""
    with world.comity.intake_uow() as uow:
        user = uow.intake.get_user("appr")
        assert user is not None
        uow.intake.update_user(replace(user, status=UserStatus.SUSPENDED))
        uow.commit()
    assert _credentials(world, "appr") == (1, 0)
    refused = api.get("/whoami", headers=world.auth("appr"))
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == (
        "the account appr is suspended; its API tokens no longer work"
    )


def test_whoami_actions_lists_what_the_caller_may_do(api: TestClient, world: World) -> None:
    def actions(user_id: str) -> list[str]:
        r = api.get("/whoami/actions", headers=world.auth(user_id))
        assert r.status_code == 200, r.text
        return list(r.json()["actions"])

    assert actions("aud") == ["read", "read_internal"]
    assert "set_user_status" in actions("admin")
    assert "set_user_status" not in actions("appr")
    assert "verify_demand" in actions("appr")
    assert actions("jsmith") == ["read", "submit_demand"]  # not allowed to download
    assert api.get("/whoami/actions").status_code == 401
