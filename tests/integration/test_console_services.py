"""Console services on SQLite and PostgreSQL: TOTP sign-in, sessions, messages, all on the log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from tests.conftest import FixedClock
from tests.intake_support import body, demand_doc, populate

from comity.adapters.controlplane.console_tables import TotpRow
from comity.bootstrap import DEFAULT_TOML, Comity, open_deployment
from comity.errors import Forbidden, IntegrityError, InvalidInput, NotFound, Unauthenticated
from comity.law.countries import known_countries
from comity.services import messages, sign_in
from comity.services.intake import demands

PASSWORD = "twelve characters or more"


def _comity(home: Path, clock: FixedClock, url: str | None) -> Comity:
    toml = DEFAULT_TOML
    if url is not None:
        toml = toml.replace('database = "sqlite:///control.db"', f"database = {json.dumps(url)}")
    (home / "comity.toml").write_text(toml, encoding="utf-8")
    comity = open_deployment(home, clock)
    comity.ensure_audit_key()
    comity.migrate()
    return comity


def _actions(comity: Comity) -> list[str]:
    with comity.reader() as uow:
        return [uow.audit.entry(i).action for i in range(uow.audit.size())]


def _exercise(comity: Comity, clock: FixedClock) -> None:
    world = populate(comity)
    for user in ("rev", "appr", "jsmith", "pierre"):
        sign_in.set_password(comity.console_uow, clock, user, PASSWORD, actor="test")
    secret = sign_in.enrol_totp(comity.console_uow, clock, "rev", actor="test")
    code = pyotp.TOTP(secret).at(clock.now())

    with pytest.raises(Unauthenticated):
        sign_in.sign_in(comity.console_uow, clock, "rev@provider.example", PASSWORD, "000000")
    signed = sign_in.sign_in(comity.console_uow, clock, "REV@provider.example", PASSWORD, code)
    with pytest.raises(Unauthenticated):  # the same step again
        sign_in.sign_in(comity.console_uow, clock, "rev@provider.example", PASSWORD, code)
    assert sign_in.session_user(comity.console_reader, clock, signed.token) is not None
    clock.current += sign_in.SESSION_LIFETIME
    assert sign_in.session_user(comity.console_reader, clock, signed.token) is None
    again = sign_in.sign_in(
        comity.console_uow,
        clock,
        "rev@provider.example",
        PASSWORD,
        pyotp.TOTP(secret).at(clock.now()),
    )
    with comity.console_reader() as uow:  # the expired session went when rev signed in again
        assert uow.console.get_session(signed.session.token_hash) is None
    sign_in.sign_out(comity.console_uow, clock, again.token)

    with pytest.raises(Forbidden):  # staff with a password but no second factor
        sign_in.sign_in(comity.console_uow, clock, "appr@provider.example", PASSWORD, "")
    jsmith = sign_in.sign_in(comity.console_uow, clock, "jsmith@dea.gov", PASSWORD, "").user
    pierre = sign_in.sign_in(comity.console_uow, clock, "pierre@interieur.gouv.fr", PASSWORD, "")
    record, _ = demands.submit_demand(
        comity.intake_uow,
        clock,
        jsmith,
        demands.Submission(body(demand_doc("CONSOLE-1"))),
        known_countries=known_countries(),
    )
    messages.post_message(comity.console_uow, clock, jsmith, record.id, "  first  ")
    with pytest.raises(InvalidInput, match="write something"):
        messages.post_message(comity.console_uow, clock, jsmith, record.id, " ")
    with pytest.raises(NotFound):
        messages.post_message(comity.console_uow, clock, pierre.user, record.id, "peek")
    with pytest.raises(NotFound):
        messages.list_messages(comity.console_reader, pierre.user, record.id)
    thread = messages.list_messages(comity.console_reader, jsmith, record.id)
    assert [(m.body, m.from_staff, m.author_id) for m in thread] == [("first", False, "jsmith")]
    assert world.tokens  # the API tokens are untouched by console sign-ins

    actions = _actions(comity)
    assert actions.count("user:signed-in") == 4
    assert actions.count("user:signed-out") == 1
    assert actions.count("demand:message:posted") == 1
    assert "user:totp:enrolled" in actions
    assert actions.count("user:password:set") == 4


def test_console_services_on_sqlite(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 11, 23, 12, 0, 7, tzinfo=UTC))
    _exercise(_comity(tmp_path, clock, None), clock)


@pytest.mark.postgres
def test_console_services_on_postgres(tmp_path: Path, pg_url: str) -> None:
    clock = FixedClock(datetime(2026, 11, 23, 12, 0, 7, tzinfo=UTC))
    _exercise(_comity(tmp_path, clock, pg_url), clock)


def test_a_code_one_step_early_or_late_is_taken_two_are_not(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 11, 23, 12, 0, 7, tzinfo=UTC))
    comity = _comity(tmp_path, clock, None)
    populate(comity)
    sign_in.set_password(comity.console_uow, clock, "rev", PASSWORD, actor="test")
    totp = pyotp.TOTP(sign_in.enrol_totp(comity.console_uow, clock, "rev", actor="test"))
    step = timedelta(seconds=30)
    with pytest.raises(Unauthenticated):
        sign_in.sign_in(
            comity.console_uow,
            clock,
            "rev@provider.example",
            PASSWORD,
            totp.at(clock.now() - 2 * step),
        )
    late = totp.at(clock.now() + step)
    assert sign_in.sign_in(comity.console_uow, clock, "rev@provider.example", PASSWORD, late)
    with pytest.raises(Unauthenticated):  # an older step after a newer one was used
        sign_in.sign_in(
            comity.console_uow, clock, "rev@provider.example", PASSWORD, totp.at(clock.now())
        )


def _stored_secret(comity: Comity, user_id: str) -> str:
    with comity.console_reader() as uow:
        row = uow.session.get(TotpRow, user_id)
        assert row is not None
        return row.secret


def _exercise_sealing(comity: Comity, clock: FixedClock) -> None:
    populate(comity)
    sign_in.set_password(comity.console_uow, clock, "rev", PASSWORD, actor="test")
    secret = sign_in.enrol_totp(comity.console_uow, clock, "rev", actor="test")
    stored = _stored_secret(comity, "rev")
    # A copy of the database does not hand out the second factor.
    assert secret not in stored
    assert stored.startswith("v1:")
    # Sealed for rev: the same value in another user's row does not open.
    with comity.console_uow() as uow:
        row = uow.session.get(TotpRow, "rev")
        assert row is not None
        uow.session.add(
            TotpRow(user_id="appr", secret=row.secret, last_step=0, enrolled_at=row.enrolled_at)
        )
        uow.commit()
    with comity.console_reader() as uow, pytest.raises(IntegrityError, match="does not open"):
        uow.console.get_totp("appr")
    # An enrolment stored before sealing still signs in, and is sealed by that sign-in.
    with comity.console_uow() as uow:
        row = uow.session.get(TotpRow, "rev")
        assert row is not None
        row.secret = secret
        uow.commit()
    code = pyotp.TOTP(secret).at(clock.now())
    sign_in.sign_in(comity.console_uow, clock, "rev@provider.example", PASSWORD, code)
    assert _stored_secret(comity, "rev").startswith("v1:")
    assert (comity.home / "keys" / "console-totp.key").stat().st_mode & 0o777 == 0o600


def test_totp_secrets_are_sealed_at_rest_on_sqlite(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 11, 23, 12, 0, 7, tzinfo=UTC))
    _exercise_sealing(_comity(tmp_path, clock, None), clock)


@pytest.mark.postgres
def test_totp_secrets_are_sealed_at_rest_on_postgres(tmp_path: Path, pg_url: str) -> None:
    clock = FixedClock(datetime(2026, 11, 23, 12, 0, 7, tzinfo=UTC))
    _exercise_sealing(_comity(tmp_path, clock, pg_url), clock)
