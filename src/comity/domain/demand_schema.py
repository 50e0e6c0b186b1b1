"""The demand document (contract section 4): one strict model that validates and publishes it.

``DemandDocument`` is what every door parses a demand with (API, portal, CLI, scenario and replay
runners, the HI-1 import, a stored demand read back), and what the OpenAPI description publishes.
Each problem is one sentence naming the field, what was expected and what came
(``issuing_authority.country: expected an ISO 3166-1 alpha-2 country code, got 'UK'``), and all
of them are reported at once, so an agency fixes its document in one pass. ``to_demand`` gives
the domain's ``Demand``. Whether an instrument or a court is *known* is the rule pack's to say
(``Vocabulary``); the published schema lists them when the API knows its rule pack.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from comity.domain.accounts import SELECTOR_TYPES, Selector, selector_problem
from comity.domain.categories import Category
from comity.domain.countries import looks_like_country_code
from comity.domain.demand import (
    AUTHORITY_KINDS,
    CHANNELS,
    FORUM_PATTERN,
    INSTRUMENT_PATTERN,
    LISTED_OFFENCES,
    MAX_TARGETS,
    MAX_TEXT_CHARS,
    SERVED_ON_PROVIDER,
    TARGET_ROLES,
    VALIDATING_KINDS,
    Contact,
    Demand,
    Emergency,
    IssuingAuthority,
    Offence,
    Period,
    RequestingAgency,
    Target,
    Via,
)
from comity.domain.inputs import (
    EMAIL_PATTERN,
    FILLED_LINE_PATTERN,
    FILLED_TEXT_PATTERN,
    LINE_PATTERN,
    NON_DISCLOSURE_ONE_OF,
    Day,
    When,
    expect,
    field_path,
    text_problem,
    validation_problems,
)

#: The longest reference a demand may carry.
MAX_REFERENCE_CHARS = 200
#: What a name or a description may hold (the value is stripped): something besides white
#: space, no control or bidi characters but line breaks (in a name) or none (in a reference).
NAME_PATTERN = FILLED_TEXT_PATTERN
REFERENCE_PATTERN = FILLED_LINE_PATTERN
#: A selector's value by type, as ``accounts.selector_problem`` checks it (stripped).
#: White space a selector may be padded with (stripped): not the controls that text refuses.
_PADDING = "[\\t\\n\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*"
SELECTOR_PATTERNS = {
    "email": f"^{_PADDING}{EMAIL_PATTERN[1:-1]}{_PADDING}$",
    "phone": f"^{_PADDING}\\+[1-9][0-9]{{6,14}}{_PADDING}$",
    "username": NAME_PATTERN,
    "account_id": NAME_PATTERN,
}
#: Where the OpenAPI description keeps the list of country codes every country field uses, and
#: the mark that ``to_country_refs`` replaces with a reference to it.
COUNTRY_REF = "#/components/schemas/CountryCode"
COUNTRY_MARK = "x-comity-country"
#: A country code as a document's field publishes it (``to_country_refs`` lists the codes).
COUNTRY_JSON_SCHEMA: dict[str, JsonValue] = {
    "type": "string",
    "pattern": "^[A-Z]{2}$",
    COUNTRY_MARK: True,
}


def _text(value: str) -> str:
    if why := text_problem(value):
        raise ValueError(why)
    return value


def _line(value: str) -> str:
    if why := text_problem(value, single_line=True):
        raise ValueError(why)
    return value


def _country(value: str, info: ValidationInfo) -> str:
    """An assigned ISO 3166-1 code: the list comes with the validation context, from data."""
    known = (info.context or {}).get("known_countries")
    if not looks_like_country_code(value) or (known is not None and value not in known):
        hint = " (the United Kingdom is GB)" if value == "UK" else ""
        raise ValueError(f"expected an ISO 3166-1 alpha-2 country code{hint}, got {value!r}")
    return value


def _category(value: object) -> Category:
    return Category.parse(value)


def _pattern(pattern: str, description: str | None = None) -> Any:
    """A published pattern that a validator of ours enforces (Pydantic's engine has no
    Unicode classes of the kind these use)."""
    extra: dict[str, Any] = {"pattern": pattern}
    return Field(json_schema_extra=extra, description=description)


def _matching(pattern: str, description: str | None = None) -> Any:
    """A pattern Pydantic enforces and publishes."""
    return Field(pattern=pattern, description=description)


def _enum(
    values: tuple[str, ...] | list[str], description: str | None = None, *, nullable: bool = False
) -> Any:
    listed: list[JsonValue] = [*values, None] if nullable else list(values)
    return Field(json_schema_extra={"enum": listed}, description=description)


Name = Annotated[
    str,
    AfterValidator(_text),
    Field(min_length=1, max_length=MAX_TEXT_CHARS),
    _pattern(NAME_PATTERN),
    expect("a non-empty string"),
]
#: One line of text, as a contact's name, e-mail or phone and a treaty id are written.
ShortLine = Annotated[str, AfterValidator(_line), Field(max_length=200), _pattern(LINE_PATTERN)]
ContactText = Annotated[ShortLine | None, expect("null or one line of text")]
Country = Annotated[
    str,
    AfterValidator(_country),
    WithJsonSchema(COUNTRY_JSON_SCHEMA),
    expect("an ISO 3166-1 alpha-2 country code"),
]


def _one_of(values: tuple[str, ...] | list[str], *, nullable: bool = False) -> Any:
    listed = ", ".join(values)
    return expect(f"null or one of {listed}" if nullable else f"one of {listed}")


def _known(values: tuple[str, ...] | list[str]) -> Any:
    """Refuse a value not in ``values`` as Pydantic would, so ``expect`` says what is known."""

    def check(value: str | None) -> str | None:
        if value is not None and value not in values:
            raise PydanticCustomError("not_listed", "not one of the values listed")
        return value

    return AfterValidator(check)


class _Doc(BaseModel):
    """Part of a demand: unknown fields refused, values stripped, nothing coerced."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _missing_is_nothing(cls, data: Any) -> Any:
        """A missing required field is checked as ``null``, so its sentence says what it
        expects (``reference: expected a non-empty string, got nothing``)."""
        if isinstance(data, dict):
            absent = {
                name: None
                for name, field in cls.model_fields.items()
                if field.is_required() and name not in data
            }
            return {**data, **absent} if absent else data
        return data


