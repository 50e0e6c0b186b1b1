"""Migration 0012 re-derives every case's stored deadlines from its document (SQLite, PostgreSQL).

A deployment upgraded from a build before user notice became owed before disclosure (commit
0ba6aac) kept, for each case not saved since, a user-notice row due at receipt, so its due list
showed old cases overdue for a notice not yet owed. These tests store cases at revision 0011 with
the rows the old code wrote, upgrade, and read the due list the way ``comity due`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from tests.unit.case_helpers import T0, reach, tick

from comity.adapters.controlplane.case_tables import CaseDeadlineRow, CaseRow
from comity.adapters.controlplane.cases_repo import FAR, deadline_rows, derived, utc
from comity.adapters.controlplane.db import make_engine
from comity.adapters.controlplane.intake_repo import intake_uow_factory
from comity.adapters.controlplane.migrate import alembic_config, upgrade
from comity.domain.registry import StaffRole, User
from comity.domain.workflow import Case, CaseState, Deadline
from comity.services.cases import due as case_due

STAFF = User("aud", "Auditor", "aud@provider.example", roles=frozenset({StaffRole.AUDITOR}))
NOW = T0 + timedelta(days=30)
WIDE = timedelta(days=3650)


class _Clock:
    def now(self) -> datetime:
        return NOW


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgresql":
        url: str = request.getfixturevalue("pg_url")
    else:
        url = f"sqlite:///{tmp_path / 'control.db'}"
    made = make_engine(url)
    upgrade(made)
    yield made
    made.dispose()


def _to_0011(engine: Engine) -> None:
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0011_scale")
        assert _revision(connection) == "0011_scale"


def _revision(connection: sa.Connection) -> str:
    return str(connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one())


def _deadlines_before_0ba6aac(case: Case) -> list[Deadline]:
    """What ``Case.deadlines()`` said before 0ba6aac: user notice due at receipt (the old
    ``NoticePlan.due(since=received_at)``), whatever the case would disclose."""
    kept = [d for d in case.deadlines() if d.kind != "user_notice"]
    plan = case.notice
    if (
        case.state is CaseState.WITHDRAWN
        or not plan.notify
        or plan.given_at is not None
        or plan.non_disclosure_indefinite
        or plan.forbidden_until(case.zone) is not None
    ):
        return kept
    return [
        *kept,
        Deadline(
            kind="user_notice",
            subject=case.subject,
            due_at=case.received_at,
            citation="provider policy (notice unless prohibited)",
            rule="-",
            description=f"tell {plan.recipient()} about the demand",
        ),
    ]


def _store_as_the_old_code(engine: Engine, cases: list[Case]) -> None:
    """Store ``cases`` at revision 0011 with the deadline rows and next-due column of before."""
    with intake_uow_factory(engine, _Clock().now)() as uow:
        for case in cases:
            uow.cases.add(case, None, T0)
        uow.commit()
    _to_0011(engine)
    with engine.begin() as connection:
        for case in cases:
            old = _deadlines_before_0ba6aac(case)
            connection.execute(
                sa.delete(CaseDeadlineRow).where(CaseDeadlineRow.case_id == case.case_id)
            )
            connection.execute(sa.insert(CaseDeadlineRow), deadline_rows(case.case_id, old))
            soonest = min((d.due_at for d in old), default=FAR)
            connection.execute(
                sa.update(CaseRow).where(CaseRow.id == case.case_id).values(next_due_at=soonest)
            )


def _due(engine: Engine) -> case_due.Due:
    return case_due.due(intake_uow_factory(engine, _Clock().now), _Clock(), STAFF, within=WIDE)


def _notices(items: list[case_due.DueItem]) -> dict[str, datetime]:
    return {i.case_id: utc(i.deadline.due_at) for i in items if i.deadline.kind == "user_notice"}


def test_0012_drops_the_notice_not_yet_owed_and_keeps_the_notice_owed(engine: Engine) -> None:
    assessed = reach(CaseState.ASSESSED).model_copy(update={"case_id": "c-assessed"})
    approved = reach(CaseState.APPROVED).model_copy(update={"case_id": "c-approved"})
    # Nothing owed yet on the assessed case; notice owed at approval on the approved one.
    assert [d for d in assessed.deadlines() if d.kind == "user_notice"] == []
    assert {d.due_at for d in approved.deadlines() if d.kind == "user_notice"} == {tick(6)}
    _store_as_the_old_code(engine, [assessed, approved])
    before = _due(engine)
    assert _notices(before.overdue) == {"c-assessed": T0, "c-approved": T0}  # the false alarm

    upgrade(engine)

    after = _due(engine)
    assert _notices(after.overdue) == {"c-approved": tick(6)}
    assert _notices(after.due_soon) == {}
    assert "c-assessed" not in {i.case_id for i in after.overdue + after.due_soon}
    with intake_uow_factory(engine, _Clock().now)() as uow:
        for case in (assessed, approved):
            row = uow.session.get(CaseRow, case.case_id)
            assert row is not None
            columns, deadlines = derived(case)
            assert utc(row.next_due_at) == columns["next_due_at"]
            stored = uow.session.scalars(
                sa.select(CaseDeadlineRow).where(CaseDeadlineRow.case_id == case.case_id)
            ).all()
            assert sorted((utc(r.due_at), r.kind, r.subject) for r in stored) == sorted(
                (d.due_at.astimezone(UTC), d.kind, d.subject) for d in deadlines
            )
        assert uow.cases.get("c-assessed") == assessed  # the documents are untouched
        assert uow.cases.get("c-approved") == approved


def test_0012_rewrites_every_batch_and_leaves_no_case_behind(engine: Engine) -> None:
    """More cases than one batch, with ids sorting across batch edges, each upgraded."""
    migration = ScriptDirectory.from_config(alembic_config()).get_revision("0012_deadlines")
    assert migration is not None
    cases = [
        reach(CaseState.ASSESSED).model_copy(update={"case_id": f"c-{n:03d}"}) for n in range(7)
    ]
    _store_as_the_old_code(engine, cases)
    with engine.begin() as connection:
        assert migration.module.rederive_deadlines(connection, batch=3) == 7
        assert connection.execute(
            sa.select(sa.func.count()).select_from(CaseDeadlineRow)
        ).scalar_one() == sum(len(c.deadlines()) for c in cases)
    assert _notices(_due(engine).overdue) == {}


def test_0012_upgrades_an_empty_deployment(engine: Engine) -> None:
    _to_0011(engine)
    upgrade(engine)
    with engine.connect() as connection:
        assert _revision(connection) == "0012_deadlines"
        assert connection.execute(sa.select(sa.func.count()).select_from(CaseRow)).scalar_one() == 0
    assert _due(engine).overdue == []


_STATES = [s for s in CaseState if s is not CaseState.PARTLY_APPROVED]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cases=st.dictionaries(
        st.text(alphabet="ab-Z09", min_size=1, max_size=4), st.sampled_from(_STATES), max_size=9
    ),
    stale=st.booleans(),
    batch=st.integers(min_value=1, max_value=4),
)
def test_after_0012_every_case_s_rows_are_what_its_document_derives(
    engine: Engine, cases: dict[str, CaseState], stale: bool, batch: int
) -> None:
    """Whatever cases, ids (sorting across batch edges) and old rows: the rows are derived."""
    migration = ScriptDirectory.from_config(alembic_config()).get_revision("0012_deadlines")
    assert migration is not None
    made = [reach(state).model_copy(update={"case_id": f"c-{i}"}) for i, state in cases.items()]
    with engine.begin() as connection:
        connection.execute(sa.delete(CaseDeadlineRow))
        connection.execute(sa.delete(CaseRow))
    with intake_uow_factory(engine, _Clock().now)() as uow:
        for case in made:
            uow.cases.add(case, None, T0)
        uow.commit()
    with engine.begin() as connection:
        for case in made:
            old = _deadlines_before_0ba6aac(case) if stale else []
            connection.execute(
                sa.delete(CaseDeadlineRow).where(CaseDeadlineRow.case_id == case.case_id)
            )
            if old:
                connection.execute(sa.insert(CaseDeadlineRow), deadline_rows(case.case_id, old))
            connection.execute(
                sa.update(CaseRow).where(CaseRow.id == case.case_id).values(next_due_at=T0)
            )
        assert migration.module.rederive_deadlines(connection, batch=batch) == len(made)
    with intake_uow_factory(engine, _Clock().now)() as uow:
        stored = uow.session.execute(
            sa.select(CaseDeadlineRow.case_id, CaseDeadlineRow.due_at, CaseDeadlineRow.kind)
        ).all()
        got = sorted((c, utc(d), k) for c, d, k in stored)
        want = sorted(
            (case.case_id, d.due_at.astimezone(UTC), d.kind)
            for case in made
            for d in case.deadlines()
        )
        assert got == want
        for case in made:
            row = uow.session.get(CaseRow, case.case_id)
            assert row is not None
            assert utc(row.next_due_at) == derived(case)[0]["next_due_at"]
