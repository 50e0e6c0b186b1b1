"""The demand document (contract section 4) as a JSON Schema, for the OpenAPI description.

``parse_demand`` is what validates a demand, field by field, with the sentences a requester reads;
this model only publishes the same shape so that clients and schema-driven tests (Schemathesis)
know it. The vocabularies come from ``domain/demand.py`` (kinds, channels, roles, offences), and
a unit test keeps the two field lists equal, so a field added to the parser that is missing here
fails the suite.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from comity.domain.accounts import SELECTOR_TYPES
from comity.domain.categories import Category
from comity.domain.demand import (
    AUTHORITY_KINDS,
    CHANNELS,
    LISTED_OFFENCES,
    MAX_TARGETS,
    MAX_TEXT_CHARS,
    TARGET_ROLES,
    VALIDATING_KINDS,
)
from comity.domain.inputs import Day, When

Name = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS)]
Country = Annotated[str, Field(pattern="^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]


def _enum(values: tuple[str, ...] | list[str], description: str = "") -> Any:
    return Field(json_schema_extra={"enum": list(values)}, description=description or None)


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactDoc(_Doc):
    name: str | None = None
    email: str | None = None
    phone: str | None = None


class IssuingAuthorityDoc(_Doc):
    country: Country
    kind: Annotated[str, _enum(AUTHORITY_KINDS)]
    name: Name
    forum: Annotated[
        str | None,
        Field(
            pattern=r"^[a-z]{2}\.[a-z0-9_.-]+$",
            description="us. + the court's PACER id (us.nysd); a US district the rule pack knows",
        ),
    ] = None
    validated_by: Annotated[str | None, _enum(VALIDATING_KINDS)] = None


class RequestingAgencyDoc(_Doc):
    name: Name
    country: Country
    contact: ContactDoc | None = None


class TargetDoc(_Doc):
    type: Annotated[str, _enum(SELECTOR_TYPES)]
    value: Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS)]
    role: Annotated[str | None, _enum(TARGET_ROLES)] = None


class PeriodDoc(_Doc):
    start: Day
    end: Day


class OffenceDoc(_Doc):
    description: Name
    max_custodial_years: Annotated[float | None, Field(ge=0)] = None
    committed_in: Country | None = None
    listed: Annotated[str | None, _enum(list(LISTED_OFFENCES))] = None
    by_information_system: bool = False


class EmergencyDoc(_Doc):
    threat: Name
    verified_by: Annotated[str | None, _enum(("callback", "signature"))] = None


class NonDisclosureDoc(_Doc):
    until: Day | None = None
    indefinite: Annotated[bool, Field(description="No end date; never with until")] = False


class ViaDoc(_Doc):
    channel: Annotated[str, _enum(CHANNELS)]
    treaty: str | None = None
    requesting_country: Country | None = None


class DemandDocument(_Doc):
    """A government demand for customer data (contract section 4)."""

    model_config = ConfigDict(
        title="Demand",
        json_schema_extra={
            "examples": [
                {
                    "reference": "13-MAG-2814",
                    "dated": "2013-12-04T16:00:00Z",
                    "issuing_authority": {
                        "country": "US",
                        "kind": "court",
                        "name": "U.S. District Court for the Southern District of New York",
                        "forum": "us.nysd",
                    },
                    "requesting_agency": {
                        "name": "Drug Enforcement Administration",
                        "country": "US",
                    },
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
            ]
        },
    )

    reference: Annotated[str, Field(min_length=1, max_length=200)]
    received_at: Annotated[
        AwareDatetime | None,
        Field(
            description="Set by the server through the API and the portal (a value sent is kept "
            "as dated); staff recording a demand received by post may give a past time"
        ),
    ] = None
    dated: Annotated[When | None, Field(description="The date the document bears")] = None
    issuing_authority: IssuingAuthorityDoc
    requesting_agency: RequestingAgencyDoc | None = None
    instrument: Annotated[
        str,
        Field(
            pattern=r"^[a-z]{2}\.[a-z0-9_]+$",
            description="An instrument id the rule pack knows, e.g. us.warrant or eu.epoc",
        ),
    ]
    categories: Annotated[list[Category], Field(min_length=1, max_length=len(Category))]
    targets: Annotated[list[TargetDoc], Field(min_length=1, max_length=MAX_TARGETS)]
    period: PeriodDoc | None = None
    offence: OffenceDoc | None = None
    emergency: EmergencyDoc | None = None
    non_disclosure: NonDisclosureDoc | None = None
    via: ViaDoc | None = None
    served_on: Annotated[
        str | None,
        Field(
            pattern=r"^(provider|[A-Z]{2})$",
            description='The provider entity the order was served on: "provider", or the '
            "country key of one of the provider's entities (e.g. IE); null: the entity the "
            "instrument requires where the provider has one, else the provider",
        ),
    ] = None


def demand_json_schema() -> tuple[dict[str, Any], dict[str, Any]]:
    """The demand's schema with references into OpenAPI's components, and those components."""
    schema = DemandDocument.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    return schema, {**defs, "Demand": schema}
