"""Sign-ins for the demo's people, so ``make demo`` opens straight into the console.

Each person gets a random password and a TOTP secret, printed once by ``comity init --demo``
(random, not fixed, so a demo left running on a reachable machine is not open to anyone who read
this file). ``scripts/totp.py SECRET`` prints the current code for a secret, for those without
an authenticator app at hand.
"""

from __future__ import annotations

import secrets

from comity.demo.people import ACTOR, PEOPLE
from comity.services.ports import Clock
from comity.services.sign_in import ConsoleUowFactory, enrol_totp, set_password


def populate_demo_sign_ins(uow: ConsoleUowFactory, clock: Clock) -> list[str]:
    """Set a password and enrol TOTP for every demo person; return the lines to print."""
    lines = [
        "demo: console sign-ins at /sign-in (e-mail, password, and the 6-digit code from the "
        "TOTP secret: add it to an authenticator app, or run "
        "'.venv/bin/python scripts/totp.py SECRET'):"
    ]
    for person in PEOPLE:
        password = secrets.token_urlsafe(12)
        set_password(uow, clock, person.id, password, actor=ACTOR)
        secret = enrol_totp(uow, clock, person.id, actor=ACTOR)
        lines.append(f"  {person.email:<24} password {password}  totp {secret}")
    return lines
