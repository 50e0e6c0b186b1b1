"""Shared set-up for case tests: a two-region deployment (SQLite or PostgreSQL control plane and
region stores), the Microsoft Ireland account, the DEA, staff in each role and two requesters."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from comity.bootstrap import Comity, open_deployment
from comity.domain.accounts import Account, Selector
from comity.domain.categories import Category
from comity.domain.intake import DemandRecord
from comity.domain.registry import StaffRole, User
from comity.law.countries import known_countries
from comity.services import identity, registry
from comity.services.accounts import create_account
from comity.services.cases.actions import LawContext
from comity.services.intake.demands import Submission, submit_demand
from tests.conftest import FixedClock

T0 = datetime(2013, 12, 5, 15, 0, tzinfo=UTC)

TOML = """\
[provider]
name = "Example Mail Inc."
established_in = "US"
offers_services_in = ["US", "IE", "DE"]

[control_plane]
database = "{control}"

[regions.us-west]
country = "US"
store = "{us_west}"

[regions.eu-ie]
country = "IE"
store = "{eu_ie}"
"""

STAFF = {
    "rev": {StaffRole.REVIEWER},
    "rev2": {StaffRole.REVIEWER},
    "appr": {StaffRole.APPROVER},
    "appr2": {StaffRole.APPROVER},
    "admin": {StaffRole.ADMINISTRATOR},
    "aud": {StaffRole.AUDITOR},
}

WARRANT: dict[str, Any] = {
    "reference": "13-MAG-2814",
    "received_at": "2013-12-04T16:00:00Z",
    "issuing_authority": {
        "country": "US",
        "kind": "court",
        "name": "U.S. District Court for the Southern District of New York",
        "forum": "us.nysd",
    },
    "requesting_agency": {"name": "Drug Enforcement Administration", "country": "US"},
    "instrument": "us.warrant",
    "categories": ["subscriber", "traffic", "content"],
    "targets": [{"type": "email", "value": "target@msn.example"}],
    "period": {"start": "2013-01-01", "end": "2013-12-04"},
    "offence": {
        "description": "narcotics trafficking",
        "max_custodial_years": 20,
        "committed_in": "US",
    },
    "emergency": None,
    "non_disclosure": {"until": "2014-12-04"},
    "via": None,
}

CONTENT = "target@msn.example|content|eu-ie"
SUBSCRIBER = "target@msn.example|subscriber|us-west"
TRAFFIC = "target@msn.example|traffic|us-west"


def build(home: Path, clock: FixedClock, control: str | None = None, regions: str | None = None):
    """A deployment in ``home``: control plane at ``control`` (default SQLite), region stores in
    ``regions`` PostgreSQL databases when given as "URL1 URL2", else SQLite files."""
    us_west, eu_ie = (regions or "").split() or (
        "sqlite:///regions/us-west.db",
        "sqlite:///regions/eu-ie.db",
    )
    (home / "comity.toml").write_text(
        TOML.format(control=control or "sqlite:///control.db", us_west=us_west, eu_ie=eu_ie)
    )
    comity = open_deployment(home, clock)
    comity.ensure_audit_key()
    comity.migrate()
    comity.prepare_regions()
    create_account(
        comity.uow,
        Account(
            "msn-1",
            (Selector("email", "target@msn.example"),),
            "us-west",
            {Category.CONTENT: "eu-ie"},
        ),
        actor="test",
        clock=clock,
    )
    registry.add_authority(
        comity.intake_uow,
        clock,
        {
            "id": "us-dea",
            "name": "Drug Enforcement Administration",
            "country": "US",
            "kind": "agency",
            "status": "verified",
            "domains": ["dea.gov"],
        },
        known_countries=known_countries(),
        actor="test",
    )
    registry.add_authority(
        comity.intake_uow,
        clock,
        {
            "id": "fr-police",
            "name": "Police nationale",
            "country": "FR",
            "kind": "police",
            "status": "verified",
            "domains": ["interieur.gouv.fr"],
        },
        known_countries=known_countries(),
        actor="test",
    )
    for user_id, roles in STAFF.items():
        identity.create_user(
            comity.intake_uow,
            clock,
            User(user_id, user_id, f"{user_id}@provider.example", frozenset(roles)),
            actor="test",
        )
    identity.create_user(
        comity.intake_uow,
        clock,
        User("agent", "Agent", "agent@dea.gov", agency_id="us-dea"),
        actor="test",
    )
    identity.create_user(
        comity.intake_uow,
        clock,
        User("pierre", "Pierre", "pierre@interieur.gouv.fr", agency_id="fr-police"),
        actor="test",
    )
    return comity


def user(comity: Comity, user_id: str) -> User:
    with comity.intake_uow() as uow:
        found = uow.intake.get_user(user_id)
    assert found is not None
    return found


def law(comity: Comity) -> LawContext:
    return LawContext(comity.assessor, comity.deployment, known_countries())


def file_warrant(comity: Comity, **changes: Any) -> DemandRecord:
    record, _ = submit_demand(
        comity.intake_uow,
        comity.clock,
        user(comity, "agent"),
        Submission(json.dumps({**WARRANT, **changes}).encode()),
        known_countries=known_countries(),
    )
    return record
