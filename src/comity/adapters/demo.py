"""The demo deployment: five regions and a few dozen synthetic accounts from a fixed seed.

One account (``msft-ireland``) is placed as in the Microsoft Ireland case: subscriber and traffic
records in ``us-west``, mail content in ``eu-ie``.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from comity.domain.accounts import Account, AccountKind, Selector
from comity.domain.categories import Category
from comity.services.accounts import create_account
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


def populate_demo(uow: Callable[[], UnitOfWork], clock: Clock) -> list[str]:
    """Create the demo accounts; return what was made, for the user."""
    accounts = demo_accounts()
    for account in accounts:
        create_account(uow, account, actor="comity-init", clock=clock)
    return [
        f"demo: {len(accounts)} accounts (msft-ireland placed as in the Microsoft Ireland case)"
    ]
