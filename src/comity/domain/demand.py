"""The demand document (contract section 4): what an authority asks for, parsed and validated.

Validation gathers every problem, each as one sentence naming the field, what was expected and
what came, so an agency fixes its document in one pass. Whether an instrument is *known* is for
the law engine to say (it fails closed on unknown ones); here we check the document's shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from comity.domain.accounts import Selector, selector_problem
from comity.domain.categories import Category
from comity.domain.countries import looks_like_country_code
from comity.domain.deployment import Entity, Provider
from comity.domain.inputs import EARLIEST_DAY, LATEST_DAY, in_utc, text_problem, text_problems

INSTRUMENT_ID = re.compile(r"^[a-z]{2}\.[a-z0-9_]+$")
AUTHORITY_KINDS = (
    "court",
    "judge",
    "investigating_judge",
    "prosecutor",
    "police",
    "agency",
    "central_authority",
)
#: Who may validate another authority's e-Evidence order (Reg. (EU) 2023/1543 Art. 4).
VALIDATING_KINDS = ("court", "judge", "investigating_judge", "prosecutor")
VERIFIED_BY = ("callback", "signature", None)
CHANNELS = ("mla", "executive_agreement", "eio", "direct", "police_cooperation")
TARGET_ROLES = ("suspect", "victim", "witness", "other")
_FORUM = re.compile(r"^[a-z]{2}\.[a-z0-9_.-]+$")
#: Bounds on one demand: a name or a description is a line or a paragraph; one order names a few
#: accounts (the largest reported, e.g. geofence returns, name hundreds).
MAX_TEXT_CHARS = 2000
MAX_TARGETS = 1000


@dataclass(frozen=True)
class Contact:
    name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class IssuingAuthority:
    """Who issued the demand; ``validated_by`` is the judicial authority that validated it.

    Reg. (EU) 2023/1543 Art. 4(1)(b), (2)(b) and (3)(b) let another competent authority issue an
    order once a judge, court, investigating judge (or, for subscriber data and preservation, a
    prosecutor) has validated it; ``validated_by`` is that validating authority's kind.
    """

    country: str
    kind: str
    name: str
    forum: str | None = None
    validated_by: str | None = None


@dataclass(frozen=True)
class RequestingAgency:
    name: str
    country: str
    contact: Contact | None = None


@dataclass(frozen=True)
class Period:
    start: date
    end: date


#: Offences for which an EPOC may order traffic and content data whatever their sentence
#: (Reg. (EU) 2023/1543 Art. 5(4)(b)-(c)): id -> (instrument, needs an information system).
LISTED_OFFENCES: dict[str, tuple[str, bool]] = {
    "non_cash_payment_fraud": ("Directive (EU) 2019/713 Arts 3-8", True),
    "child_sexual_abuse": ("Directive 2011/93/EU Arts 3-7", True),
    "attack_on_information_systems": ("Directive 2013/40/EU Arts 3-8", True),
    "terrorism": ("Directive (EU) 2017/541 Arts 3-12", False),
}


@dataclass(frozen=True)
class Offence:
    """The offence; ``listed`` names one of ``LISTED_OFFENCES`` and ``by_information_system``
    says whether it was committed wholly or partly by means of an information system."""

    description: str
    max_custodial_years: float | None = None
    committed_in: str | None = None
    listed: str | None = None
    by_information_system: bool = False

    @property
    def listed_for_eevidence(self) -> bool:
        """Whether Art. 5(4)(b)-(c) admits traffic and content data whatever the sentence."""
        if self.listed is None:
            return False
        _, needs_system = LISTED_OFFENCES[self.listed]
        return self.by_information_system or not needs_system


@dataclass(frozen=True)
class Emergency:
    threat: str
    verified_by: str | None = None


@dataclass(frozen=True)
class Via:
    channel: str
    treaty: str | None = None
    requesting_country: str | None = None


@dataclass(frozen=True)
class Target:
    selector: Selector
    role: str | None = None


@dataclass(frozen=True)
class Demand:
    reference: str
    received_at: datetime
    issuing_authority: IssuingAuthority
    instrument: str
    categories: tuple[Category, ...]
    targets: tuple[Target, ...]
    requesting_agency: RequestingAgency | None = None
    period: Period | None = None
    offence: Offence | None = None
    emergency: Emergency | None = None
    non_disclosure_until: date | None = None
    via: Via | None = None
    #: The provider entity the order was served on (contract section 4): None (the entity the
    #: instrument requires where the provider has one, else the provider), ``SERVED_ON_PROVIDER``,
    #: or the country key of one of ``provider.entities``.
    served_on: str | None = None
    #: A non-disclosure order with no end date (18 U.S.C. 2705(b) lets a court set none).
    non_disclosure_indefinite: bool = False
    #: The date the document itself bears, as the requester gave it (contract section 4); the
    #: provider's ``received_at`` is set by the server and runs the deadlines.
    dated: datetime | None = None

    @property
    def issuer_country(self) -> str:
        return self.issuing_authority.country


#: Entities an e-Evidence order must be addressed to (Dir. (EU) 2023/1544 Art. 3; Reg. (EU)
#: 2023/1543 Art. 7(1)): the provider's designated establishment or legal representative.
EU_ADDRESSEE_ROLES = ("eu_designated_establishment", "eu_legal_representative")
#: Instruments addressed to an ``EU_ADDRESSEE_ROLES`` entity (Reg. (EU) 2023/1543 Art. 7).
EU_ADDRESSED_INSTRUMENTS = ("eu.epoc", "eu.epoc_pr")


def served_entity(demand: Demand, provider: Provider) -> Entity:
    """The entity the demand was served on, the provider itself as an ``Entity`` of its own.

    ``served_on`` null means the entity the instrument requires where the provider has one (an
    EPOC reaches the designated establishment or legal representative), else the provider
    (contract section 4). Raises ``ValueError`` naming the key when ``served_on`` names no entity.
    """
    itself = Entity(provider.established_in, provider.name, ("provider",))
    if demand.served_on == SERVED_ON_PROVIDER:
        return itself
    if demand.served_on is not None:
        found = next((e for e in provider.entities if e.country == demand.served_on), None)
        if found is None:
            keys = ", ".join(e.country for e in provider.entities) or "none"
            raise ValueError(
                f"served_on {demand.served_on!r} names no entity of {provider.name} "
                f'(entities: {keys}; or "provider")'
            )
        return found
    if demand.instrument in EU_ADDRESSED_INSTRUMENTS:
        for role in EU_ADDRESSEE_ROLES:
            entity = provider.entity_with_role(role)
            if entity is not None:
                return entity
    return itself


@dataclass(frozen=True)
class Vocabulary:
    """What the rule pack knows, for intake to refuse what the law engine could never assess.

    The law engine fails closed on an unknown instrument or court; refusing it at intake tells
    the requester at once, in the words of the field, instead of storing a demand no rule
    decides. The lists come from the rule pack's facts (``instruments``, US ``districts``), never
    from a second list here.
    """

    instruments: frozenset[str]
    us_districts: frozenset[str]

    def problems(self, demand: Demand) -> list[str]:
        found = []
        if demand.instrument not in self.instruments:
            found.append(
                f"instrument: the rule pack knows no instrument {demand.instrument!r} "
                f"(known: {', '.join(sorted(self.instruments))})"
            )
        forum = demand.issuing_authority.forum
        if (
            forum is not None
            and forum.startswith("us.")
            and forum.removeprefix("us.") not in self.us_districts
        ):
            found.append(
                f"issuing_authority.forum: {forum!r} is not a US district court the rule "
                "pack knows (us. + the court's PACER id, e.g. us.nysd)"
            )
        return found


_TOP_FIELDS = {
    "reference",
    "received_at",
    "issuing_authority",
    "requesting_agency",
    "instrument",
    "categories",
    "targets",
    "period",
    "offence",
    "emergency",
    "non_disclosure",
    "via",
    "served_on",
    "dated",
}
#: ``served_on`` naming the provider itself rather than one of its entities.
SERVED_ON_PROVIDER = "provider"


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, field: str, expected: str, got: object) -> None:
        self.items.append(f"{field}: expected {expected}, got {_show(got)}")


def _show(value: object) -> str:
    if value is None:
        return "nothing"
    try:
        text = repr(value)
    except RecursionError:  # a value nested as deep as the JSON parser allows
        return f"a {type(value).__name__} nested too deeply to show"
    return text if len(text) <= 60 else text[:57] + "..."


def parse_demand(doc: Any, *, known_countries: frozenset[str]) -> tuple[Demand | None, list[str]]:
    """Parse a demand document (already decoded from JSON) or list every problem with it."""
    p = _Problems()
    if not isinstance(doc, dict):
        return None, [f"the demand must be a JSON object, got {type(doc).__name__}"]
    for key in sorted(set(doc) - _TOP_FIELDS):
        p.items.append(f"{key}: unknown field (expected: {', '.join(sorted(_TOP_FIELDS))})")

    def country(field: str, value: object) -> str:
        if not looks_like_country_code(value) or value not in known_countries:
            hint = " (the United Kingdom is GB)" if value == "UK" else ""
            p.add(field, "an ISO 3166-1 alpha-2 country code" + hint, value)
        return str(value)

    def text(field: str, value: object, *, required: bool = True) -> str | None:
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            p.add(field, "a non-empty string", value)
            return None
        if len(value) > MAX_TEXT_CHARS:
            p.add(field, f"at most {MAX_TEXT_CHARS} characters", f"{len(value)} characters")
            return None
        return value.strip()

    def day(field: str, value: object) -> date | None:
        if isinstance(value, str):
            try:
                parsed = date.fromisoformat(value)
            except ValueError:
                pass
            else:
                if EARLIEST_DAY <= parsed <= LATEST_DAY:
                    return parsed
                p.add(field, f"a plausible date, {EARLIEST_DAY} to {LATEST_DAY}", value)
                return None
        p.add(field, "a date as YYYY-MM-DD", value)
        return None

    def instant(field: str, value: object) -> datetime | None:
        """A time with its offset (a naive one could never be compared again), 1970 to 2199."""
        parsed: datetime | None = None
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                parsed = None
        if parsed is None or parsed.tzinfo is None or parsed.utcoffset() is None:
            p.add(field, "a date and time with a time zone, e.g. 2013-12-04T16:00:00Z", value)
            return None
        utc = in_utc(parsed)
        if utc is None or not EARLIEST_DAY <= utc.date() <= LATEST_DAY:
            p.add(field, f"a plausible time, {EARLIEST_DAY} to {LATEST_DAY}", value)
            return None
        return parsed

    p.items += text_problems(doc)
    reference = text("reference", doc.get("reference"))
    if reference is not None and len(reference) > 200:
        p.add("reference", "at most 200 characters", f"{len(reference)} characters")
    elif (
        reference is not None
        and text_problem(reference) is None  # already reported by text_problems
        and (why := text_problem(reference, single_line=True))
    ):
        p.items.append(f"reference: {why}")

    received_at = instant("received_at", doc.get("received_at"))
    dated = instant("dated", doc["dated"]) if doc.get("dated") is not None else None

    authority: IssuingAuthority | None = None
    raw_auth = doc.get("issuing_authority")
    if not isinstance(raw_auth, dict):
        p.add("issuing_authority", "an object with country, kind and name", raw_auth)
    else:
        a_country = country("issuing_authority.country", raw_auth.get("country"))
        kind = raw_auth.get("kind")
        if kind not in AUTHORITY_KINDS:
            p.add("issuing_authority.kind", "one of " + ", ".join(AUTHORITY_KINDS), kind)
        name = text("issuing_authority.name", raw_auth.get("name"))
        forum = raw_auth.get("forum")
        if forum is not None and (not isinstance(forum, str) or not _FORUM.match(forum)):
            p.add("issuing_authority.forum", "an id such as us.nysd", forum)
        validated_by = raw_auth.get("validated_by")
        if validated_by is not None and validated_by not in VALIDATING_KINDS:
            p.add(
                "issuing_authority.validated_by",
                "null or one of " + ", ".join(VALIDATING_KINDS),
                validated_by,
            )
            validated_by = None
        authority = IssuingAuthority(a_country, str(kind), name or "", forum, validated_by)

    agency: RequestingAgency | None = None
    raw_agency = doc.get("requesting_agency")
    if raw_agency is not None:
        if not isinstance(raw_agency, dict):
            p.add("requesting_agency", "an object with name and country", raw_agency)
        else:
            contact = None
            raw_contact = raw_agency.get("contact")
            if raw_contact is not None:
                if not isinstance(raw_contact, dict):
                    p.add(
                        "requesting_agency.contact",
                        "an object with name, email, phone",
                        raw_contact,
                    )
                else:
                    contact = Contact(
                        raw_contact.get("name"), raw_contact.get("email"), raw_contact.get("phone")
                    )
            agency = RequestingAgency(
                text("requesting_agency.name", raw_agency.get("name")) or "",
                country("requesting_agency.country", raw_agency.get("country")),
                contact,
            )

    instrument = doc.get("instrument")
    if not isinstance(instrument, str) or not INSTRUMENT_ID.match(instrument):
        p.add("instrument", "an instrument id such as us.warrant or eu.epoc", instrument)

    categories: list[Category] = []
    raw_cats = doc.get("categories")
    if not isinstance(raw_cats, list) or not raw_cats:
        p.add("categories", "a non-empty list of data categories", raw_cats)
    else:
        for i, raw in enumerate(raw_cats):
            try:
                cat = Category.parse(raw)
            except ValueError as exc:
                p.items.append(f"categories[{i}]: {exc}")
                continue
            if cat in categories:
                p.items.append(f"categories[{i}]: {cat} is listed twice")
            categories.append(cat)

    targets: list[Target] = []
    raw_targets = doc.get("targets")
    if not isinstance(raw_targets, list) or not raw_targets:
        p.add("targets", "a non-empty list of {type, value} selectors", raw_targets)
    elif len(raw_targets) > MAX_TARGETS:
        p.add("targets", f"at most {MAX_TARGETS} selectors", f"{len(raw_targets)} selectors")
    else:
        for i, raw in enumerate(raw_targets):
            if not isinstance(raw, dict):
                p.add(f"targets[{i}]", "an object with type and value", raw)
                continue
            why = selector_problem(raw.get("type"), raw.get("value"))
            if why:
                p.items.append(f"targets[{i}]: {why}")
                continue
            role = raw.get("role")
            if role is not None and role not in TARGET_ROLES:
                p.add(f"targets[{i}].role", "one of " + ", ".join(TARGET_ROLES), role)
            targets.append(Target(Selector.normalise(raw["type"], raw["value"]), role))

    period: Period | None = None
    raw_period = doc.get("period")
    if raw_period is not None:
        if not isinstance(raw_period, dict):
            p.add("period", "an object with start and end dates", raw_period)
        else:
            start, end = (
                day("period.start", raw_period.get("start")),
                day("period.end", raw_period.get("end")),
            )
            if start and end:
                if start > end:
                    p.items.append(f"period: the start {start} is after the end {end}")
                else:
                    period = Period(start, end)

    offence: Offence | None = None
    raw_off = doc.get("offence")
    if raw_off is not None:
        if not isinstance(raw_off, dict):
            p.add(
                "offence", "an object with description, max_custodial_years, committed_in", raw_off
            )
        else:
            years = raw_off.get("max_custodial_years")
            if years is not None and (
                isinstance(years, bool) or not isinstance(years, int | float) or years < 0
            ):
                p.add("offence.max_custodial_years", "a number of years, zero or more", years)
                years = None
            committed = raw_off.get("committed_in")
            if committed is not None:
                committed = country("offence.committed_in", committed)
            listed = raw_off.get("listed")
            if listed is not None and (
                not isinstance(listed, str) or listed not in LISTED_OFFENCES
            ):
                p.add("offence.listed", "null or one of " + ", ".join(LISTED_OFFENCES), listed)
                listed = None
            by_system = raw_off.get("by_information_system", False)
            if not isinstance(by_system, bool):
                p.add("offence.by_information_system", "true or false", by_system)
                by_system = False
            offence = Offence(
                text("offence.description", raw_off.get("description")) or "",
                None if years is None else float(years),
                committed,
                listed,
                by_system,
            )

    emergency: Emergency | None = None
    raw_em = doc.get("emergency")
    if raw_em is not None:
        if not isinstance(raw_em, dict):
            p.add("emergency", "null or an object with threat and verified_by", raw_em)
        else:
            verified = raw_em.get("verified_by")
            if verified not in VERIFIED_BY:
                p.add("emergency.verified_by", "callback, signature or null", verified)
                verified = None
            emergency = Emergency(text("emergency.threat", raw_em.get("threat")) or "", verified)

    nd_until: date | None = None
    nd_indefinite = False
    raw_nd = doc.get("non_disclosure")
    if raw_nd is not None:
        if not isinstance(raw_nd, dict) or not ({"until", "indefinite"} & set(raw_nd)):
            p.add("non_disclosure", 'null, {"until": "YYYY-MM-DD"} or {"indefinite": true}', raw_nd)
        else:
            for key in sorted(set(raw_nd) - {"until", "indefinite"}):
                p.items.append(f"non_disclosure.{key}: unknown field (expected: until, indefinite)")
            indefinite = raw_nd.get("indefinite", False)
            if not isinstance(indefinite, bool):
                p.add("non_disclosure.indefinite", "true or false", indefinite)
                indefinite = False
            if raw_nd.get("until") is not None and indefinite:
                p.items.append(
                    "non_disclosure: an order cannot both end on a day and be indefinite; "
                    "give until or indefinite, not both"
                )
            elif indefinite:
                nd_indefinite = True
            else:
                nd_until = day("non_disclosure.until", raw_nd.get("until"))

    via: Via | None = None
    raw_via = doc.get("via")
    if raw_via is not None:
        if not isinstance(raw_via, dict):
            p.add("via", "null or an object with channel, treaty, requesting_country", raw_via)
        else:
            channel = raw_via.get("channel")
            if channel not in CHANNELS:
                p.add("via.channel", "one of " + ", ".join(CHANNELS), channel)
            requesting = raw_via.get("requesting_country")
            if requesting is not None:
                requesting = country("via.requesting_country", requesting)
            treaty = raw_via.get("treaty")
            if treaty is not None and not isinstance(treaty, str):
                p.add("via.treaty", "a treaty id such as us-ie.mlat", treaty)
                treaty = None
            via = Via(str(channel), treaty, requesting)

    served_on: str | None = None
    raw_served = doc.get("served_on")
    if raw_served is not None:
        if raw_served == SERVED_ON_PROVIDER:
            served_on = SERVED_ON_PROVIDER
        elif looks_like_country_code(raw_served):
            served_on = str(raw_served)
        else:
            p.add(
                "served_on",
                'null, "provider" or the country key of one of the provider\'s entities, e.g. "IE"',
                raw_served,
            )

    if p.items:
        return None, p.items
    assert reference is not None
    assert received_at is not None
    assert authority is not None
    assert isinstance(instrument, str)
    return (
        Demand(
            reference,
            received_at,
            authority,
            instrument,
            tuple(categories),
            tuple(targets),
            agency,
            period,
            offence,
            emergency,
            nd_until,
            via,
            served_on,
            nd_indefinite,
            dated,
        ),
        [],
    )
