"""Asking witnesses to cosign this log's checkpoints, and checking the witness policy.

``collect_cosignatures`` takes the latest signed checkpoint and, for each configured witness that
has not cosigned it, sends ``add-checkpoint`` (c2sp.org/tlog-witness) with a consistency proof
from the size that witness last cosigned. A 409 answer carries the witness's size: the request is
sent once more from that size. Each cosignature returned is verified (c2sp.org/tlog-cosignature:
the witness's key, the exact checkpoint text) before it is stored; cosignatures from other keys are
ignored, as the spec requires. The served checkpoint (``/log/checkpoint``) carries them.

Storing a cosignature is not itself written to the audit log: it is a witness's signature over the
log's own checkpoint, checkable by anyone, and an entry recording it would make a new checkpoint
that again needs witnessing, without end.

``check_witness_policy`` is what ``comity audit verify`` adds when ``[log] quorum`` is set: every
stored cosignature must still verify against the stored checkpoint (a checkpoint rewritten after it
was witnessed fails here), and the latest checkpoint must be cosigned by at least ``quorum`` of the
named witnesses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comity.adapters.audit.cosigning import cosignature_time
from comity.adapters.audit.log_config import WitnessEndpoint, WitnessPolicy
from comity.adapters.audit.proofs import SqlTreeReader
from comity.adapters.audit.witness_tables import AuditCosignatureRow
from comity.adapters.controlplane.audit_tables import AuditCheckpointRow
from comity.domain.note import NoteError, NoteSignature, parse_note
from comity.domain.witness import SIZE_CONTENT_TYPE, AddCheckpoint, WitnessError
from comity.errors import IntegrityError

if TYPE_CHECKING:
    # Only asking witnesses needs httpx; ``comity audit head`` reads cosignatures without it.
    import httpx


@dataclass(frozen=True)
class Outcome:
    witness: str
    cosigned: bool
    message: str


def cosignature_lines(session: Session, size: int) -> str:
    """The stored cosignature lines of the checkpoint at ``size``, in witness order."""
    rows = session.scalars(
        select(AuditCosignatureRow)
        .where(AuditCosignatureRow.size == size)
        .order_by(AuditCosignatureRow.witness)
    ).all()
    return "".join(row.line for row in rows)


def _last_cosigned(session: Session, witness: str) -> int:
    size = session.scalar(
        select(func.max(AuditCosignatureRow.size)).where(AuditCosignatureRow.witness == witness)
    )
    return int(size) if size is not None else 0


def _valid_cosignature(answer: str, note: str, witness: WitnessEndpoint) -> NoteSignature:
    """The witness's cosignature among the returned lines, verified on the checkpoint text."""
    try:
        signed = parse_note(note + answer)
    except NoteError as exc:
        raise WitnessError(f"the answer is not cosignature lines: {exc}") from None
    text = signed.text
    want = (witness.key.name, witness.key.hash)
    mine = [s for s in signed.signatures if (s.name, s.hash) == want]
    for signature in mine:
        cosignature_time(signature, text, witness.key)
    if not mine:
        raise WitnessError("the answer carries no cosignature by this witness's key")
    return mine[0]


def _submit(
    http: httpx.Client,
    reader: SqlTreeReader,
    witness: WitnessEndpoint,
    old: int,
    row: AuditCheckpointRow,
) -> httpx.Response:
    proof = tuple(reader.consistency_proof(old, row.size)) if 0 < old < row.size else ()
    body = AddCheckpoint(old, proof, row.note).body()
    return http.post(
        witness.url + "/add-checkpoint",
        content=body.encode(),
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )


