"""The provider's deployment: who it is, where it offers services and which regions hold data.

Contract section 1. The values here are already validated; parsing and validation of the TOML
file lives in ``comity.adapters.config`` because it reads files and country lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

REGION_ID = re.compile(r"^[a-z][a-z0-9-]{0,62}$")

#: Roles a provider entity can hold. ``eu_designated_establishment``: Directive (EU) 2023/1544
#: Art. 3; ``eu_legal_representative``: the same article, for providers not established in the EU.
ENTITY_ROLES = frozenset(
    {"eu_designated_establishment", "eu_legal_representative", "subsidiary", "data_processor"}
)


@dataclass(frozen=True)
class Entity:
    """Another legal entity of the provider, such as its EU designated establishment."""

    country: str
    name: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provider:
    name: str
    established_in: str
    offers_services_in: tuple[str, ...]
    entities: tuple[Entity, ...] = ()

    def entity_with_role(self, role: str) -> Entity | None:
        return next((e for e in self.entities if role in e.roles), None)


@dataclass(frozen=True)
class Region:
    """A place where customer data is stored, in one country, with its own store and key.

    ``store`` and ``keyring`` are URLs; scenario files may leave them empty because the law engine
    only needs the country.
    """

    id: str
    country: str
    store: str | None = None
    keyring: str | None = None


@dataclass(frozen=True)
class Deployment:
    provider: Provider
    regions: tuple[Region, ...]
    control_plane: str | None = None
    #: Settings other subsystems read, e.g. ``[law] qualifying_foreign_governments``.
    extra: dict[str, object] = field(default_factory=dict)

    def region(self, region_id: str) -> Region:
        for region in self.regions:
            if region.id == region_id:
                return region
        known = ", ".join(r.id for r in self.regions) or "none"
        raise KeyError(f"unknown region {region_id!r} (regions: {known})")

    @property
    def region_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.regions)
