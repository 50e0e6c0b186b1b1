"""The set of valid country codes, from ISO 3166-1 via ``pycountry``, plus the pseudo-country EU.

Reference data, and it belongs with the law: a demand's issuer, a region's country and a rule
pack's facts are all ISO 3166-1 codes, and the law engine is what gives them meaning. It lives in
the law layer (not in an adapter) so every layer above (services through ``LawContext``, the
composition root, the configuration reader and the entry points validating input) reads one list,
and not in the domain, which stays free of the package data ``pycountry`` loads from disk.
"""

from __future__ import annotations

from functools import cache

import pycountry

from comity.domain.countries import PSEUDO_COUNTRIES


@cache
def known_countries() -> frozenset[str]:
    codes = {c.alpha_2 for c in pycountry.countries}
    # pycountry follows ISO, which reserves ``UK`` for the United Kingdom but assigns ``GB``;
    # documents must use ``GB``. ``EU`` names the Union as an issuer or bloc.
    return frozenset(codes | PSEUDO_COUNTRIES)


def country_problem(value: object, field: str) -> str | None:
    """Why ``value`` is not a country code, naming ``field``, or None if it is one."""
    if isinstance(value, str) and value in known_countries():
        return None
    hint = " (the United Kingdom is GB)" if value == "UK" else ""
    return f"{field}: {value!r} is not an ISO 3166-1 alpha-2 country code{hint}"
