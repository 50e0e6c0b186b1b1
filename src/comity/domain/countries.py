"""Country codes: ISO 3166-1 alpha-2, plus ``EU`` for the Union as an issuer or bloc.

The list of valid codes is data handed to the domain (see ``comity.law.countries``), so the
domain stays free of I/O; this module only holds the rule for what a code looks like.
"""

from __future__ import annotations

import re

_SHAPE = re.compile(r"^[A-Z]{2}$")

#: Codes that are not ISO 3166-1 countries but that rules and documents may name.
PSEUDO_COUNTRIES = frozenset({"EU"})


def looks_like_country_code(value: object) -> bool:
    """True for two upper-case ASCII letters; whether it is assigned is checked against data."""
    return isinstance(value, str) and bool(_SHAPE.match(value))
