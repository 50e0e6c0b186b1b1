"""Deleting an account's records, as the customer asks or as the provider purges, under holds.

A customer's deletion (``purge=False``) removes what no hold covers and hides what one does
(``deleted_at``: gone for the customer, every byte kept in the region). A purge removes the
records outright and is refused, with nothing removed, while any hold covers them; the region
store itself enforces both (``RegionStore.delete`` / ``hide``), so no caller can get around it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from comity.domain.audit import AuditEvent
from comity.domain.categories import ALL_CATEGORIES, Category
from comity.errors import Conflict
from comity.services.accounts import get_account
from comity.services.custody.ports import RegionCustody
from comity.services.ports import Clock, UnitOfWork


@dataclass(frozen=True)
class Erased:
    region: str
    category: Category
    hidden: int
    removed: int


def delete_records(
    uow_factory: Callable[[], UnitOfWork],
    regions: Callable[[str], RegionCustody],
    clock: Clock,
    account_id: str,
    *,
    categories: Sequence[Category] | None = None,
    purge: bool = False,
    actor: str,
) -> list[Erased]:
    """Delete ``account_id``'s records of ``categories`` (default all) in their regions."""
    account = get_account(uow_factory, account_id)
    now = clock.now()
    wanted = list(categories or ALL_CATEGORIES)
    if purge:  # refuse before removing anything (each store refuses again, atomically)
        for category in wanted:
            region = account.region_for(category)
            for hold in regions(region).store.holds(account_id):
                if hold.covers(account_id, category, now):
                    raise Conflict(
                        f"account {account_id}: its {category.value} records in {region} are "
                        f"under preservation hold {hold.hold_id} (case {hold.case_id}); they "
                        "cannot be purged until the hold ends"
                    )
    done: list[Erased] = []
    try:
        for category in wanted:
            region = account.region_for(category)
            store = regions(region).store
            if purge:
                removed = store.delete(account_id, [category], now=now)
                done.append(Erased(region, category, 0, removed))
            else:
                hidden, removed = store.hide(account_id, [category], now)
                done.append(Erased(region, category, hidden, removed))
    finally:
        if done:  # whatever was removed is on the record, even if a later region failed
            _log(uow_factory, now, actor, account_id, done, purge=purge)
    return done


def _log(
    uow_factory: Callable[[], UnitOfWork],
    now: datetime,
    actor: str,
    account_id: str,
    done: list[Erased],
    *,
    purge: bool,
) -> None:
    with uow_factory() as uow:
        uow.audit.record(
            AuditEvent.of(
                now,
                actor,
                "account:records:purged" if purge else "account:records:deleted",
                f"account/{account_id}",
                {
                    "by_region": [
                        {
                            "region": e.region,
                            "category": e.category.value,
                            "hidden_under_hold": e.hidden,
                            "removed": e.removed,
                        }
                        for e in done
                    ]
                },
            )
        )
        uow.commit()
