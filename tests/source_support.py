"""A production world whose region eu-ie reads its mail from a private Dovecot (master user)
and its subscriber and login rows from a PostgreSQL records database, as contract section 8
configures them."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from comity.domain.accounts import Account, Selector
from comity.law.countries import known_countries
from comity.services import identity
from comity.services.accounts import create_account
from comity.services.intake import demands
from tests.dovecot_support import MASTER_PASSWORD, MASTER_USER, Dovecot
from tests.intake_support import demand_doc, sign
from tests.production_support import ProductionWorld, build

ALICE = "alice@example.com"
BOB = "bob@example.com"
CAROL = "carol@example.com"
ACCOUNTS = {ALICE: "acct-0101", BOB: "acct-0102", CAROL: "acct-0103"}
QUERIES = """\
-- name: subscriber
SELECT 'cust-' || id AS id, created_at AS occurred_at, full_name, plan
  FROM customers WHERE email = %(email)s

-- name: traffic
SELECT 'login-' || id AS id, at AS occurred_at, ip, 'login' AS event
  FROM logins WHERE email = %(email)s
   AND (%(start)s::timestamptz IS NULL OR at >= %(start)s)
 ORDER BY at
"""


def message(n: int, to: str) -> bytes:
    return (
        f"From: Sender {n} <s{n}@example.org>\r\nTo: {to}\r\nSubject: message {n}\r\n"
        f"Message-ID: <{n}.{to}>\r\nDate: Mon, 3 Jun 2013 09:{n % 60:02d}:00 +0000\r\n\r\n"
        f"Hello {n}.\r\nFrom here on, a line mbox must quote.\r\n"
    ).encode()


def deliver(server: Dovecot, user: str, n: int, when: datetime, *, seen: bool = False) -> Path:
    """One message received at ``when`` (Dovecot's Maildir INTERNALDATE is the file's mtime)."""
    path = server.deliver(user, message(n, user), seen=seen)
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def records_database(pg_url: str) -> str:
    """The provider's records database with a read-only role for Comity; returns its URL."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE customers (id int PRIMARY KEY, email text, full_name text, "
            "plan text, created_at timestamptz)"
        )
        conn.execute(
            "CREATE TABLE logins (id int PRIMARY KEY, email text, ip text, at timestamptz)"
        )
        conn.execute(
            "INSERT INTO customers VALUES (1, %s, 'Carol Customer', 'basic', "
            "'2013-02-01T10:00:00Z'), (2, %s, 'Alice A', 'pro', '2013-03-01T10:00:00Z')",
            (CAROL, ALICE),
        )
        conn.execute(
            "INSERT INTO logins VALUES (1, %s, '192.0.2.10', '2013-06-02T08:00:00Z'), "
            "(2, %s, '192.0.2.11', '2013-07-02T08:00:00Z')",
            (CAROL, CAROL),
        )
        conn.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'comity_ro') "
            "THEN CREATE ROLE comity_ro LOGIN; END IF; END $$"
        )
        conn.execute("GRANT SELECT ON customers, logins TO comity_ro")
    base, _, name = pg_url.rpartition("/")
    return base.replace("://comity@", "://comity_ro@") + "/" + name


@dataclass
class SourceWorld:
    pw: ProductionWorld
    server: Dovecot


def sources_toml(
    home: Path, server: Dovecot, records_url: str | None, *, hold_in_place: bool = False
) -> str:
    secrets = home / "secrets"
    secrets.mkdir(parents=True, exist_ok=True)
    (secrets / "eu-ie-imap").write_text(MASTER_PASSWORD + "\n")
    (secrets / "eu-ie-imap").chmod(0o600)
    toml = f"""
[regions.eu-ie.sources.mail]
kind = "imap"
url = "{server.url}"
master_user = "{MASTER_USER}"
password_file = "secrets/eu-ie-imap"
login = "{{email}}"
"""
    if hold_in_place:
        toml += 'hold_in_place = "mailbox"\n'
    if records_url is not None:
        (home / "sources").mkdir(exist_ok=True)
        (home / "sources" / "eu-ie.sql").write_text(QUERIES)
        toml += f"""
[regions.eu-ie.sources.records]
kind = "postgresql"
url = "{records_url}"
queries = "sources/eu-ie.sql"
"""
    return toml


def build_with_sources(
    home: Path, server: Dovecot, records_url: str | None, *, hold_in_place: bool = False
) -> ProductionWorld:
    """The production world, plus three accounts whose every category is in eu-ie; with
    ``hold_in_place`` its mail source also holds on the server (a hidden hold mailbox)."""
    pw = build(
        home,
        extra_toml=sources_toml(home, server, records_url, hold_in_place=hold_in_place),
    )
    for email, account_id in ACCOUNTS.items():
        create_account(
            pw.comity.uow,
            Account(account_id, (Selector("email", email),), "eu-ie", {}),
            actor="test",
            clock=pw.clock,
        )
    return pw


def submit_for(pw: ProductionWorld, emails: list[str], reference: str = "13-MAG-4000") -> str:
    doc = demand_doc(
        reference,
        categories=["subscriber", "traffic", "content"],
        targets=[{"type": "email", "value": e} for e in emails],
    )
    body = json.dumps(doc).encode()
    jsmith = identity.authenticate(pw.comity.intake_uow, pw.world.tokens["jsmith"])
    record, _ = demands.submit_demand(
        pw.comity.intake_uow,
        pw.clock,
        jsmith,
        demands.Submission(body, signature=sign(pw.world.dea_key, "dea-2026", body)),
        known_countries=known_countries(),
    )
    return record.id


JUNE = datetime(2013, 6, 3, 9, 0, tzinfo=UTC)
