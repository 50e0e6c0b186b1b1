"""Facts of a rule pack (YAML): countries, blocs with dated membership, US districts and circuits,
treaties in force, qualifying foreign governments, instruments and deadlines.

Facts are data so that legal staff change a date or add a treaty without touching code. Every
question takes the date it is asked for, because membership and treaties change over time (the
UK left the EU on 2020-01-31; the UK-US agreement entered into force on 2022-10-03).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from comity.domain.deadlines import RULE_PERIODS

_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?)?$")


def parse_duration(text: str) -> timedelta:
    """ISO 8601 durations the packs use: days and hours (P90D, PT8H)."""
    m = _DURATION.match(text)
    if not m or not (m.group(1) or m.group(2)):
        raise ValueError(f"unsupported duration {text!r} (use PnD or PTnH)")
    return timedelta(days=int(m.group(1) or 0), hours=int(m.group(2) or 0))


def _deadline_problem(key: str, spec: Deadline) -> str | None:
    """A pack's deadline must be one ``domain.deadlines`` computes, with the same periods: the
    YAML states them for readers, the domain is the one authority that counts them."""
    if key not in RULE_PERIODS:
        return f"deadlines.{key}: not a deadline Comity computes ({', '.join(RULE_PERIODS)})"
    days, hours = RULE_PERIODS[key]
    try:
        period = parse_duration(spec.period)
        emergency = parse_duration(spec.emergency) if spec.emergency else None
    except ValueError as exc:
        return f"deadlines.{key}: {exc}"
    stated = (period, emergency)
    computed = (timedelta(days=days), None if hours is None else timedelta(hours=hours))
    if stated != computed:
        return (
            f"deadlines.{key}: states {spec.period}"
            + (f" (emergency {spec.emergency})" if spec.emergency else "")
            + f" but Comity counts {days} days"
            + (f" ({hours} hours in an emergency)" if hours is not None else "")
        )
    return None


@dataclass(frozen=True)
class CountryFacts:
    code: str
    name: str
    central_authority: str | None
    instrument: str | None


@dataclass(frozen=True)
class Treaty:
    id: str
    name: str
    kind: str
    parties: tuple[str, ...]
    in_force: date
    party_dates: dict[str, date] = field(default_factory=dict)


@dataclass(frozen=True)
class Deadline:
    period: str
    emergency: str | None = None
    renewal: str | None = None
    citation: str | None = None


@dataclass(frozen=True)
class Facts:
    countries: dict[str, CountryFacts]
    eu_members: dict[str, tuple[date, date | None]]
    eevidence_from: date
    eevidence_excluded: frozenset[str]
    districts: dict[str, str]
    treaties: tuple[Treaty, ...]
    qfg: dict[str, date]
    instruments: dict[str, str]
    deadlines: dict[str, Deadline]
    #: Where the GDPR applied beyond the EU's members (the UK until 2020-12-31).
    gdpr_also: dict[str, tuple[date, date | None]] = field(default_factory=dict)

    def in_eu(self, country: str, on: date) -> bool:
        return _within(self.eu_members.get(country), on)

    def in_gdpr(self, country: str, on: date) -> bool:
        """Whether the GDPR applies in ``country`` on ``on``: EU members, and the UK during the
        Brexit transition (Withdrawal Agreement Art. 127: Union law applied until 2020-12-31)."""
        return self.in_eu(country, on) or _within(self.gdpr_also.get(country), on)

    def bound_by_eevidence(self, country: str, on: date) -> bool:
        """Reg. (EU) 2023/1543 binds EU Member States except Denmark from 2026-08-18."""
        return (
            on >= self.eevidence_from
            and self.in_eu(country, on)
            and country not in self.eevidence_excluded
        )

    def is_qfg(self, country: str, on: date, override: list[str] | None) -> bool:
        """18 U.S.C. 2703(h)(1): configurable; a deployment's list replaces the pack's."""
        if override is not None:
            return country in override
        since = self.qfg.get(country)
        return since is not None and on >= since

    def _party(self, treaty: Treaty, country: str, on: date) -> bool:
        if country in treaty.party_dates:
            return on >= treaty.party_dates[country]
        if country in treaty.parties:
            return True
        return "EU" in treaty.parties and self.in_eu(country, on)

    def treaties_between(self, a: str, b: str, on: date, kinds: tuple[str, ...]) -> list[Treaty]:
        return [
            t
            for t in self.treaties
            if t.kind in kinds
            and on >= t.in_force
            and self._party(t, a, on)
            and self._party(t, b, on)
        ]

    @property
    def treaty_ids(self) -> frozenset[str]:
        return frozenset(t.id for t in self.treaties)

    def treaty_in_force(self, treaty_id: str, a: str, b: str, on: date) -> bool:
        """Whether the MLA treaty ``treaty_id`` binds both ``a`` and ``b`` on ``on``."""
        return any(
            t.id == treaty_id for t in self.treaties_between(a, b, on, ("mlat", "mla_agreement"))
        )

    def executive_agreement(self, a: str, b: str, on: date) -> Treaty | None:
        found = self.treaties_between(a, b, on, ("executive_agreement",))
        return found[0] if found else None

    def mla_treaty(self, a: str, b: str, on: date) -> Treaty | None:
        """The MLA route between two countries: a bilateral treaty first, else a bloc agreement."""
        for kinds in (("mlat",), ("mla_agreement",)):
            found = self.treaties_between(a, b, on, kinds)
            if found:
                return found[0]
        return None


def _within(span: tuple[date, date | None] | None, on: date) -> bool:
    if span is None:
        return False
    start, end = span
    return start <= on and (end is None or on < end)


def _spans(raw: Any, where: str, problems: list[str]) -> dict[str, tuple[date, date | None]]:
    """``{CC: {from: date, to: date}}`` tables; ``to`` is the first day outside."""
    out: dict[str, tuple[date, date | None]] = {}
    for code, item in (raw or {}).items():
        start = _day((item or {}).get("from"), f"{where}.{code}.from", problems)
        end = (item or {}).get("to")
        out[code] = (start, None if end is None else _day(end, f"{where}.{code}.to", problems))
    return out


def _day(value: Any, where: str, problems: list[str]) -> date:
    if isinstance(value, date):
        return value
    problems.append(f"{where}: expected a date YYYY-MM-DD, got {value!r}")
    return date.min


def parse_facts(doc: dict[str, Any], problems: list[str]) -> Facts:
    """Build ``Facts`` from the merged YAML documents, appending one sentence per problem."""
    countries: dict[str, CountryFacts] = {}
    for code, raw in (doc.get("countries") or {}).items():
        if not isinstance(code, str) or len(code) != 2 or not code.isupper():
            # YAML reads an unquoted NO (Norway) as false: quote such codes.
            problems.append(f'countries: {code!r} is not a country code (quote it: "NO")')
            continue
        if not isinstance(raw, dict) or "name" not in raw:
            problems.append(f"countries.{code}: expected a mapping with a name")
            continue
        countries[code] = CountryFacts(
            code, raw["name"], raw.get("central_authority"), raw.get("instrument")
        )

    blocs = doc.get("blocs") or {}
    eu_members = _spans((blocs.get("EU") or {}).get("members"), "blocs.EU.members", problems)
    gdpr_also = _spans((blocs.get("gdpr") or {}).get("also"), "blocs.gdpr.also", problems)
    eev = blocs.get("e-evidence") or {}
    eevidence_from = _day(eev.get("applies_from"), "blocs.e-evidence.applies_from", problems)

    districts: dict[str, str] = {}
    for pacer, circuit in (doc.get("districts") or {}).items():
        districts[str(pacer)] = str(circuit)

    treaties: list[Treaty] = []
    for tid, raw in (doc.get("treaties") or {}).items():
        where = f"treaties.{tid}"
        party_dates = {
            c: _day(d, f"{where}.party_dates.{c}", problems)
            for c, d in (raw.get("party_dates") or {}).items()
        }
        treaties.append(
            Treaty(
                tid,
                raw.get("name", tid),
                raw.get("kind", ""),
                tuple(raw.get("parties") or ()),
                _day(raw.get("in_force"), f"{where}.in_force", problems),
                party_dates,
            )
        )
        if raw.get("kind") not in ("mlat", "mla_agreement", "executive_agreement", "convention"):
            problems.append(f"{where}.kind: unknown kind {raw.get('kind')!r}")

    qfg = {
        c: _day((raw or {}).get("from"), f"qualifying_foreign_governments.{c}.from", problems)
        for c, raw in (doc.get("qualifying_foreign_governments") or {}).items()
    }
    instruments = {
        iid: str((raw or {}).get("country")) for iid, raw in (doc.get("instruments") or {}).items()
    }
    deadlines = {
        key: Deadline(raw["period"], raw.get("emergency"), raw.get("renewal"), raw.get("citation"))
        for key, raw in (doc.get("deadlines") or {}).items()
        if isinstance(raw, dict) and "period" in raw
    }
    for key in set(doc.get("deadlines") or {}) - set(deadlines):
        problems.append(f"deadlines.{key}: expected a mapping with a period")
    problems += [p for k, spec in deadlines.items() if (p := _deadline_problem(k, spec))]
    return Facts(
        countries,
        eu_members,
        eevidence_from,
        frozenset(eev.get("excluded") or ()),
        districts,
        tuple(treaties),
        qfg,
        instruments,
        deadlines,
        gdpr_also,
    )
