"""Comity as a C2SP tlog-witness for other deployments' logs (``comity witness serve``).

For each configured log (by origin, with its verifier key) the witness keeps the latest checkpoint
it cosigned in ``witness_logs``. ``add_checkpoint`` follows c2sp.org/tlog-witness: unknown origin
404, no valid signature by the log 403, malformed request or old size beyond the checkpoint 400,
old size not the witness's size 409 (body: that size, ``text/x.tlog.size``), a proof that does not
verify 422, else it records the new checkpoint and returns its cosignature. Checking the old size
and recording the new checkpoint happen in one transaction that holds the write lock (``FOR
UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so two requests cannot roll the witness
back (the race the spec describes).

A refusal that is evidence of a misbehaving log (a different root at the same size, a proof that
does not verify) is an entry in the witness's own audit log, with the refused checkpoint's digest.
A cosignature is not: the ``witness_logs`` row keeps the checkpoint it cosigned, and the
cosignature itself is a signed statement anyone can check. Logging it would also make mutual
witnessing never settle: each cosignature would append an entry, and so a checkpoint, to the
witness's own log, which the other side must witness in turn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as DbIntegrityError

from comity.adapters.audit.cosigning import Cosigner
from comity.adapters.audit.signing import open_checkpoint
from comity.adapters.audit.witness_tables import WitnessLogRow
from comity.adapters.controlplane.unit_of_work import SqlUnitOfWork
from comity.domain.audit import AuditAction, AuditEvent
from comity.domain.note import Checkpoint, NoteError, VerifierKey, parse_note
from comity.domain.witness import (
    SIZE_CONTENT_TYPE,
    AddCheckpoint,
    Verdict,
    WitnessError,
    decide,
    parse_add_checkpoint,
)
from comity.errors import IntegrityError


@dataclass(frozen=True)
class WitnessAnswer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def _plain(status: int, message: str) -> WitnessAnswer:
    return WitnessAnswer(status, message.rstrip("\n") + "\n")


class SqlWitness:
    """The witness state of this deployment, and its cosigning key."""

    def __init__(
        self,
        uow: Callable[[], SqlUnitOfWork],
        cosigner: Cosigner,
        logs: dict[str, VerifierKey],
        now: Callable[[], datetime],
    ) -> None:
        self._uow = uow
        self._cosigner = cosigner
        self._logs = logs
        self._now = now

    def add_checkpoint(self, body: str) -> WitnessAnswer:
        try:
            request = parse_add_checkpoint(body)
            text = parse_note(request.note).text
            claimed = Checkpoint.parse(text)
        except (WitnessError, NoteError) as exc:
            return _plain(400, f"bad request: {exc}")
        key = self._logs.get(claimed.origin)
        if key is None:
            return _plain(404, f"this witness does not witness the log {claimed.origin!r}")
        try:
            checkpoint = open_checkpoint(request.note, key)
        except IntegrityError as exc:
            return _plain(403, f"forbidden: {exc}")
        for _attempt in range(2):  # a first checkpoint raced by another: answer from the winner
            try:
                return self._decide(request, checkpoint, text)
            except DbIntegrityError:
                continue
        return _plain(409, "another request changed this log's state; retry")

    def _decide(self, request: AddCheckpoint, checkpoint: Checkpoint, text: str) -> WitnessAnswer:
        origin = checkpoint.origin
        with self._uow() as uow:
            row = uow.session.scalars(
                select(WitnessLogRow).where(WitnessLogRow.origin == origin).with_for_update()
            ).first()
            latest = Checkpoint(origin, row.size, bytes(row.root)) if row is not None else None
            decision = decide(latest, request, checkpoint)
            now = self._now()
            if decision.verdict is Verdict.COSIGN:
                if row is None:
                    uow.session.add(
                        WitnessLogRow(
                            origin=origin,
                            size=checkpoint.size,
                            root=checkpoint.root,
                            note=request.note,
                            updated_at=now,
                        )
                    )
                else:
                    row.size, row.root, row.note = checkpoint.size, checkpoint.root, request.note
                    row.updated_at = now
                uow.session.flush()
                signature = self._cosigner.cosign(text, int(now.timestamp()))
                uow.commit()
                return WitnessAnswer(200, signature.line())
            if decision.verdict is Verdict.CONFLICT:
                if latest is not None and request.old_size == latest.size == checkpoint.size:
                    self._evidence(uow, now, origin, text, decision.reason)
                known = latest.size if latest is not None else 0
                return WitnessAnswer(409, f"{known}\n", SIZE_CONTENT_TYPE)
            if decision.verdict is Verdict.INCONSISTENT:
                self._evidence(uow, now, origin, text, decision.reason)
                return _plain(422, f"refused: {decision.reason}")
            return _plain(400, f"bad request: {decision.reason}")

    def _evidence(
        self, uow: SqlUnitOfWork, now: datetime, origin: str, text: str, reason: str
    ) -> None:
        """Record a refused checkpoint of a known log: it may prove the log forked."""
        uow.audit.record(
            AuditEvent.of(
                now,
                self._cosigner.name,
                AuditAction.WITNESS_REFUSED,
                f"log/{origin}",
                {"checkpoint": text, "reason": reason},
            )
        )
        uow.commit()
