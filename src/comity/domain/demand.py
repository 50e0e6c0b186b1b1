"""The demand (contract section 4): what an authority asks for, as the domain reads it.

The document is validated once, by the strict model ``demand_schema.DemandDocument`` (which is
also what the OpenAPI description publishes), and converted to the ``Demand`` here. Whether an
instrument is *known* is the rule pack's to say (``Vocabulary``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from comity.domain.accounts import Selector
from comity.domain.categories import Category
from comity.domain.deployment import Entity, Provider

INSTRUMENT_PATTERN = r"^[a-z]{2}\.[a-z0-9_]+$"
INSTRUMENT_ID = re.compile(INSTRUMENT_PATTERN)
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
FORUM_PATTERN = r"^[a-z]{2}\.[a-z0-9_.-]+$"
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


#: ``served_on`` naming the provider itself rather than one of its entities.
SERVED_ON_PROVIDER = "provider"
