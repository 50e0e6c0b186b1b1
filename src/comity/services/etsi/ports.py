"""What the HI-1 service keeps: which HI-1 object became which demand, per sender."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from comity.services.productions.ports import ProductionUnitOfWork


@dataclass(frozen=True)
class EtsiObject:
    """One imported HI-1 object (authorisation, LD/LP task, document) and the demand it fed.

    Object identifiers are the sender's UUIDs, so they are unique per sender, not globally.
    """

    authority_id: str
    object_id: str
    #: The HI-1 endpoints as sent, ``COUNTRY/IDENTIFIER``: Comity answers to the sender as it
    #: named itself, and as the receiver it was addressed as.
    sender: str
    receiver: str
    kind: str  # authorisation | ld_task | lp_task | document
    demand_id: str
    transaction_id: str
    action_id: str
    reference: str | None
    categories: tuple[str, ...]
    created_at: datetime


class EtsiRepository(Protocol):
    def add(self, obj: EtsiObject) -> None: ...

    def get(self, authority_id: str, object_id: str) -> EtsiObject | None: ...

    def for_transaction(self, authority_id: str, transaction_id: str) -> Sequence[EtsiObject]: ...

    def for_demand(self, demand_id: str) -> Sequence[EtsiObject]: ...


class EtsiUnitOfWork(ProductionUnitOfWork, Protocol):
    """Intake, cases and productions, plus the HI-1 object map, on one transaction."""

    @property
    def etsi(self) -> EtsiRepository: ...

    def __enter__(self) -> EtsiUnitOfWork: ...


EtsiUowFactory = Callable[[], EtsiUnitOfWork]
