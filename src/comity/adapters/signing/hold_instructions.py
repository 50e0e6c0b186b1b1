"""Signing and checking hold instructions with the control plane's Ed25519 key (ADR 0014).

The region's agent calls ``verify_hold_instruction`` before it reads a source or writes a marker:
the signature must come from a control-plane key it trusts, and the instruction must be for its
region and current at ``now`` (its own clock).
"""

from __future__ import annotations

from datetime import datetime

from comity.adapters.signing.ed25519 import PublicKey, SigningKey, verify_signature
from comity.domain.hold_instruction import HoldInstruction, SignedHoldInstruction, check_current


def sign_hold_instruction(instruction: HoldInstruction, key: SigningKey) -> SignedHoldInstruction:
    return SignedHoldInstruction(instruction, key.key_id, key.sign(instruction.canonical()))


def verify_hold_instruction(
    signed: SignedHoldInstruction, keys: list[PublicKey], *, now: datetime, region: str
) -> HoldInstruction:
    """The instruction if its signature verifies and it is current for ``region`` at ``now``."""
    instruction = signed.instruction
    verify_signature(
        keys,
        signed.key_id,
        instruction.canonical(),
        signed.signature,
        what=f"hold instruction {instruction.id}",
    )
    check_current(instruction, now=now, region=region)
    return instruction
