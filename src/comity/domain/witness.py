"""C2SP tlog-witness and tlog-cosignature: the wire formats and the witness's decision, no crypto.

A witness cosigns a checkpoint only if it is consistent with the latest one it cosigned for the
same log (c2sp.org/tlog-witness, "add-checkpoint"). The request body is ``old <size>``, up to 63
base64 consistency-proof lines, a blank line, then the signed checkpoint. The answer is one or
more cosignature lines (200), or the witness's size (409, ``text/x.tlog.size``), or a refusal
(400, 403, 404, 422). A v1 Ed25519 cosignature (c2sp.org/tlog-cosignature) signs
``cosignature/v1\\ntime <t>\\n`` followed by the checkpoint text, and its signature is the 8-byte
big-endian timestamp followed by the 64-byte Ed25519 signature; its key id hashes the name, a
newline, the type byte 0x04 and the public key.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from enum import Enum

from comity.domain.merkle_proofs import verify_consistency
from comity.domain.note import Checkpoint, NoteError, _check_name, key_hash, strict_b64decode

COSIGNATURE_V1 = 0x04  # tlog-cosignature: the key-id type byte of an Ed25519 v1 cosignature
#: tlog-witness: "The client MUST NOT send more than 63 consistency proof lines".
MAX_PROOF_LINES = 63
MAX_BODY_BYTES = 64 * 1024
SIZE_CONTENT_TYPE = "text/x.tlog.size"


class WitnessError(ValueError):
    """A request or key that does not follow tlog-witness / tlog-cosignature."""


@dataclass(frozen=True)
class CosignerKey:
    """A cosigner's public key as a vkey: ``<name>+<hex key id>+<base64(0x04 || key)>``."""

    name: str
    hash: bytes
    public: bytes

    @staticmethod
    def of(name: str, public: bytes) -> CosignerKey:
        _check_name(name)
        return CosignerKey(name, key_hash(name, bytes([COSIGNATURE_V1]) + public), public)

    @staticmethod
    def parse(text: str) -> CosignerKey:
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise WitnessError("a witness key has the form <name>+<hex key id>+<base64 key>")
        name, hash_hex, key_b64 = parts
        try:
            _check_name(name)
            want = bytes.fromhex(hash_hex)
            key = strict_b64decode(key_b64)
        except (ValueError, binascii.Error, NoteError):
            raise WitnessError(f"witness key {text[:60]!r} is not a valid vkey") from None
        if len(want) != 4 or len(key) != 33 or key[0] != COSIGNATURE_V1:
            raise WitnessError(
                f"witness key {name!r} is not an Ed25519 cosignature/v1 key (type byte 0x04)"
            )
        if key_hash(name, key) != want:
            raise WitnessError(f"witness key {name!r}: its key id does not match its name and key")
        return CosignerKey(name, want, key[1:])

    def __str__(self) -> str:
        blob = base64.b64encode(bytes([COSIGNATURE_V1]) + self.public).decode()
        return f"{self.name}+{self.hash.hex()}+{blob}"


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    """The bytes a v1 Ed25519 cosignature signs (tlog-cosignature, "Ed25519 signed message")."""
    if not 0 <= timestamp < 2**63:
        raise WitnessError("a cosignature timestamp is a POSIX time below 2**63")
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


@dataclass(frozen=True)
class AddCheckpoint:
    """An ``add-checkpoint`` request: the old size, the consistency proof, the signed note."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str

    def body(self) -> str:
        lines = [f"old {self.old_size}", *(base64.b64encode(h).decode() for h in self.proof)]
        return "\n".join(lines) + "\n\n" + self.note


def parse_add_checkpoint(body: str) -> AddCheckpoint:
    """The request in ``body``; ``WitnessError`` (a 400) naming the first fault."""
    head, sep, note = body.partition("\n\n")
    if not sep:
        raise WitnessError("the request has no blank line before the checkpoint")
    lines = head.split("\n")
    old = lines[0]
    digits = old[4:]
    if not old.startswith("old ") or not digits.isdigit() or (digits != "0" and digits[0] == "0"):
        raise WitnessError("the first line must be 'old <size>' in decimal")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise WitnessError(f"the consistency proof has more than {MAX_PROOF_LINES} lines")
    proof: list[bytes] = []
    for i, line in enumerate(lines[1:], start=2):
        try:
            h = strict_b64decode(line)
        except binascii.Error:
            raise WitnessError(f"line {i}: a consistency proof line is one base64 hash") from None
        if len(h) != 32:
            raise WitnessError(f"line {i}: a consistency proof hash is 32 bytes")
        proof.append(h)
    return AddCheckpoint(int(digits), tuple(proof), note)


class Verdict(Enum):
    """The witness's answer, with the HTTP status tlog-witness assigns to it."""

    COSIGN = 200
    BAD_REQUEST = 400
    CONFLICT = 409
    INCONSISTENT = 422


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str


def decide(  # noqa: PLR0911 (one return per check of the spec, in its order)
    latest: Checkpoint | None, request: AddCheckpoint, checkpoint: Checkpoint
) -> Decision:
    """Whether to cosign ``checkpoint`` (its signature already checked), given the latest one
    cosigned for its origin (tlog-witness "add-checkpoint", each MUST in the order written)."""
    if request.old_size > checkpoint.size:
        return Decision(
            Verdict.BAD_REQUEST,
            f"old size {request.old_size} is larger than the checkpoint's {checkpoint.size}",
        )
    known = latest.size if latest is not None else 0
    if request.old_size != known:
        return Decision(Verdict.CONFLICT, f"the witness's latest size is {known}")
    if latest is None or request.old_size == 0:
        if request.proof:
            return Decision(Verdict.INCONSISTENT, "the proof must be empty from size 0")
        return Decision(Verdict.COSIGN, "first checkpoint of this log")
    if request.old_size == checkpoint.size:
        if latest.root != checkpoint.root:
            return Decision(
                Verdict.CONFLICT,
                f"a different root at size {checkpoint.size}: the log has forked",
            )
        return Decision(Verdict.COSIGN, "same tree head")
    if not verify_consistency(
        latest.size, checkpoint.size, latest.root, checkpoint.root, list(request.proof)
    ):
        return Decision(
            Verdict.INCONSISTENT,
            f"the tree of size {checkpoint.size} does not extend the tree of size {latest.size} "
            "this witness cosigned: the consistency proof does not verify",
        )
    return Decision(Verdict.COSIGN, f"extends size {latest.size}")
