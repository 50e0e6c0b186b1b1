"""The authority registry, kept by staff: who may send demands and how to reach them.

Contacts and keys enter only through here (staff input), never from a request, so a call-back
always goes to a number Comity found independently (practice.md, "Fraudulent emergency requests").
"""

from __future__ import annotations

from dataclasses import replace

from comity.domain.audit import AuditAction, AuditEvent
from comity.domain.registry import Authority, AuthorityStatus, parse_authority
from comity.errors import Conflict, NotFound, collect
from comity.services.identity import UowFactory
from comity.services.ports import Clock


def add_authority(
    uow_factory: UowFactory,
    clock: Clock,
    doc: object,
    *,
    known_countries: frozenset[str],
    actor: str,
) -> Authority:
    authority, problems = parse_authority(doc, known_countries=known_countries)
    collect(problems)
    assert authority is not None
    with uow_factory() as uow:
        if uow.intake.get_authority(authority.id) is not None:
            raise Conflict(f"an authority with id {authority.id} is already registered")
        uow.intake.add_authority(authority, uow.now)
        uow.audit.record(
            AuditEvent.of(
                uow.now,
                actor,
                AuditAction.AUTHORITY_REGISTERED,
                f"authority/{authority.id}",
                authority.to_document(),
            )
        )
        uow.commit()
    return authority


def get_authority(uow_factory: UowFactory, authority_id: str) -> Authority:
    with uow_factory() as uow:
        authority = uow.intake.get_authority(authority_id)
    if authority is None:
        raise NotFound(f"no authority {authority_id!r} in the registry")
    return authority


def list_authorities(uow_factory: UowFactory) -> list[Authority]:
    with uow_factory() as uow:
        return list(uow.intake.list_authorities())


def set_authority_status(
    uow_factory: UowFactory,
    clock: Clock,
    authority_id: str,
    status: AuthorityStatus,
    *,
    actor: str,
    note: str = "",
) -> Authority:
    with uow_factory() as uow:
        authority = uow.intake.get_authority(authority_id)
        if authority is None:
            raise NotFound(f"no authority {authority_id!r} in the registry")
        authority = replace(authority, status=status)
        uow.intake.update_authority(authority)
        uow.audit.record(
            AuditEvent.of(
                uow.now,
                actor,
                AuditAction.AUTHORITY_STATUS,
                f"authority/{authority.id}",
                {"status": status.value, "note": note},
            )
        )
        uow.commit()
    return authority
