"""C2SP tlog-proof: an offline-verifiable proof that an entry is in a (witnessed) checkpoint.

c2sp.org/tlog-proof: the line ``c2sp.org/tlog-proof@v1``; optionally ``extra <base64>`` (opaque,
unauthenticated data the application needs to rebuild the entry); ``index <n>``; the RFC 6962
inclusion proof, one base64 hash per line, leaf's sibling first; an empty line; then the checkpoint
verbatim, signatures and cosignatures included. Pure text handling; checking signatures is the
adapters' job.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from comity.domain.note import strict_b64decode

HEADER = "c2sp.org/tlog-proof@v1"
SUFFIX = ".tlog-proof"


class TlogProofError(ValueError):
    """Text that is not a c2sp.org/tlog-proof@v1 proof."""


@dataclass(frozen=True)
class TlogProof:
    index: int
    proof: tuple[bytes, ...]
    checkpoint: str  # the signed note, verbatim
    extra: bytes | None = None

    def text(self) -> str:
        lines = [HEADER]
        if self.extra is not None:
            lines.append(f"extra {base64.b64encode(self.extra).decode()}")
        lines.append(f"index {self.index}")
        lines += [base64.b64encode(h).decode() for h in self.proof]
        return "\n".join(lines) + "\n\n" + self.checkpoint


def parse_tlog_proof(text: str) -> TlogProof:
    head, sep, checkpoint = text.partition("\n\n")
    if not sep:
        raise TlogProofError("the proof has no empty line before its checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise TlogProofError(f"the first line is not {HEADER}")
    rest = lines[1:]
    extra = None
    if rest and rest[0].startswith("extra "):
        try:
            extra = strict_b64decode(rest[0][len("extra ") :])
        except binascii.Error:
            raise TlogProofError("the extra line is not base64") from None
        rest = rest[1:]
    if not rest or not rest[0].startswith("index "):
        raise TlogProofError("the proof has no 'index <n>' line")
    digits = rest[0][len("index ") :]
    if not digits.isdigit() or (digits != "0" and digits[0] == "0"):
        raise TlogProofError("the index is not a decimal number")
    proof: list[bytes] = []
    for line in rest[1:]:
        try:
            h = strict_b64decode(line)
        except binascii.Error:
            raise TlogProofError("an inclusion proof line is not base64") from None
        if len(h) != 32:
            raise TlogProofError("an inclusion proof hash is not 32 bytes")
        proof.append(h)
    return TlogProof(int(digits), tuple(proof), checkpoint, extra)