class ContactDoc(_Doc):
    name: ContactText = None
    email: ContactText = None
    phone: ContactText = None


class IssuingAuthorityDoc(_Doc):
    country: Country
    kind: Annotated[str, _known(AUTHORITY_KINDS), _enum(AUTHORITY_KINDS), _one_of(AUTHORITY_KINDS)]
    name: Name
    forum: Annotated[
        str | None,
        _matching(
            FORUM_PATTERN,
            "us. + the court's PACER id (us.nysd); a US district the rule pack knows",
        ),
        expect("an id such as us.nysd"),
    ] = None
    validated_by: Annotated[
        str | None,
        _known(VALIDATING_KINDS),
        _enum(VALIDATING_KINDS, nullable=True),
        _one_of(VALIDATING_KINDS, nullable=True),
    ] = None


class RequestingAgencyDoc(_Doc):
    name: Name
    country: Country
    contact: Annotated[ContactDoc | None, expect("an object with name, email, phone")] = None


class TargetDoc(_Doc):
    """One selector naming an account; its value is checked by its type."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"properties": {"type": {"const": kind}, "value": {"pattern": pattern}}}
                for kind, pattern in SELECTOR_PATTERNS.items()
            ]
        }
    )

    type: Annotated[str, _enum(SELECTOR_TYPES)]
    value: Annotated[str, AfterValidator(_text), Field(min_length=1, max_length=MAX_TEXT_CHARS)]
    role: Annotated[
        str | None,
        _known(TARGET_ROLES),
        _enum(TARGET_ROLES, nullable=True),
        _one_of(TARGET_ROLES, nullable=True),
    ] = None

    @model_validator(mode="before")
    @classmethod
    def _a_selector(cls, data: Any) -> Any:
        if isinstance(data, dict) and (
            why := selector_problem(data.get("type"), data.get("value"))
        ):
            raise ValueError(why)
        return data

    def to_target(self) -> Target:
        return Target(Selector.normalise(self.type, self.value), self.role)


class PeriodDoc(_Doc):
    start: Annotated[Day, expect("a date as YYYY-MM-DD")]
    end: Annotated[Day, expect("a date as YYYY-MM-DD")]

    @model_validator(mode="after")
    def _ordered(self) -> PeriodDoc:
        if self.start > self.end:
            raise ValueError(f"the start {self.start} is after the end {self.end}")
        return self


class OffenceDoc(_Doc):
    description: Name
    max_custodial_years: Annotated[
        Annotated[StrictInt, Field(ge=0)] | Annotated[StrictFloat, Field(ge=0)] | None,
        expect("a number of years, zero or more"),
    ] = None
    committed_in: Country | None = None
    listed: Annotated[
        str | None,
        _known(list(LISTED_OFFENCES)),
        _enum(list(LISTED_OFFENCES), nullable=True),
        _one_of(list(LISTED_OFFENCES), nullable=True),
    ] = None
    by_information_system: Annotated[StrictBool, expect("true or false")] = False


class EmergencyDoc(_Doc):
    threat: Name
    verified_by: Annotated[
        str | None,
        _known(("callback", "signature")),
        _enum(("callback", "signature"), nullable=True),
        expect("callback, signature or null"),
    ] = None


class NonDisclosureDoc(_Doc):
    """A non-disclosure order (18 U.S.C. 2705(b)): until a day, or indefinite, never both."""

    model_config = ConfigDict(json_schema_extra={"oneOf": NON_DISCLOSURE_ONE_OF})

    until: Annotated[Day | None, expect("a date as YYYY-MM-DD")] = None
    indefinite: Annotated[
        StrictBool, Field(description="No end date; never with until"), expect("true or false")
    ] = False

    @model_validator(mode="after")
    def _one_end(self) -> NonDisclosureDoc:
        if self.until is not None and self.indefinite:
            raise ValueError(
                "an order cannot both end on a day and be indefinite; give until or "
                "indefinite, not both"
            )
        if self.until is None and not self.indefinite:
            raise ValueError('expected {"until": "YYYY-MM-DD"} or {"indefinite": true}')
        return self


class ViaDoc(_Doc):
    channel: Annotated[str, _known(CHANNELS), _enum(CHANNELS), _one_of(CHANNELS)]
    treaty: Annotated[ShortLine | None, expect("a treaty id such as us-ie.mlat")] = None
    requesting_country: Country | None = None


_EXAMPLE: dict[str, Any] = {
    "reference": "13-MAG-2814",
    "dated": "2013-12-04T16:00:00Z",
    "issuing_authority": {
        "country": "US",
        "kind": "court",
        "name": "U.S. District Court for the Southern District of New York",
        "forum": "us.nysd",
    },
    "requesting_agency": {"name": "Drug Enforcement Administration", "country": "US"},
    "instrument": "us.warrant",
    "categories": ["subscriber", "traffic", "content"],
    "targets": [{"type": "email", "value": "target@example.com"}],
    "period": {"start": "2013-01-01", "end": "2013-12-04"},
    "offence": {
        "description": "narcotics trafficking",
        "max_custodial_years": 20,
        "committed_in": "US",
    },
    "emergency": None,
    "non_disclosure": {"until": "2014-12-04"},
    "via": None,
}


def _distinct(categories: list[Category]) -> list[Category]:
    for index, category in enumerate(categories):
        if category in categories[:index]:
            raise ValueError(f"categories[{index}]: {category} is listed twice")
    return categories


class DemandDocument(_Doc):
    """A government demand for customer data (contract section 4)."""

    model_config = ConfigDict(title="Demand", json_schema_extra={"examples": [_EXAMPLE]})

    reference: Annotated[
        str,
        AfterValidator(_line),
        Field(min_length=1, max_length=MAX_REFERENCE_CHARS),
        _pattern(REFERENCE_PATTERN),
        expect("a non-empty string"),
    ]
    received_at: Annotated[
        When | None,
        Field(
            description="Set by the server through the API and the portal (a value sent is kept "
            "as dated); staff recording a demand received by post may give a past time"
        ),
        expect("a date and time with a time zone, e.g. 2013-12-04T16:00:00Z", plausible="time"),
    ] = None
    dated: Annotated[
        When | None,
        Field(description="The date the document bears"),
        expect("a date and time with a time zone, e.g. 2013-12-04T16:00:00Z", plausible="time"),
    ] = None
    issuing_authority: Annotated[
        IssuingAuthorityDoc, expect("an object with country, kind and name")
    ]
    requesting_agency: Annotated[
        RequestingAgencyDoc | None, expect("an object with name and country")
    ] = None
    instrument: Annotated[
        str,
        _matching(INSTRUMENT_PATTERN, "An instrument id the rule pack knows, e.g. us.warrant"),
        expect("an instrument id such as us.warrant or eu.epoc"),
    ]
    categories: Annotated[
        list[Annotated[Category, BeforeValidator(_category)]],
        Field(min_length=1, max_length=len(Category), json_schema_extra={"uniqueItems": True}),
        AfterValidator(_distinct),
        expect("a non-empty list of data categories", items="categories"),
    ]
    targets: Annotated[
        list[TargetDoc],
        Field(min_length=1, max_length=MAX_TARGETS),
        expect("a non-empty list of {type, value} selectors", items="selectors"),
    ]
    period: Annotated[PeriodDoc | None, expect("an object with start and end dates")] = None
    offence: Annotated[
        OffenceDoc | None,
        expect("an object with description, max_custodial_years, committed_in"),
    ] = None
    emergency: Annotated[
        EmergencyDoc | None, expect("null or an object with threat and verified_by")
    ] = None
    non_disclosure: Annotated[
        NonDisclosureDoc | None,
        expect('null, {"until": "YYYY-MM-DD"} or {"indefinite": true}'),
    ] = None
    via: Annotated[
        ViaDoc | None, expect("null or an object with channel, treaty, requesting_country")
    ] = None
    served_on: Annotated[
        str | None,
        _matching(
            f"^({SERVED_ON_PROVIDER}|[A-Z]{{2}})$",
            'The provider entity the order was served on: "provider", or the country key of '
            "one of the provider's entities (e.g. IE); null: the entity the instrument "
            "requires where the provider has one, else the provider",
        ),
        expect('null, "provider" or the country key of one of the provider\'s entities, e.g. "IE"'),
    ] = None

    def to_demand(self, received_at: datetime) -> Demand:
        """The domain's demand, received at ``received_at`` (the document's, or the server's)."""
        authority = self.issuing_authority
        agency = self.requesting_agency
        nd = self.non_disclosure
        return Demand(
            reference=self.reference,
            received_at=received_at,
            issuing_authority=IssuingAuthority(
                authority.country,
                authority.kind,
                authority.name,
                authority.forum,
                authority.validated_by,
            ),
            instrument=self.instrument,
            categories=tuple(self.categories),
            targets=tuple(t.to_target() for t in self.targets),
            requesting_agency=None
            if agency is None
            else RequestingAgency(
                agency.name,
                agency.country,
                None
                if agency.contact is None
                else Contact(agency.contact.name, agency.contact.email, agency.contact.phone),
            ),
            period=None if self.period is None else Period(self.period.start, self.period.end),
            offence=None
            if self.offence is None
            else Offence(
                self.offence.description,
                None
                if self.offence.max_custodial_years is None
                else float(self.offence.max_custodial_years),
                self.offence.committed_in,
                self.offence.listed,
                self.offence.by_information_system,
            ),
            emergency=None
            if self.emergency is None
            else Emergency(self.emergency.threat, self.emergency.verified_by),
            non_disclosure_until=None if nd is None else nd.until,
            via=None
            if self.via is None
            else Via(self.via.channel, self.via.treaty, self.via.requesting_country),
            served_on=self.served_on,
            non_disclosure_indefinite=nd is not None and nd.indefinite,
            dated=self.dated,
        )


