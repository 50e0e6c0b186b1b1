"""Issue 12: one clock reading per action.

A record and its audit entry used to take two readings of the clock, so with a clock that moves
between them (any real one) they disagreed about when the thing happened. The clock here moves a
second on every reading; each stored time must still equal its audit entry's time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from tests.intake_support import demand_doc, populate

from comity.adapters.controlplane.intake_tables import AuthorityRow, TokenRow, UserRow
from comity.bootstrap import initialise, open_deployment
from comity.domain.registry import UserStatus
from comity.law.countries import known_countries
from comity.services import identity
from comity.services.cases import actions as cases
from comity.services.identity import hash_token
from comity.services.intake import demands


class TickingClock:
    """Every reading is a second after the last, as if each took a second of real time."""

    def __init__(self) -> None:
        self.current = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
        self.readings = 0

    def now(self) -> datetime:
        self.current += timedelta(seconds=1)
        self.readings += 1
        return self.current


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _entries(comity) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    with comity.reader() as uow:
        return [json.loads(uow.audit.entry(i).entry) for i in range(uow.audit.size())]


def _time_of(entries: list[dict[str, str]], action: str, subject: str) -> datetime:
    found = [e["time"] for e in entries if e["action"] == action and e["subject"] == subject]
    assert len(found) == 1, (action, subject, found)
    return datetime.fromisoformat(found[0])


def test_each_record_and_its_audit_entry_carry_one_instant(tmp_path: Path) -> None:
    initialise(tmp_path, demo=False)
    clock = TickingClock()
    comity = open_deployment(tmp_path, clock)
    world = populate(comity)
    identity.set_user_status(comity.intake_uow, clock, "rev", UserStatus.SUSPENDED, actor="admin")
    jdoe = identity.authenticate(comity.intake_uow, world.tokens["jdoe"])
    record, _ = demands.submit_demand(
        comity.intake_uow,
        clock,
        jdoe,
        demands.Submission(json.dumps(demand_doc("ONE-CLOCK-1")).encode()),
        known_countries=known_countries(),
    )
    withdrawn = cases.withdraw_demand(comity.intake_uow, clock, jdoe, record.id, reason="done")
    entries = _entries(comity)

    with comity.intake_uow() as uow:
        users = uow.session.execute(select(UserRow.id, UserRow.created_at)).all()
        authorities = uow.session.execute(select(AuthorityRow.id, AuthorityRow.created_at)).all()
        tokens = uow.session.execute(
            select(TokenRow.user_id, TokenRow.created_at, TokenRow.token_hash)
        ).all()
    assert users
    assert authorities
    assert tokens
    for user in users:
        assert _aware(user.created_at) == _time_of(entries, "user:created", f"user/{user.id}")
    for authority in authorities:
        at = _time_of(entries, "authority:registered", f"authority/{authority.id}")
        assert _aware(authority.created_at) == at
    for token in tokens:  # populate issues one token per user
        at = _time_of(entries, "token:issued", f"user/{token.user_id}")
        assert _aware(token.created_at) == at
    assert withdrawn.withdrawn_at == _time_of(entries, "demand:withdrawn", f"demand/{record.id}")
    assert record.received_at == _time_of(entries, "demand:received", f"demand/{record.id}")
    # Each action read the clock at least once, so the instants above are all different ones.
    assert clock.readings >= len(users) + len(authorities)
    assert hash_token(world.tokens["jdoe"]) in {t.token_hash for t in tokens}
