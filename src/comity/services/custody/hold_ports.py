"""Ports of preservation holds carried out in a region (ADR 0014).

The control plane decides a hold (the case); the region's agent carries it out with the region's
own sources and store, the only process that holds their credentials. The control plane sends a
signed ``HoldInstruction`` (``domain.hold_instruction``) and receives a ``HoldOutcome``: the
snapshot's record ids and SHA-256 digests, and what each source did on its own server. It puts
those on the audit log in the case's transaction, with the same entries as when it read the
sources itself (``custody:snapshot``, ``custody:in_place:*``).

- ``HoldAgent`` is the agent's side: it takes the signed instruction and checks it itself. The
  in-process one is ``services.custody.hold_keeper.HoldKeeper``; over mutual TLS it is
  ``adapters.agent.client.HttpRegionAgent`` (``POST /holds``).
- ``RegionHolds`` is what the case services see: an instruction in, the outcome back; signing
  and the way to the agent are the composition root's (``services.custody.hold_keeper.Signed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from comity.domain.audit import AuditAction, AuditEvent
from comity.domain.hold_instruction import HoldInstruction, SignedHoldInstruction
from comity.errors import IntegrityError
from comity.services.custody.snapshots import Snapshot
from comity.services.ports import AuditLog

HELD = "held"
HOLD_FAILED = "hold_failed"
RELEASED = "released"
RELEASE_FAILED = "release_failed"

_ACTIONS = {
    HELD: AuditAction.CUSTODY_HELD_IN_PLACE,
    HOLD_FAILED: AuditAction.CUSTODY_HOLD_IN_PLACE_FAILED,
    RELEASED: AuditAction.CUSTODY_RELEASED_IN_PLACE,
    RELEASE_FAILED: AuditAction.CUSTODY_RELEASE_IN_PLACE_FAILED,
}


@dataclass(frozen=True)
class InPlaceAnswer:
    """What one source answered when asked to hold in place (or drop the hold): ``held`` with
    the server's copies, ``removed`` locations, or the ``error`` it gave."""

    source: str
    account: str
    outcome: str  # held | hold_failed | released | release_failed
    held: tuple[dict[str, Any], ...] = ()
    removed: tuple[str, ...] = ()
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    def audit(self, log: AuditLog, *, now: datetime, actor: str, hold_id: str) -> None:
        """The ``custody:in_place:*`` entry, in the shape it always had."""
        details: dict[str, Any]
        if self.outcome == HELD:
            details = {"source": self.source, "account": self.account, "held": list(self.held)}
        elif self.outcome == RELEASED:
            details = {
                "source": self.source,
                "account": self.account,
                "removed": list(self.removed),
            }
        else:
            details = {"source": self.source, "error": self.error}
        log.record(AuditEvent.of(now, actor, _ACTIONS[self.outcome], f"hold/{hold_id}", details))

    def to_document(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "account": self.account,
            "outcome": self.outcome,
            "held": list(self.held),
            "removed": list(self.removed),
            "error": self.error,
        }

    @staticmethod
    def from_document(doc: Any) -> InPlaceAnswer:
        if (
            not isinstance(doc, dict)
            or doc.get("outcome") not in _ACTIONS
            or not isinstance(doc.get("source"), str)
            or not isinstance(doc.get("account"), str)
            or not isinstance(doc.get("held"), list)
            or not all(isinstance(h, dict) for h in doc["held"])
            or not isinstance(doc.get("removed"), list)
            or not all(isinstance(r, str) for r in doc["removed"])
            or not (doc.get("error") is None or isinstance(doc.get("error"), str))
            or (doc["outcome"] in (HOLD_FAILED, RELEASE_FAILED)) != (doc.get("error") is not None)
        ):
            raise IntegrityError("an in-place answer is not source, account, outcome and details")
        return InPlaceAnswer(
            doc["source"],
            doc["account"],
            doc["outcome"],
            tuple(doc["held"]),
            tuple(doc["removed"]),
            doc["error"],
        )


@dataclass(frozen=True)
class HoldOutcome:
    """What the region's agent did for one instruction."""

    region: str
    hold_id: str
    #: The records a ``place`` copied into the region's store (None: the region reads no live
    #: source, so its store already is the evidence vault, or the action was not a placing).
    snapshot: Snapshot | None = None
    in_place: tuple[InPlaceAnswer, ...] = ()

    def audit(self, log: AuditLog, *, now: datetime, actor: str) -> None:
        """The outcome on the audit log: the snapshot, then each source's answer."""
        if self.snapshot is not None:
            self.snapshot.audit(log, actor)
        for answer in self.in_place:
            answer.audit(log, now=now, actor=actor, hold_id=self.hold_id)

    @property
    def refusals(self) -> list[str]:
        """Each source's refusal, one sentence each."""
        return [a.error for a in self.in_place if a.error is not None]

    def to_document(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "hold": self.hold_id,
            "snapshot": None if self.snapshot is None else self.snapshot.to_document(),
            "in_place": [a.to_document() for a in self.in_place],
        }

    @staticmethod
    def from_document(doc: Any, *, region: str, hold_id: str) -> HoldOutcome:
        """The agent's answer, checked to be about ``region`` and ``hold_id``; else
        ``IntegrityError``: the control plane records only what it can read."""
        if not isinstance(doc, dict) or not isinstance(doc.get("in_place"), list):
            raise IntegrityError(f"the agent of region {region} answered a hold with no outcome")
        if doc.get("region") != region or doc.get("hold") != hold_id:
            raise IntegrityError(
                f"the agent of region {region} answered about hold {doc.get('hold')!r} in region "
                f"{doc.get('region')!r}, not hold {hold_id}"
            )
        raw = doc.get("snapshot")
        snapshot = None if raw is None else Snapshot.from_document(raw)
        if snapshot is not None and (snapshot.region, snapshot.hold_id) != (region, hold_id):
            raise IntegrityError(f"the agent of region {region} sent another hold's snapshot")
        return HoldOutcome(
            region,
            hold_id,
            snapshot,
            tuple(InPlaceAnswer.from_document(a) for a in doc["in_place"]),
        )


class HoldAgent(Protocol):
    """A region's agent as it carries out holds: it checks the signed instruction (signature,
    region, current, not shortening what it keeps) before it reads a source or writes."""

    @property
    def region_id(self) -> str: ...

    def hold(self, signed: SignedHoldInstruction) -> HoldOutcome:
        """Carry out ``signed``; raises ``IntegrityError`` (signature, region, not current),
        ``Conflict`` (it would shorten or undo a hold), ``SourceUnavailable`` (a snapshot that
        could not be taken: nothing is marked) or ``ConfigurationError`` (the agent cannot be
        reached), each one sentence."""
        ...


class RegionHolds(Protocol):
    """A region's holds as the case services reach them: an instruction in, the outcome back."""

    @property
    def region_id(self) -> str: ...

    def apply(self, instruction: HoldInstruction) -> HoldOutcome: ...