#: The document's top-level fields, for the sentence naming an unknown one.
DEMAND_FIELDS = tuple(DemandDocument.model_fields)


def parse_demand(doc: Any, *, known_countries: frozenset[str]) -> tuple[Demand | None, list[str]]:
    """A stored or submitted demand document (decoded from JSON) as the domain's ``Demand``, or
    every problem with it; ``received_at`` must be there (the server stamps it at intake)."""
    if not isinstance(doc, dict):
        return None, [f"the demand must be a JSON object, got {type(doc).__name__}"]
    try:
        parsed = DemandDocument.model_validate(doc, context={"known_countries": known_countries})
    except ValidationError as exc:
        return None, demand_problems(exc)
    if parsed.received_at is None:
        return None, [
            "received_at: expected a date and time with a time zone, e.g. "
            "2013-12-04T16:00:00Z, got nothing"
        ]
    return parsed.to_demand(parsed.received_at), []


def demand_problems(exc: ValidationError) -> list[str]:
    """The model's errors as sentences, an unknown field first with the fields there are."""
    unknown, others = [], []
    for error in exc.errors():
        if error["type"] == "extra_forbidden":
            *parent, key = error["loc"]
            known = _fields_at(tuple(parent))
            unknown.append(
                f"{field_path((*parent, key))}: unknown field (expected: {', '.join(known)})"
            )
        else:
            others.append(error)
    return unknown + validation_problems(others)


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    """The fields of the part of the demand at ``loc``, for an unknown field's sentence: the
    document's many in alphabetical order, a part's few in the order they are written."""
    model: type[BaseModel] = DemandDocument
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[str(part)].annotation
        for candidate in (annotation, *getattr(annotation, "__args__", ())):
            inner = getattr(candidate, "__args__", (candidate,))
            found = next(
                (c for c in (candidate, *inner) if isinstance(c, type) and issubclass(c, _Doc)),
                None,
            )
            if found is not None:
                model = found
                break
    return sorted(model.model_fields) if model is DemandDocument else list(model.model_fields)


