"""Rotating a region's key-encryption key, on the record."""

from __future__ import annotations

from collections.abc import Callable

from comity.domain.audit import AuditEvent
from comity.services.custody.ports import RegionCustody
from comity.services.ports import Clock, UnitOfWork


def rotate_region_key(
    uow_factory: Callable[[], UnitOfWork],
    regions: Callable[[str], RegionCustody],
    region_id: str,
    *,
    actor: str,
    clock: Clock,
) -> tuple[int, int]:
    """Add a KEK version to ``region_id`` and re-wrap its data keys; return (version, count).

    The content ciphertext is not re-encrypted. The audit entry names the region, the new
    version and how many data keys were re-wrapped (no key material).
    """
    version, count = regions(region_id).rotate_key()
    with uow_factory() as uow:
        payload = {"region": region_id, "key_version": version, "rewrapped": count}
        uow.audit.record(
            AuditEvent.of(clock.now(), actor, "custody:key:rotated", f"region/{region_id}", payload)
        )
        uow.commit()
    return version, count
