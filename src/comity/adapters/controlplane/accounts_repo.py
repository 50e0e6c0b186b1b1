"""Accounts in the control plane (metadata only: which region holds what; no customer records)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from comity.adapters.controlplane.tables import AccountRow, SelectorRow
from comity.domain.accounts import Account, AccountKind, Selector
from comity.domain.categories import Category

_US_TO_TEXT = {True: "true", False: "false", None: "unknown"}
_TEXT_TO_US = {v: k for k, v in _US_TO_TEXT.items()}


class SqlAccountRepository:
    def __init__(self, session: Session, now: Callable[[], datetime]) -> None:
        self._session = session
        self._now = now

    def add(self, account: Account) -> None:
        row = AccountRow(id=account.id, created_at=self._now())
        self._copy_into(row, account)
        self._session.add(row)
        self._session.flush()
        self._replace_selectors(account)

    def update(self, account: Account) -> None:
        row = self._session.get(AccountRow, account.id)
        if row is None:
            raise KeyError(account.id)
        self._copy_into(row, account)
        self._replace_selectors(account)

    def get(self, account_id: str) -> Account | None:
        row = self._session.get(AccountRow, account_id)
        return None if row is None else self._to_domain(row)

    def list(self) -> Sequence[Account]:
        rows = self._session.scalars(select(AccountRow).order_by(AccountRow.id)).all()
        return [self._to_domain(r) for r in rows]

    def find_by_selector(self, selector: Selector) -> Account | None:
        norm = Selector.normalise(selector.type, selector.value)
        row = self._session.get(SelectorRow, (norm.type, norm.value))
        return None if row is None else self.get(row.account_id)

    @staticmethod
    def _copy_into(row: AccountRow, account: Account) -> None:
        row.home_region = account.home_region
        row.placement = {c.value: r for c, r in account.placement.items()}
        row.residence = account.residence
        row.nationality = account.nationality
        row.us_person = _US_TO_TEXT[account.us_person]
        row.kind = account.kind.value

    def _replace_selectors(self, account: Account) -> None:
        self._session.execute(delete(SelectorRow).where(SelectorRow.account_id == account.id))
        for sel in account.selectors:
            self._session.add(SelectorRow(type=sel.type, value=sel.value, account_id=account.id))
        self._session.flush()

    def _to_domain(self, row: AccountRow) -> Account:
        sels = self._session.scalars(
            select(SelectorRow)
            .where(SelectorRow.account_id == row.id)
            .order_by(SelectorRow.type, SelectorRow.value)
        ).all()
        return Account(
            id=row.id,
            selectors=tuple(Selector(s.type, s.value) for s in sels),
            home_region=row.home_region,
            placement={Category(c): r for c, r in row.placement.items()},
            residence=row.residence,
            nationality=row.nationality,
            us_person=_TEXT_TO_US[row.us_person],
            kind=AccountKind(row.kind),
        )
