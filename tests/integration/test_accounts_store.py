"""Accounts in the control plane: selectors unique, every creation on the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from comity.adapters.controlplane.tables import AuditEntryRow
from comity.bootstrap import Comity
from comity.domain.accounts import Account, Selector
from comity.errors import Conflict
from comity.services.accounts import create_account, find_account, get_account, list_accounts


def test_an_account_round_trips_and_its_creation_is_logged(deployment: Comity, clock) -> None:
    account = Account("a1", (Selector("email", "x@example.com"),), "us-west")
    create_account(deployment.uow, account, actor="test", clock=clock)
    assert get_account(deployment.uow, "a1") == account
    assert find_account(deployment.uow, Selector("email", "X@Example.com")) == account
    with deployment.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditEntryRow)) == 1
        assert uow.audit.tree().size == 1


def test_a_selector_already_taken_is_refused_and_nothing_is_written(
    deployment: Comity, clock
) -> None:
    create_account(
        deployment.uow,
        Account("a1", (Selector("email", "x@example.com"),), "us-west"),
        actor="t",
        clock=clock,
    )
    with pytest.raises(Conflict, match="already belongs to account a1"):
        create_account(
            deployment.uow,
            Account("a2", (Selector("email", "x@example.com"),), "us-west"),
            actor="t",
            clock=clock,
        )
    assert [a.id for a in list_accounts(deployment.uow)] == ["a1"]
    with deployment.uow() as uow:
        assert uow.audit.tree().size == 1
