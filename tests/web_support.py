"""Shared set-up for console and portal tests: a demo deployment whose people have known
passwords and TOTP secrets, a second agency with its own requester, and sign-in helpers."""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pyotp
from fastapi.testclient import TestClient

from comity.bootstrap import Comity, initialise, open_deployment
from comity.domain.registry import User
from comity.law.countries import known_countries
from comity.services import identity, registry, sign_in
from comity.services.ports import Clock

PASSWORD = "correct horse battery staple"
#: The smallest file the intake sniffer takes for a PDF.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

FBI = {
    "id": "us-fbi",
    "name": "Federal Bureau of Investigation",
    "country": "US",
    "kind": "agency",
    "status": "verified",
    "domains": ["fbi.gov"],
    "contacts": [{"name": "FBI duty desk (test)", "phone": "+1 202 555 0199", "source": "test"}],
}


@dataclass(frozen=True)
class Person:
    id: str
    email: str
    secret: str


@dataclass
class WebDeployment:
    comity: Comity
    people: dict[str, Person]
    warrant_id: str

    def code(self, user_id: str, at: float | None = None) -> str:
        return pyotp.TOTP(self.people[user_id].secret).at(at if at is not None else time.time())


def web_deployment(home: Path, clock: Clock | None = None) -> WebDeployment:
    """``comity init --demo`` plus known sign-ins and a requester of another agency."""
    lines = initialise(home, demo=True)
    warrant = next(re.search(r"as demand (dem-\w+)", line) for line in lines if "as demand" in line)
    assert warrant is not None
    comity = open_deployment(home, clock)
    registry.add_authority(
        comity.intake_uow, comity.clock, FBI, known_countries=known_countries(), actor="test"
    )
    identity.create_user(
        comity.intake_uow,
        comity.clock,
        User("fbi-agent", "FBI agent (test)", "agent@fbi.gov", agency_id="us-fbi"),
        actor="test",
    )
    people = {}
    with comity.intake_uow() as uow:
        users = list(uow.intake.list_users())
    for user in users:
        sign_in.set_password(comity.console_uow, comity.clock, user.id, PASSWORD, actor="test")
        secret = sign_in.enrol_totp(comity.console_uow, comity.clock, user.id, actor="test")
        people[user.id] = Person(user.id, user.email, secret)
    return WebDeployment(comity, people, warrant[1])


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "the page has no form with a CSRF token"
    return found[1]


def sign_in_client(client: TestClient, web: WebDeployment, user_id: str) -> None:
    """Sign ``client`` in as ``user_id`` through the form, as a browser does."""
    token = csrf_of(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={
            "email": web.people[user_id].email,
            "password": PASSWORD,
            "code": web.code(user_id),
            "csrf": token,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def copy_of(template: WebDeployment, home: Path, clock: Clock | None = None) -> WebDeployment:
    """A copy of a built deployment (building one takes seconds; copying it, milliseconds)."""
    shutil.copytree(template.comity.home, home, dirs_exist_ok=True)
    return WebDeployment(open_deployment(home, clock), template.people, template.warrant_id)
