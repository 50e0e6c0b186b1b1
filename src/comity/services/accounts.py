"""Creating and reading accounts. Selectors are unique across the whole deployment."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from comity.domain.accounts import Account, Selector
from comity.domain.audit import AuditAction, AuditEvent
from comity.errors import Conflict, NotFound
from comity.services.ports import Clock, UnitOfWork


def create_account(
    uow_factory: Callable[[], UnitOfWork], account: Account, *, actor: str, clock: Clock
) -> Account:
    """Store a new account and log it, refusing an id or a selector that is already taken."""
    with uow_factory() as uow:
        if uow.accounts.get(account.id) is not None:
            raise Conflict(f"account {account.id} already exists")
        for selector in account.selectors:
            owner = uow.accounts.find_by_selector(selector)
            if owner is not None:
                raise Conflict(
                    f"selector {selector} already belongs to account {owner.id}; selectors must "
                    "be unique across the deployment"
                )
        uow.accounts.add(account)
        uow.audit.record(
            AuditEvent.of(
                uow.now,
                actor,
                AuditAction.ACCOUNT_CREATED,
                f"account/{account.id}",
                account.to_document(),
            )
        )
        uow.commit()
    return account


def get_account(uow_factory: Callable[[], UnitOfWork], account_id: str) -> Account:
    with uow_factory() as uow:
        account = uow.accounts.get(account_id)
    if account is None:
        raise NotFound(f"no account with id {account_id!r}")
    return account


def list_accounts(uow_factory: Callable[[], UnitOfWork]) -> Sequence[Account]:
    with uow_factory() as uow:
        return list(uow.accounts.list())


def find_account(uow_factory: Callable[[], UnitOfWork], selector: Selector) -> Account | None:
    with uow_factory() as uow:
        return uow.accounts.find_by_selector(selector)
