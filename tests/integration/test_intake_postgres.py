"""Intake on PostgreSQL: the migration applies, and a demand's life is stored and logged there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.intake_support import body, demand_doc, populate, sign

from comity.adapters.controlplane.tables import AuditEntryRow
from comity.bootstrap import DEFAULT_TOML, open_deployment
from comity.domain.intake import DemandStatus, Verification
from comity.law.countries import known_countries
from comity.services.identity import authenticate
from comity.services.intake import demands as svc

pytestmark = pytest.mark.postgres


def test_a_signed_demand_is_stored_once_withdrawn_and_logged_on_postgres(
    tmp_path: Path, pg_url: str
) -> None:
    toml = DEFAULT_TOML.replace(
        'database = "sqlite:///control.db"', f"database = {json.dumps(pg_url)}"
    )
    (tmp_path / "comity.toml").write_text(toml, encoding="utf-8")
    comity = open_deployment(tmp_path)
    comity.migrate()
    world = populate(comity)
    jsmith = authenticate(comity.reader, world.tokens["jsmith"])
    raw = body(demand_doc("PG-1"))
    submission = svc.Submission(raw, signature=sign(world.dea_key, "dea-2026", raw))
    record, created = svc.submit_demand(
        comity.intake_uow, comity.clock, jsmith, submission, known_countries=known_countries()
    )
    again, created_again = svc.submit_demand(
        comity.intake_uow,
        comity.clock,
        jsmith,
        svc.Submission(raw),
        known_countries=known_countries(),
    )
    assert (created, created_again, again.id) == (True, False, record.id)
    assert record.verification is Verification.SIGNATURE
    withdrawn = svc.withdraw_demand(comity.intake_uow, comity.clock, jsmith, record.id)
    assert withdrawn.status is DemandStatus.WITHDRAWN
    assert svc.visible_demand(comity.reader, jsmith, record.id).status is DemandStatus.WITHDRAWN
    with comity.intake_uow() as uow:
        actions = uow.session.scalars(
            select(AuditEntryRow.action).where(AuditEntryRow.subject == f"demand/{record.id}")
        ).all()
    assert actions == ["demand:received", "demand:withdrawn"]
