"""Moving an account's records to another region (a customer's residence changes).

The protocol, one journal row per category, each step idempotent so a crashed move resumes:

1. **start**: journal row ``copying`` and a ``custody:move:started`` audit entry, one transaction.
2. **copy**: clear any half-made copy at the destination (placement still names the source, so
   the destination's copy is not yet the account's data), then read every record at the source,
   decrypt it there and seal it again under the destination's key and associated data, in one
   destination transaction.
3. **verify**: decrypt every destination record with the destination key and compare a digest
   of (id, SHA-256 of the plaintext) with the source's; any difference stops the move.
4. **switch**: placement names the destination, journal ``switched``, audit entry: one control-
   plane transaction. This is the commit point; before it the source holds the account, after it
   the destination does.
5. **delete** the source's records, then journal ``done`` and ``custody:move:completed``.

A crash before step 4 leaves the account whole at the source (a stray copy at the destination is
invisible to reads and is cleared on resume); a crash after it leaves the account whole at the
destination, and re-running finishes the deletion.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

from comity.domain.accounts import Account
from comity.domain.audit import AuditEvent
from comity.domain.categories import ALL_CATEGORIES, Category
from comity.errors import Conflict, IntegrityError, NotFound
from comity.services.custody.ports import MoveJournal, MoveStep, RegionCustody
from comity.services.ports import Clock, UnitOfWork

U = TypeVar("U", bound=UnitOfWork)
STEPS = ("started", "copied", "verified", "switched", "deleted")


@dataclass
class MoveReport:
    account_id: str
    destination: str
    moved: dict[str, int] = field(default_factory=dict)  # category -> records
    resumed: bool = False

    def lines(self) -> list[str]:
        out = [f"{c}: {n} record(s) moved to {self.destination}" for c, n in self.moved.items()]
        if self.resumed:
            out.insert(0, "resumed an unfinished move")
        return out or [f"nothing to move: {self.account_id} is already in {self.destination}"]


def _digest(records: Iterable[tuple[str, bytes]]) -> tuple[int, str]:
    h, n = hashlib.sha256(), 0
    for record_id, body in sorted(records):
        h.update(record_id.encode() + b" " + hashlib.sha256(body).digest() + b"\n")
        n += 1
    return n, "sha256:" + h.hexdigest()


def _placed(account: Account, category: Category, destination: str, whole: bool) -> Account:
    """``account`` with ``category`` placed in ``destination`` (and home moved once all are)."""
    placement = dict(account.placement)
    placement[category] = destination
    home = account.home_region
    if whole and all(placement.get(c, home) == destination for c in ALL_CATEGORIES):
        home = destination
    placement = {c: r for c, r in placement.items() if r != home}
    return replace(account, home_region=home, placement=placement)


def move_account(
    uow_factory: Callable[[], U],
    journal: Callable[[U], MoveJournal],
    regions: Callable[[str], RegionCustody],
    account_id: str,
    destination: str,
    *,
    category: Category | None,
    actor: str,
    clock: Clock,
    fault: Callable[[str], None] = lambda step: None,
) -> MoveReport:
    """Move ``category`` (or the whole account) of ``account_id`` to ``destination``.

    ``fault`` is called after each step with its name (see ``STEPS``); tests raise from it to
    prove that a crash at any point loses nothing and that re-running finishes the move.
    """
    mover = _Mover(uow_factory, journal, regions, actor, clock, fault)
    return mover.run(account_id, destination, category)


@dataclass
class _Mover(Generic[U]):
    uow_factory: Callable[[], U]
    journal: Callable[[U], MoveJournal]
    regions: Callable[[str], RegionCustody]
    actor: str
    clock: Clock
    fault: Callable[[str], None]

    def run(self, account_id: str, destination: str, category: Category | None) -> MoveReport:
        self.regions(destination)  # an unknown region is refused before anything is written
        report = MoveReport(account_id, destination)
        uow = self.uow_factory()
        with uow:
            account = uow.accounts.get(account_id)
            if account is None:
                raise NotFound(f"no account with id {account_id!r}")
            steps = self.journal(uow).unfinished(account_id)
            if steps:
                elsewhere = sorted({s.destination for s in steps} - {destination})
                if elsewhere:
                    raise Conflict(
                        f"account {account_id} has an unfinished move to {elsewhere[0]}; finish "
                        f"it first with 'comity accounts move {account_id} --to {elsewhere[0]}'"
                    )
                report.resumed = True
            else:
                steps = self._start(uow, account, destination, category)
                if not steps:
                    return report
            uow.commit()
        self.fault("started")

        for step in steps:
            if step.state == "copying":
                report.moved[step.category.value] = self._copy_verify_switch(step)
        for step in steps:
            self.regions(step.source).store.delete(account_id, [step.category])
            self.fault("deleted")
            uow = self.uow_factory()
            with uow:
                self.journal(uow).advance(step.id, "done")
                self._log(uow, "custody:move:completed", step, {"from": step.source})
                uow.commit()
            report.moved.setdefault(step.category.value, 0)
        return report

    def _start(
        self, uow: U, account: Account, destination: str, category: Category | None
    ) -> list[MoveStep]:
        whole = category is None
        now = self.clock.now()
        for cat in (category,) if category is not None else ALL_CATEGORIES:
            source = account.region_for(cat)
            if source == destination:
                continue
            held = [
                m
                for m in self.regions(source).store.holds(account.id)
                if m.covers(account.id, cat, now)
            ]
            if held:
                raise Conflict(
                    f"account {account.id}: its {cat.value} records in {source} are under "
                    f"preservation hold {held[0].hold_id} (case {held[0].case_id}); they cannot "
                    "move until the hold ends"
                )
        steps = [
            self.journal(uow).start(
                account.id, cat, account.region_for(cat), destination, whole_account=whole
            )
            for cat in ((category,) if category is not None else ALL_CATEGORIES)
            if account.region_for(cat) != destination
        ]
        if steps:
            sources = {s.category.value: s.source for s in steps}
            self._log(uow, "custody:move:started", steps[0], {"sources": sources})
        elif whole and account.home_region != destination:
            # Every category already lives there; only the home region changes.
            uow.accounts.update(replace(account, home_region=destination, placement={}))
            uow.audit.record(
                AuditEvent.of(
                    self.clock.now(),
                    self.actor,
                    "custody:move:completed",
                    f"account/{account.id}",
                    {"account": account.id, "destination": destination, "records": 0},
                )
            )
            uow.commit()
        return steps

    def _copy_verify_switch(self, step: MoveStep) -> int:
        source, target = self.regions(step.source), self.regions(step.destination)
        cats = [step.category]
        # Placement still names the source, so anything at the destination is a stray copy.
        target.store.delete(step.account_id, cats)
        seen: list[tuple[str, bytes]] = []
        with target.store.writer() as writer:
            for sealed in source.store.read(step.account_id, cats, include_deleted=True):
                record = source.open(sealed)
                seen.append((record.id, hashlib.sha256(record.body).digest()))
                writer.put(replace(target.seal(record), deleted_at=sealed.deleted_at))
        self.fault("copied")

        count, expected = _digest(seen)
        copied = [
            (r.id, hashlib.sha256(target.open(r).body).digest())
            for r in target.store.read(step.account_id, cats, include_deleted=True)
        ]
        got_count, got = _digest(copied)
        if (count, expected) != (got_count, got):
            raise IntegrityError(
                f"moving {step.category} of account {step.account_id} to {step.destination}: the "
                f"copy ({got_count} records) does not match the source ({count} records); the "
                "source is unchanged and still holds the account"
            )
        self.fault("verified")

        uow = self.uow_factory()

        with uow:
            account = uow.accounts.get(step.account_id)
            assert account is not None
            moved = _placed(account, step.category, step.destination, step.whole_account)
            uow.accounts.update(moved)
            self.journal(uow).advance(step.id, "switched", records=count, digest=expected)
            self._log(uow, "custody:move:switched", step, {"records": count, "digest": expected})
            uow.commit()
        self.fault("switched")
        return count

    def _log(self, uow: UnitOfWork, action: str, step: MoveStep, detail: dict[str, object]) -> None:
        payload = {
            "account": step.account_id,
            "category": step.category.value,
            "destination": step.destination,
            **detail,
        }
        uow.audit.record(
            AuditEvent.of(
                self.clock.now(), self.actor, action, f"account/{step.account_id}", payload
            )
        )
