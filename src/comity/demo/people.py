"""The demo's people: a verified DEA, staff in every role, a DEA requester, and the 2013 warrant.

``comity init --demo`` prints each person's API token once, so the API can be tried at once:
``curl -H "Authorization: Bearer TOKEN" http://127.0.0.1:8000/demands``. Tokens are stored only as
hashes, like every other token; a lost one is replaced with ``comity tokens issue``.
"""

from __future__ import annotations

import json

from comity.domain.registry import StaffRole, User
from comity.law.countries import known_countries
from comity.services.identity import UowFactory, create_user, issue_token
from comity.services.intake.demands import Submission, submit_demand
from comity.services.ports import Clock
from comity.services.registry import add_authority

ACTOR = "comity-init"

DEA = {
    "id": "us-dea",
    "name": "Drug Enforcement Administration",
    "country": "US",
    "kind": "agency",
    "status": "verified",
    "domains": ["dea.gov"],
    "contacts": [
        {
            "name": "DEA duty desk (demo)",
            "phone": "+1 202 555 0100",
            "source": "demo data: a provider sources this itself, never from a request",
        }
    ],
}

PEOPLE = (
    User("ada", "Ada Administrator", "ada@provider.example", frozenset({StaffRole.ADMINISTRATOR})),
    User("rita", "Rita Reviewer", "rita@provider.example", frozenset({StaffRole.REVIEWER})),
    User("alan", "Alan Approver", "alan@provider.example", frozenset({StaffRole.APPROVER})),
    User("audrey", "Audrey Auditor", "audrey@provider.example", frozenset({StaffRole.AUDITOR})),
    User(
        "dea-agent",
        "Special Agent (demo)",
        "agent@dea.gov",
        agency_id="us-dea",
        may_file_emergency=True,
        may_download=True,
    ),
)

#: The warrant of the Microsoft Ireland case (contract section 4), as the DEA's agent files it.
WARRANT = {
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


def populate_demo_people(uow: UowFactory, clock: Clock) -> list[str]:
    """Register the DEA, create the people, issue their tokens and file the warrant."""
    add_authority(uow, clock, DEA, known_countries=known_countries(), actor=ACTOR)
    lines = ["demo: API tokens (shown once; send as 'Authorization: Bearer TOKEN'):"]
    for person in PEOPLE:
        create_user(uow, clock, person, actor=ACTOR)
        token = issue_token(uow, clock, person.id, label="demo", actor=ACTOR)
        role = ", ".join(sorted(r.value for r in person.roles)) or f"requester, {person.agency_id}"
        lines.append(f"  {person.id:<10} {role:<22} {token}")
    record, _ = submit_demand(
        uow,
        clock,
        PEOPLE[-1],
        Submission(json.dumps(WARRANT).encode()),
        known_countries=known_countries(),
    )
    lines.append(f"demo: the Microsoft Ireland warrant 13-MAG-2814 is filed as demand {record.id}")
    return lines
