"""``POST /auth/token`` asks what the console's sign-in asks: the password, the TOTP code for
staff (always) and for an enrolled requester, an active account, and it counts failures against
the same throttle as the sign-in form, so neither door is the easy one to guess at."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient
from tests.conftest import FixedClock
from tests.intake_support import FakeAssessor, populate
from tests.web_support import csrf_of

from comity.bootstrap import Comity, initialise, open_deployment
from comity.domain.audit import digest
from comity.domain.registry import UserStatus
from comity.entrypoints.api.app import create_app
from comity.services import identity, sign_in
from comity.services.sign_in_throttle import MAX_PER_EMAIL, WINDOW

PASSWORD = "twelve characters or more"
REVIEWER = "rev@provider.example"
REQUESTER = "jsmith@dea.gov"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def comity(tmp_path: Path, clock: FixedClock) -> Comity:
    initialise(tmp_path, demo=False)
    deployment = open_deployment(tmp_path, clock)
    populate(deployment)
    for user in ("rev", "aud", "jsmith"):
        sign_in.set_password(deployment.console_uow, clock, user, PASSWORD, actor="test")
    return deployment


@pytest.fixture
def api(comity: Comity) -> TestClient:
    return TestClient(create_app(comity, assessor=FakeAssessor()))


def _token(
    api: TestClient, email: str, password: str = PASSWORD, code: str | None = None
) -> object:
    body = {"email": email, "password": password}
    if code is not None:
        body["code"] = code
    return api.post("/auth/token", json=body)


def _issued(comity: Comity, token: str, factors: str) -> bool:
    """Whether the log holds the token's issue, proved by ``factors`` (the log keeps digests)."""
    payload = {"label": "login", "token_sha256": identity.hash_token(token), "factors": factors}
    with comity.reader() as uow:
        entries = [json.loads(uow.audit.entry(i).entry) for i in range(uow.audit.size())]
    wanted = ("token:issued", "user/", digest(payload))
    return any((e["action"], e["subject"][:5], e["digest"]) == wanted for e in entries)


def test_staff_need_their_second_factor_for_a_token_as_for_the_console(
    api: TestClient, comity: Comity, clock: FixedClock
) -> None:
    refused = _token(api, REVIEWER)
    assert refused.status_code == 403
    assert "comity users totp rev" in refused.json()["error"]["message"]

    secret = sign_in.enrol_totp(comity.console_uow, clock, "rev", actor="test")
    assert _token(api, REVIEWER).status_code == 401  # enrolled, no code
    assert _token(api, REVIEWER, code="000000").status_code == 401
    code = pyotp.TOTP(secret).at(clock.now())
    issued = _token(api, REVIEWER, code=code)
    assert issued.status_code == 200
    token = issued.json()["token"]
    me = api.get("/whoami", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["id"] == "rev"
    assert _token(api, REVIEWER, code=code).status_code == 401  # a spent step is not replayed
    assert _issued(comity, token, "password+totp")


def test_a_requester_without_a_second_factor_gets_a_token_with_the_password(
    api: TestClient, comity: Comity, clock: FixedClock
) -> None:
    assert _token(api, REQUESTER, password="not the password").status_code == 401
    issued = _token(api, REQUESTER)
    assert issued.status_code == 200
    me = api.get("/whoami", headers={"Authorization": f"Bearer {issued.json()['token']}"})
    assert me.json()["id"] == "jsmith"
    assert _issued(comity, issued.json()["token"], "password")
    secret = sign_in.enrol_totp(comity.console_uow, clock, "jsmith", actor="test")
    assert _token(api, REQUESTER).status_code == 401  # once enrolled, the code is needed
    assert _token(api, REQUESTER, code=pyotp.TOTP(secret).at(clock.now())).status_code == 200


def test_a_suspended_account_gets_no_token(
    api: TestClient, comity: Comity, clock: FixedClock
) -> None:
    secret = sign_in.enrol_totp(comity.console_uow, clock, "aud", actor="test")
    identity.set_user_status(comity.intake_uow, clock, "aud", UserStatus.SUSPENDED, actor="admin")
    refused = _token(api, "aud@provider.example", code=pyotp.TOTP(secret).at(clock.now()))
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "the account aud is suspended; it cannot sign in"


def test_failed_attempts_lock_the_address_and_say_when_to_come_back(
    api: TestClient, comity: Comity, clock: FixedClock
) -> None:
    for _ in range(MAX_PER_EMAIL):
        assert _token(api, REQUESTER, password="guess " * 3).status_code == 401
    locked = _token(api, REQUESTER)  # the right password, but the address must wait
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "too_many_attempts"
    assert locked.json()["error"]["message"] == (
        "too many failed sign-ins; try again in 16 minutes"
    )
    assert 0 < int(locked.headers["Retry-After"]) <= WINDOW.total_seconds() + 1
    assert _token(api, REVIEWER).status_code == 403  # another address is not locked
    clock.current += WINDOW + timedelta(seconds=1)
    assert _token(api, REQUESTER).status_code == 200


def test_the_console_form_and_the_token_endpoint_share_one_count(
    api: TestClient, comity: Comity
) -> None:
    form_failures = 3
    for _ in range(form_failures):
        csrf = csrf_of(api.get("/sign-in").text)
        wrong = {"email": REQUESTER, "password": "guess " * 3, "code": "", "csrf": csrf}
        assert api.post("/sign-in", data=wrong, follow_redirects=False).status_code == 401
    for _ in range(MAX_PER_EMAIL - form_failures):
        assert _token(api, REQUESTER, password="guess " * 3).status_code == 401
    assert _token(api, REQUESTER).status_code == 429
    csrf = csrf_of(api.get("/sign-in").text)
    right = {"email": REQUESTER, "password": PASSWORD, "code": "", "csrf": csrf}
    form = api.post("/sign-in", data=right, follow_redirects=False)
    assert form.status_code == 429
    assert "too many failed sign-ins" in form.text
