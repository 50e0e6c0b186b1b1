"""Shared set-up for intake tests: a registry, staff and requesters, a fake law engine, a server."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from comity.bootstrap import Comity, initialise, open_deployment
from comity.domain.accounts import Account, Selector
from comity.domain.assessment import Assessment, Finding, Pathway, RulePackRef
from comity.domain.categories import Category
from comity.domain.demand import Demand
from comity.domain.registry import StaffRole, User, UserStatus
from comity.domain.signing import signed_message
from comity.law.countries import known_countries
from comity.services import identity, registry
from comity.services.accounts import create_account


class FakeAssessor:
    """Stands in for the law engine behind the ``Assessor`` port: one no_data finding per
    (target, category), as contract section 5 gives for an account no selector matches."""

    def assess(self, demand: Demand, as_of: date) -> Assessment:
        verified = demand.emergency.verified_by if demand.emergency else None
        return Assessment(
            demand.reference,
            as_of,
            RulePackRef("test", "sha256:" + "ab" * 32),
            tuple(
                Finding(
                    t.selector,
                    None,
                    c,
                    None,
                    None,
                    Pathway.NO_DATA,
                    "no_matching_account",
                    # Lets tests see what the engine was told.
                    told_verified_by(verified),
                )
                for t in demand.targets
                for c in demand.categories
            ),
        )


def told_verified_by(verified: str | None) -> str:
    """The fake engine's explanation, which says how it was told the emergency was verified."""
    return f"No account matches; the engine was told the emergency was verified by {verified}."


def demand_doc(reference: str, **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "reference": reference,
        "received_at": "2013-12-04T16:00:00Z",
        "issuing_authority": {
            "country": "US",
            "kind": "court",
            "name": "U.S. District Court for the Southern District of New York",
            "forum": "us.nysd",
        },
        "requesting_agency": {"name": "Drug Enforcement Administration", "country": "US"},
        "instrument": "us.warrant",
        "categories": ["subscriber", "content"],
        "targets": [{"type": "email", "value": "target@example.com"}],
        "period": {"start": "2013-01-01", "end": "2013-12-04"},
        "emergency": None,
        "non_disclosure": None,
        "via": None,
    }
    doc.update(changes)
    return doc


def sign(key: Ed25519PrivateKey, key_id: str, body: bytes, file: bytes | None = None) -> str:
    file_sha = hashlib.sha256(file).hexdigest() if file is not None else None
    sig = key.sign(signed_message(body, file_sha))
    return f'keyid="{key_id}", sig="{base64.b64encode(sig).decode()}"'


@dataclass
class World:
    """What the tests act with: tokens by user id and the DEA's signing key."""

    comity: Comity
    dea_key: Ed25519PrivateKey
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, user_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user_id]}"}


def populate(comity: Comity) -> World:
    """Three agencies (verified DEA, verified French police, blocklisted), staff and requesters."""
    uow, clock = comity.intake_uow, comity.clock
    key = Ed25519PrivateKey.generate()
    pub = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    countries = known_countries()
    for doc in (
        {
            "id": "us-dea",
            "name": "Drug Enforcement Administration",
            "country": "US",
            "kind": "agency",
            "status": "verified",
            "domains": ["dea.gov"],
            "contacts": [
                {
                    "name": "DEA watch desk",
                    "phone": "+1 202 555 1000",
                    "email": "watch@dea.gov",
                    "source": "dea.gov/contact, checked 2026-11-01",
                }
            ],
            "keys": [{"key_id": "dea-2026", "ed25519": pub}],
        },
        {
            "id": "fr-police",
            "name": "Police nationale",
            "country": "FR",
            "kind": "police",
            "status": "verified",
            "domains": ["interieur.gouv.fr"],
            "contacts": [
                {"name": "PHAROS", "phone": "+33 1 00 00 00 00", "source": "interieur.gouv.fr"}
            ],
        },
        {
            "id": "xx-compromised",
            "name": "Compromised Sheriff's Office",
            "country": "US",
            "kind": "police",
            "status": "blocklisted",
            "domains": ["sheriff.example.us"],
        },
        {
            "id": "us-newpd",
            "name": "New Police Department",
            "country": "US",
            "kind": "police",
            "domains": ["newpd.example.gov"],
            "contacts": [{"name": "Desk", "phone": "+12025550100", "source": "city website"}],
        },
    ):
        registry.add_authority(uow, clock, doc, known_countries=countries, actor="test")
    users = [
        User("admin", "Ada Admin", "admin@provider.example", frozenset({StaffRole.ADMINISTRATOR})),
        User("rev", "Rita Reviewer", "rev@provider.example", frozenset({StaffRole.REVIEWER})),
        User("appr", "Al Approver", "appr@provider.example", frozenset({StaffRole.APPROVER})),
        User("aud", "Audrey Auditor", "aud@provider.example", frozenset({StaffRole.AUDITOR})),
        User("jsmith", "J Smith", "jsmith@dea.gov", agency_id="us-dea", may_file_emergency=True),
        User("jdoe", "J Doe", "jdoe@dea.gov", agency_id="us-dea"),
        User("pierre", "Pierre", "pierre@interieur.gouv.fr", agency_id="fr-police"),
        User("lookalike", "L", "officer@dea-gov.com", agency_id="us-dea"),
        User("newcop", "N", "cop@gmail.example", agency_id="us-newpd", may_file_emergency=True),
        User("sus", "Sus", "sus@dea.gov", agency_id="us-dea"),
        User("sheriff", "S", "s@sheriff.example.us", agency_id="xx-compromised"),
    ]
    world = World(comity, key)
    for user in users:
        identity.create_user(uow, clock, user, actor="test")
        world.tokens[user.id] = identity.issue_token(uow, clock, user.id, label="t", actor="test")
    identity.set_user_status(uow, clock, "sus", UserStatus.SUSPENDED, actor="test")
    return world


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port in a thread; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def body(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


#: Placed as Microsoft was: the mail in Dublin, subscriber and traffic records in the US.
DUBLIN = Account(
    "msn-1",
    (Selector("email", "target@example.com"),),
    "eu-ie",
    {Category.SUBSCRIBER: "us-west", Category.TRAFFIC: "us-west"},
)

MICROSOFT_TOML = """\
[provider]
name = "Microsoft Corp."
established_in = "US"
offers_services_in = ["US", "IE"]

[regions.us-west]
country = "US"
store = "sqlite:///regions/us-west.db"

[regions.eu-ie]
country = "IE"
store = "sqlite:///regions/eu-ie.db"
"""


def microsoft_world(home: Path) -> World:
    """A deployment in ``home`` placed as Microsoft was, with DUBLIN and ``populate``'s people."""
    initialise(home, demo=False)
    (home / "comity.toml").write_text(MICROSOFT_TOML)
    comity = open_deployment(home)
    comity.prepare_regions()
    create_account(comity.uow, DUBLIN, actor="test", clock=comity.clock)
    return populate(comity)