def ask_witness(  # noqa: PLR0911 (one outcome per answer of the protocol)
    session: Session, http: httpx.Client, witness: WitnessEndpoint, row: AuditCheckpointRow
) -> Outcome:
    """Have ``witness`` cosign checkpoint ``row``; store the cosignature if it verifies."""
    import httpx  # noqa: PLC0415

    name = witness.key.name
    if session.get(AuditCosignatureRow, (row.size, name)) is not None:
        return Outcome(name, True, f"already cosigned size {row.size}")
    reader = SqlTreeReader(session)
    old = _last_cosigned(session, name)
    try:
        resp = _submit(http, reader, witness, old, row)
        if resp.status_code == 409 and resp.headers.get("content-type", "").startswith(
            SIZE_CONTENT_TYPE
        ):
            told = resp.text.strip()
            if not told.isdigit() or int(told) > row.size:
                return Outcome(name, False, f"says it has cosigned size {told}, beyond this log")
            if int(told) == old:
                return Outcome(name, False, f"refused size {row.size}: a conflicting tree head")
            resp = _submit(http, reader, witness, int(told), row)
    except httpx.HTTPError as exc:
        return Outcome(name, False, f"unreachable at {witness.url}: {exc}")
    if resp.status_code != 200:
        return Outcome(
            name, False, f"refused size {row.size} ({resp.status_code}): {resp.text.strip()[:300]}"
        )
    try:
        signature = _valid_cosignature(resp.text, row.note, witness)
    except WitnessError as exc:
        return Outcome(name, False, str(exc))
    at = datetime.fromtimestamp(int.from_bytes(signature.signature[:8], "big"), UTC)
    session.add(
        AuditCosignatureRow(size=row.size, witness=name, line=signature.line(), cosigned_at=at)
    )
    session.commit()
    return Outcome(name, True, f"cosigned size {row.size}")


def collect_cosignatures(
    session: Session, policy: WitnessPolicy, http: httpx.Client
) -> tuple[int, list[Outcome]]:
    """Ask every configured witness to cosign the latest checkpoint; its size and the outcomes."""
    row = SqlTreeReader(session).latest_checkpoint()
    if row is None:
        raise IntegrityError("the audit log has no signed checkpoint to have witnessed yet")
    return row.size, [ask_witness(session, http, w, row) for w in policy.witnesses]


def check_witness_policy(session: Session, policy: WitnessPolicy) -> list[str]:
    """Enforce the policy; raise ``IntegrityError`` naming what fails, else say what holds."""
    keys = {w.key.name: w.key for w in policy.witnesses}
    notes: dict[int, str] = {}
    for row in session.scalars(select(AuditCosignatureRow).order_by(AuditCosignatureRow.size)):
        key = keys.get(row.witness)
        if key is None:
            continue
        checkpoint = session.get(AuditCheckpointRow, row.size)
        if checkpoint is None:
            raise IntegrityError(
                f"witness {row.witness} cosigned a checkpoint of size {row.size} that the log "
                "no longer holds"
            )
        text = notes.setdefault(row.size, parse_note(checkpoint.note).text)
        try:
            sig = parse_note(text + "\n" + row.line).signatures[0]
            cosignature_time(sig, text, key)
        except (NoteError, WitnessError):
            raise IntegrityError(
                f"the cosignature by {row.witness} on the checkpoint of size {row.size} does not "
                "verify: that checkpoint was changed after it was witnessed"
            ) from None
    latest = SqlTreeReader(session).latest_checkpoint()
    if latest is None:
        return []
    have = sorted(
        r.witness
        for r in session.scalars(
            select(AuditCosignatureRow).where(AuditCosignatureRow.size == latest.size)
        )
        if r.witness in keys
    )
    if len(have) < policy.quorum:
        names = ", ".join(have) or "none"
        raise IntegrityError(
            f"the latest checkpoint (size {latest.size}) is cosigned by {len(have)} of the "
            f"{policy.quorum} witnesses the policy requires (cosigned by: {names}); run "
            "'comity audit witness', and if a witness refuses, the log may have forked"
        )
    return [f"witness policy met: size {latest.size} cosigned by {', '.join(have)}"]
