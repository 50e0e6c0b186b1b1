"""The demo deployment: five regions and a few dozen synthetic accounts from a fixed seed.

One account (``msft-ireland``) is placed as in the Microsoft Ireland case: subscriber and traffic
records in ``us-west``, mail content in ``eu-ie``.
"""

from __future__ import annotations

import csv
import json
import random
import tempfile
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import partial
from pathlib import Path

from comity.adapters.mail.sources import identification_records, mbox_records, subscriber_records
from comity.demo.mail import DEMO_EPOCH, mbox_lines, synthetic_messages
from comity.domain.accounts import Account, AccountKind, Selector
from comity.domain.categories import Category
from comity.domain.records import Record
from comity.services.accounts import create_account
from comity.services.custody.ingest import ingest
from comity.services.custody.ports import RegionCustody
from comity.services.ports import Clock, UnitOfWork

SEED = 20131204  # the day the Microsoft Ireland warrant issued

DEMO_TOML = """\
# Comity demo deployment: five regions in five countries. Stores and keys are relative to this file.
[provider]
name = "Example Mail Inc."
established_in = "US"
offers_services_in = ["US", "IE", "DE", "BE", "GB", "AU", "CA", "BR"]

[provider.entities.IE]
name = "Example Mail Ireland Ltd"
roles = ["eu_designated_establishment"]

[control_plane]
database = "sqlite:///control.db"

[regions.us-west]
country = "US"
store = "sqlite:///regions/us-west.db"

[regions.eu-ie]
country = "IE"
store = "sqlite:///regions/eu-ie.db"

[regions.eu-de]
country = "DE"
store = "sqlite:///regions/eu-de.db"

[regions.uk-lon]
country = "GB"
store = "sqlite:///regions/uk-lon.db"

[regions.au-syd]
country = "AU"
store = "sqlite:///regions/au-syd.db"
"""

_HOMES = [("us-west", "US"), ("eu-ie", "IE"), ("eu-de", "DE"), ("uk-lon", "GB"), ("au-syd", "AU")]
_FIRST = [
    "ana",
    "bram",
    "chiara",
    "dara",
    "emeka",
    "fiona",
    "goran",
    "hana",
    "ines",
    "jonas",
    "kai",
    "lena",
    "malik",
    "niamh",
    "oskar",
    "priya",
    "quinn",
    "rosa",
    "sean",
    "tomasz",
]
_LAST = [
    "byrne",
    "schmidt",
    "okafor",
    "nguyen",
    "murphy",
    "jones",
    "weber",
    "kelly",
    "smith",
    "walsh",
    "fischer",
    "brown",
    "silva",
    "taylor",
    "martin",
]


def demo_accounts(count: int = 36) -> list[Account]:
    """The demo's accounts, the same on every run (seeded)."""
    rng = random.Random(SEED)  # noqa: S311 - reproducible demo data, not a secret
    accounts = [
        Account(
            id="msft-ireland",
            selectors=(Selector("email", "target@msn.example"),),
            home_region="eu-ie",
            placement={Category.SUBSCRIBER: "us-west", Category.TRAFFIC: "us-west"},
            residence="unknown",
            nationality="unknown",
            us_person=None,
        )
    ]
    used = {"target@msn.example"}
    while len(accounts) < count:
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        email = f"{first}.{last}@example.com"
        if email in used:
            continue
        used.add(email)
        region, country = rng.choice(_HOMES)
        enterprise = rng.random() < 0.1
        accounts.append(
            Account(
                id=f"acct-{len(accounts):04d}",
                selectors=(Selector("email", email),),
                home_region=region,
                residence=country,
                nationality=country if rng.random() < 0.8 else rng.choice(_HOMES)[1],
                us_person=country == "US",
                kind=AccountKind.ENTERPRISE if enterprise else AccountKind.CONSUMER,
            )
        )
    return accounts


def populate_demo(
    uow: Callable[[], UnitOfWork],
    clock: Clock,
    regions: Callable[[str], RegionCustody] | None = None,
) -> list[str]:
    """Create the demo accounts and, given the regions, ingest their records; say what was made."""
    accounts = demo_accounts()
    for account in accounts:
        create_account(uow, account, actor="comity-init", clock=clock)
    lines = [
        f"demo: {len(accounts)} accounts (msft-ireland placed as in the Microsoft Ireland case)"
    ]
    if regions is not None:
        messages = _ingest_demo_records(uow, clock, regions, accounts)
        lines.append(
            f"demo: {messages} messages, subscriber and login records, in each account's regions"
        )
    return lines


def _ingest_demo_records(
    uow: Callable[[], UnitOfWork],
    clock: Clock,
    regions: Callable[[str], RegionCustody],
    accounts: list[Account],
) -> int:
    """Write each account's mailbox, subscriber JSON and login CSV, and ingest them for real."""
    rng = random.Random(SEED + 1)  # noqa: S311 - reproducible demo data, not a secret
    total = 0
    with tempfile.TemporaryDirectory(prefix="comity-demo-") as tmp:
        for account in accounts:
            email = account.selectors[0].value
            name = email.split("@")[0].replace(".", " ").title()
            count = 40 if account.id == "msft-ireland" else rng.randint(6, 18)
            start = DEMO_EPOCH + timedelta(days=rng.randint(0, 300))
            box = Path(tmp) / f"{account.id}.mbox"
            mail = synthetic_messages(rng, (name, email), count, start, max_attachment=60_000)
            with box.open("wb") as out:
                out.writelines(mbox_lines(mail))
            sub = Path(tmp) / f"{account.id}.json"
            sub.write_text(json.dumps(_subscriber(rng, account, name, email, start)))
            logins = Path(tmp) / f"{account.id}.csv"
            _write_logins(rng, logins, start, count)
            now, aid = clock.now(), account.id

            def run(kind: str, records: Callable[[], Iterable[Record]], aid: str = aid) -> None:
                ingest(
                    uow,
                    regions,
                    aid,
                    records,
                    kind=kind,
                    source=f"demo-{aid}.{kind}",
                    actor="comity-init",
                    clock=clock,
                )

            run("mbox", partial(mbox_records, box, aid, now))
            run("subscriber", partial(subscriber_records, sub, aid))
            run("identification", partial(identification_records, logins, aid))
            total += count
    return total


def _subscriber(
    rng: random.Random, account: Account, name: str, email: str, start: object
) -> dict[str, object]:
    return {
        "name": name,
        "email": email,
        "country": account.residence,
        "plan": rng.choice(["free", "plus", "business"]),
        "phone": f"+{rng.randint(1, 61)}{rng.randint(10**8, 10**9 - 1)}",
        "created_at": (DEMO_EPOCH - timedelta(days=rng.randint(100, 3000))).isoformat(),
    }


def _write_logins(rng: random.Random, path: Path, start: object, count: int) -> None:
    when = DEMO_EPOCH + timedelta(days=rng.randint(0, 300))
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["ip", "time", "port", "event"])
        for _ in range(max(3, count // 2)):
            when += timedelta(hours=rng.randint(1, 72))
            octets = [rng.choice([198, 203, 192]), *(rng.randint(0, 255) for _ in range(2))]
            ip = ".".join(map(str, [*octets, rng.randint(1, 254)]))
            writer.writerow([ip, when.isoformat(), rng.choice([443, 993, 587]), "login"])