def demand_json_schema(
    *,
    countries: frozenset[str] = frozenset(),
    instruments: frozenset[str] = frozenset(),
    us_districts: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The demand's schema with references into OpenAPI's components, and those components.

    Given the deployment's countries and its rule pack's instruments and US districts, the
    schema lists them, so that what it allows is what intake accepts.
    """
    schema = DemandDocument.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    if instruments:
        schema["properties"]["instrument"] = {
            "type": "string",
            "enum": sorted(instruments),
            "description": "An instrument id the rule pack knows",
        }
    if us_districts:
        forum = defs["IssuingAuthorityDoc"]["properties"]["forum"]
        forum.pop("pattern", None)
        forum["anyOf"] = [
            {"type": "string", "enum": sorted(f"us.{d}" for d in us_districts)},
            # any other country's forum: two letters that are not "us" (no lookahead, which
            # some schema validators' regular expressions lack)
            {"type": "string", "pattern": "^([a-tv-z][a-z]|u[a-rt-z])" + FORUM_PATTERN[9:]},
            {"type": "null"},
        ]
    country: dict[str, Any] = {"type": "string", "description": "ISO 3166-1 alpha-2"}
    if countries:
        country["enum"] = sorted(countries)
    else:
        country["pattern"] = "^[A-Z]{2}$"
    components = to_country_refs({**defs, "Demand": schema})
    return components["Demand"], {**components, "CountryCode": country}


def to_country_refs(node: Any) -> Any:
    """``node`` with each country field's schema replaced by a reference to ``CountryCode``."""
    if isinstance(node, dict):
        if node.get(COUNTRY_MARK):
            return {"$ref": COUNTRY_REF}
        return {key: to_country_refs(value) for key, value in node.items()}
    if isinstance(node, list):
        return [to_country_refs(value) for value in node]
    return node
