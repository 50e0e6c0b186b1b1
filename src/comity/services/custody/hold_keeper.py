"""The region's side of a preservation hold: the agent carries out a signed hold instruction with
its own sources and store (ADR 0014).

The control plane never reads a region's sources for a hold: it would need their credentials,
which only the agent holds (issue 16). So the agent checks the instruction on its own (the
control plane's signature, its region, that it is current, that it does not shorten or undo a
hold the region keeps), then:

- ``place``: copies the account's held categories from every live source into the region's
  encrypted store (``snapshots.take_snapshot``; a source that cannot be read raises and nothing
  is marked, so the case records no hold), writes the marker, and asks the sources that hold in
  place to copy on their server (``in_place``);
- ``mark``: writes the marker as the case has it (extended, confirmed, or rewritten by sync);
- ``release``: writes the released marker, then asks the sources to drop their server copies.

It answers with what it did (``HoldOutcome``), which the control plane puts on the audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from comity.domain.hold_instruction import HoldAction, HoldInstruction, SignedHoldInstruction
from comity.errors import Conflict, IntegrityError
from comity.services.custody.hold_ports import HoldAgent, HoldOutcome
from comity.services.custody.in_place import hold_in_place, release_in_place
from comity.services.custody.ports import HoldMarker, RegionCustody
from comity.services.custody.snapshots import take_snapshot
from comity.services.custody.source_ports import AccountRef, RecordSource
from comity.services.ports import Clock

#: Checks a hold instruction's signature against the control plane's key, and that it is for
#: ``region`` and current at ``now``; returns it or raises ``IntegrityError``.
HoldVerifier = Callable[[SignedHoldInstruction, datetime, str], HoldInstruction]


def hold_marker(instruction: HoldInstruction) -> HoldMarker:
    """The marker the region's store keeps for the instruction's hold."""
    return HoldMarker(
        hold_id=instruction.hold_id,
        case_id=instruction.case_id,
        account_id=instruction.account_id,
        categories=instruction.categories,
        placed_at=instruction.placed_at,
        expires_at=instruction.expires_at,
        released_at=instruction.released_at,
    )


class HoldKeeper:
    """The agent of one region as it carries out holds, with that region's custody and sources."""

    def __init__(
        self,
        custody: RegionCustody,
        verify: HoldVerifier,
        clock: Clock,
        *,
        sources: Sequence[RecordSource] = (),
    ) -> None:
        self._custody = custody
        self._verify = verify
        self._clock = clock
        self._sources = tuple(sources)

    @property
    def region_id(self) -> str:
        return self._custody.region_id

    def hold(self, signed: SignedHoldInstruction) -> HoldOutcome:
        instruction = self._verify(signed, self._clock.now(), self.region_id)
        self._check_against_kept(instruction)
        account = AccountRef(instruction.account_id, instruction.selectors)
        store = self._custody.store
        if instruction.action is HoldAction.PLACE:
            snapshot = None
            if self._sources:
                snapshot = take_snapshot(
                    self._custody,
                    self._sources,
                    account,
                    instruction.categories,
                    hold_id=instruction.hold_id,
                    now=instruction.placed_at,
                )
            store.set_hold(hold_marker(instruction))
            answers = hold_in_place(
                self._sources, account, instruction.categories, hold_id=instruction.hold_id
            )
            return HoldOutcome(self.region_id, instruction.hold_id, snapshot, tuple(answers))
        store.set_hold(hold_marker(instruction))
        if instruction.action is HoldAction.RELEASE:
            answers = release_in_place(self._sources, account, hold_id=instruction.hold_id)
            return HoldOutcome(self.region_id, instruction.hold_id, None, tuple(answers))
        return HoldOutcome(self.region_id, instruction.hold_id)

    def _check_against_kept(self, instruction: HoldInstruction) -> None:
        """Refuse an instruction that would shorten or undo the hold this region keeps for the
        account, or move it to another case: an old instruction replayed within its minutes."""
        kept = next(
            (
                m
                for m in self._custody.store.holds(instruction.account_id)
                if m.hold_id == instruction.hold_id
            ),
            None,
        )
        if kept is None:
            return
        refusal = instruction.refusal_against(kept.expires_at, kept.released_at)
        if kept.case_id != instruction.case_id:
            refusal = f"hold {kept.hold_id} belongs to case {kept.case_id}"
        if refusal is not None:
            raise Conflict(
                f"region {self.region_id} does not carry out hold instruction {instruction.id}: "
                f"{refusal}; nothing was changed"
            )


class SignedHolds:
    """``RegionHolds`` for the case services: each instruction signed with the control plane's
    key and handed to the region's agent, in process or over mutual TLS."""

    def __init__(
        self, agent: HoldAgent, sign: Callable[[HoldInstruction], SignedHoldInstruction]
    ) -> None:
        self._agent = agent
        self._sign = sign

    @property
    def region_id(self) -> str:
        return self._agent.region_id

    def apply(self, instruction: HoldInstruction) -> HoldOutcome:
        outcome = self._agent.hold(self._sign(instruction))
        if (outcome.region, outcome.hold_id) != (instruction.region, instruction.hold_id):
            raise IntegrityError(
                f"the agent of region {instruction.region} answered about hold "
                f"{outcome.hold_id} in {outcome.region}, not {instruction.hold_id}"
            )
        return outcome
