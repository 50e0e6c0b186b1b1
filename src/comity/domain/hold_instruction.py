"""The hold instruction: what the control plane asks a region's agent to do for one hold.

A preservation hold is decided in the control plane (the case) but carried out in the region: a
snapshot of the account's records from the region's live sources into its encrypted store, the
hold marker that makes the store refuse their deletion, and, where a source can, a copy on the
provider's own server. Only the region's agent holds the sources' credentials and the store
(ADR 0014), so the control plane sends it an instruction signed with its Ed25519 key, like a
production's authorization; the agent checks the signature, the region and that the instruction
is current before it touches anything. Everything here is pure: ``now`` is an input.

Three actions:

- ``place``: take the snapshot, write the marker, hold in place (18 U.S.C. 2703(f): "take all
  necessary steps to preserve records"; Reg. (EU) 2023/1543 Art. 11: "without undue delay");
- ``mark``: write the marker as the case has it now (an extension, a confirmed follow-up, or a
  rewrite by ``comity case hold sync``, released or not);
- ``release``: write the released marker and drop the copy on the source's server.

An instruction is current for a few minutes from its issue (``VALIDITY``), so a captured one
cannot be replayed later; within that window a replay does no harm, since the agent also refuses
an instruction that would shorten a hold it keeps or undo a release (``refusal_against``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from comity.domain import signed_envelope
from comity.domain.accounts import Selector
from comity.domain.audit import canonical_json
from comity.domain.categories import Category
from comity.errors import IntegrityError, InvalidInput, collect

FORMAT = "comity.hold-instruction/1"

#: How long an instruction may be carried out after it was issued: the control plane sends it
#: at once, so minutes are enough, and a captured instruction is useless after them.
VALIDITY = timedelta(minutes=10)

#: How far behind the control plane an agent's clock may be and still accept an instruction
#: (hosts in different countries keep their own time).
CLOCK_SKEW = timedelta(minutes=2)


class HoldAction(StrEnum):
    PLACE = "place"
    MARK = "mark"
    RELEASE = "release"


@dataclass(frozen=True)
class HoldInstruction:
    """One hold as the region must keep it, and what to do about it now."""

    id: str
    action: HoldAction
    hold_id: str
    case_id: str
    account_id: str
    selectors: tuple[Selector, ...]
    categories: tuple[Category, ...]
    region: str
    placed_at: datetime
    expires_at: datetime | None
    released_at: datetime | None
    issued_at: datetime
    issuer: str

    def __post_init__(self) -> None:
        problems = []
        moments = (self.placed_at, self.issued_at, self.expires_at, self.released_at)
        if any(m is not None and m.tzinfo is None for m in moments):
            problems.append("hold instruction: every time must carry its zone")
        if not self.categories:
            problems.append("hold instruction: a hold covers at least one category")
        if self.action is HoldAction.RELEASE and self.released_at is None:
            problems.append("hold instruction: a release names when the hold was released")
        if self.action is HoldAction.PLACE and self.released_at is not None:
            problems.append("hold instruction: a place may not carry released_at")
        collect(problems)
        object.__setattr__(self, "categories", tuple(sorted(set(self.categories))))

    @property
    def valid_until(self) -> datetime:
        return self.issued_at + VALIDITY

    def to_document(self) -> dict[str, Any]:
        def when(moment: datetime | None) -> str | None:
            return None if moment is None else moment.isoformat()

        return {
            "format": FORMAT,
            "id": self.id,
            "action": self.action.value,
            "hold": self.hold_id,
            "case": self.case_id,
            "account": {
                "id": self.account_id,
                "selectors": [{"type": s.type, "value": s.value} for s in self.selectors],
            },
            "categories": [c.value for c in self.categories],
            "region": self.region,
            "placed_at": self.placed_at.isoformat(),
            "expires_at": when(self.expires_at),
            "released_at": when(self.released_at),
            "issued_at": self.issued_at.isoformat(),
            "issuer": self.issuer,
        }

    def canonical(self) -> bytes:
        """The exact bytes the control plane signs."""
        return canonical_json(self.to_document())

    @staticmethod
    def from_document(doc: Any) -> HoldInstruction:
        """Parse the document form; ``InvalidInput`` naming every bad field."""
        if not isinstance(doc, dict):
            raise InvalidInput("the hold instruction must be a JSON object")
        problems: list[str] = []
        if doc.get("format") != FORMAT:
            problems.append(f"instruction.format: expected {FORMAT!r}, got {doc.get('format')!r}")

        def text(name: str, value: object) -> str:
            if not isinstance(value, str) or not value:
                problems.append(f"instruction.{name}: expected a non-empty string")
                return ""
            return value

        def moment(name: str, value: object, *, optional: bool = False) -> datetime | None:
            if value is None and optional:
                return None
            try:
                parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                parsed = None
            if parsed is None or parsed.tzinfo is None:
                problems.append(f"instruction.{name}: expected a date and time with a zone")
            return parsed

        try:
            action = HoldAction(str(doc.get("action")))
        except ValueError:
            known = ", ".join(a.value for a in HoldAction)
            problems.append(f"instruction.action: expected one of {known}")
            action = HoldAction.MARK
        account = doc.get("account")
        selectors: list[Selector] = []
        raw_selectors = account.get("selectors") if isinstance(account, dict) else None
        if not isinstance(account, dict) or not isinstance(raw_selectors, list):
            problems.append("instruction.account: expected an object with id and selectors")
            account = {}
            raw_selectors = []
        for i, raw in enumerate(raw_selectors):
            if (
                not isinstance(raw, dict)
                or not isinstance(raw.get("type"), str)
                or not isinstance(raw.get("value"), str)
            ):
                problems.append(f"instruction.account.selectors[{i}]: expected type and value")
                continue
            selectors.append(Selector(raw["type"], raw["value"]))
        categories: list[Category] = []
        raw_categories = doc.get("categories")
        if not isinstance(raw_categories, list):
            problems.append("instruction.categories: expected a list")
            raw_categories = []
        for i, raw in enumerate(raw_categories):
            try:
                categories.append(Category.parse(str(raw)))
            except ValueError as exc:
                problems.append(f"instruction.categories[{i}]: {exc}")
        fields = {
            "id": text("id", doc.get("id")),
            "hold_id": text("hold", doc.get("hold")),
            "case_id": text("case", doc.get("case")),
            "account_id": text("account.id", account.get("id")),
            "region": text("region", doc.get("region")),
            "issuer": text("issuer", doc.get("issuer")),
        }
        placed = moment("placed_at", doc.get("placed_at"))
        issued = moment("issued_at", doc.get("issued_at"))
        expires = moment("expires_at", doc.get("expires_at"), optional=True)
        released = moment("released_at", doc.get("released_at"), optional=True)
        collect(problems)
        assert placed is not None
        assert issued is not None
        return HoldInstruction(
            action=action,
            selectors=tuple(selectors),
            categories=tuple(categories),
            placed_at=placed,
            expires_at=expires,
            released_at=released,
            issued_at=issued,
            **fields,
        )

    def refusal_against(
        self, kept_expires_at: datetime | None, kept_released_at: datetime | None
    ) -> str | None:
        """Why the region must not apply this instruction over the marker it keeps for the same
        hold (its expiry and release), or None. Holds only ever get longer until released, and a
        release is final (the case's workflow never undoes one), so an instruction that would
        shorten the hold or undo its release is an old one replayed, or a forgery."""
        if kept_released_at is not None and self.released_at is None:
            return f"hold {self.hold_id} was released at {kept_released_at.isoformat()}"
        if self.released_at is not None:
            return None
        if kept_expires_at is None and self.expires_at is not None:
            return f"hold {self.hold_id} is kept until released, not until {self.expires_at}"
        if (
            kept_expires_at is not None
            and self.expires_at is not None
            and self.expires_at < kept_expires_at
        ):
            return (
                f"hold {self.hold_id} is kept until {kept_expires_at.isoformat()}, not "
                f"{self.expires_at.isoformat()}"
            )
        return None


@dataclass(frozen=True)
class SignedHoldInstruction:
    """A hold instruction with the control plane's Ed25519 signature over its canonical bytes."""

    instruction: HoldInstruction
    key_id: str
    signature: bytes

    def to_bytes(self) -> bytes:
        return signed_envelope.to_bytes(
            signed_envelope.seal(
                "instruction", self.instruction.to_document(), self.key_id, self.signature
            )
        )

    @staticmethod
    def from_bytes(data: bytes) -> SignedHoldInstruction:
        """Parse the wire form; ``IntegrityError`` with one sentence when it is not one."""
        body, key_id, value = signed_envelope.open_envelope(data, "instruction", "hold instruction")
        try:
            instruction = HoldInstruction.from_document(body)
        except InvalidInput as exc:
            raise IntegrityError(
                f"the signed hold instruction is malformed: {exc.message}", problems=exc.problems
            ) from None
        return SignedHoldInstruction(instruction, key_id, value)


def check_current(instruction: HoldInstruction, *, now: datetime, region: str) -> None:
    """``IntegrityError`` unless the instruction is for ``region`` and current at ``now``
    (issued no more than ``CLOCK_SKEW`` ahead of ``now``, and not past ``valid_until``)."""
    if instruction.region != region:
        raise IntegrityError(
            f"hold instruction {instruction.id} is for region {instruction.region}, not {region}"
        )
    if now < instruction.issued_at - CLOCK_SKEW:
        raise IntegrityError(
            f"hold instruction {instruction.id} is issued at {instruction.issued_at.isoformat()}, "
            f"after this region's time {now.isoformat()}; check the hosts' clocks"
        )
    if now >= instruction.valid_until:
        raise IntegrityError(
            f"hold instruction {instruction.id} was current until "
            f"{instruction.valid_until.isoformat()} (now is {now.isoformat()}); it is not "
            "carried out"
        )
