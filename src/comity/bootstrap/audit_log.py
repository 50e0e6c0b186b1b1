"""The audit log's front door: what the API, the ``/log/`` tiles, the console, the CLI and the
transparency report ask of the log, each answer read in one unit of work.

Why here, in the composition root: every answer combines the SQL tree reader, the tile reader,
the witness tables and the deployment's ``[log]`` and ``[witness]`` sections, which are adapters;
the entry points only parse their input, call one method and render what it returns. The log is
hashes and audit entries (never payloads), so nothing here writes except ``witness``, which
records the cosignatures it collects.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comity.adapters.audit.cosigning import Cosigner, load_or_create_cosigner
from comity.adapters.audit.documents import (
    b64,
    checkpoint_document,
    consistency_document,
    entry_document,
    head_size,
    inclusion_document,
)
from comity.adapters.audit.log_config import witness_policy, witness_service
from comity.adapters.audit.report_log import (
    changed_after,
    check_counted_at,
    counted_at,
    demands_logged_before,
)
from comity.adapters.audit.signing import NoteSigner, open_checkpoint
from comity.adapters.audit.tiles import TileReader
from comity.adapters.audit.verify import verify_log
from comity.adapters.audit.witness import SqlWitness
from comity.adapters.audit.witnessing import (
    Outcome,
    check_witness_policy,
    collect_cosignatures,
    cosignature_lines,
)
from comity.adapters.controlplane.unit_of_work import SqlUnitOfWork
from comity.domain.merkle import leaf_hash
from comity.domain.merkle_proofs import verify_inclusion
from comity.domain.note import NoteError, VerifierKey
from comity.domain.tiles import TileRef
from comity.errors import ComityError, ConfigurationError, IntegrityError, InvalidInput

WITNESS_KEY_FILE = "witness.key"


@dataclass(frozen=True)
class EntryCheck:
    """One entry with its inclusion proof and the three checks an outside auditor makes."""

    entry: str
    proof: dict[str, object]
    checkpoint: str | None
    checks: list[tuple[str, bool, str]]

    @property
    def ok(self) -> bool:
        return all(passed for _, passed, _ in self.checks)


@dataclass(frozen=True)
class WitnessRound:
    """What asking the configured witnesses gave: the checkpoint size and each one's answer."""

    size: int
    outcomes: list[Outcome]
    quorum: int

    @property
    def cosigned(self) -> int:
        return sum(o.cosigned for o in self.outcomes)

    def require_quorum(self) -> None:
        """``IntegrityError`` when fewer witnesses cosigned than the policy needs."""
        if self.cosigned < self.quorum:
            raise IntegrityError(
                f"checkpoint {self.size} has {self.cosigned} of the {self.quorum} "
                "cosignatures the policy needs"
            )


@dataclass(frozen=True)
class AuditLog:
    """The log as its readers see it. ``read`` opens read-only units of work where the API needs
    them (no write lock on a busy log); the CLI passes its plain ones."""

    read: Callable[[], SqlUnitOfWork]
    write: Callable[[], SqlUnitOfWork]
    signer: NoteSigner | None
    key_path: Path
    home: Path
    settings: dict[str, Any]
    now: Callable[[], Any]

    # --- documents (API /audit, CLI prove) ---

    def checkpoint(self) -> dict[str, object]:
        """The latest signed tree head: size, base64 root and the signed note text."""
        with self.read() as uow:
            return checkpoint_document(uow.audit)

    def inclusion(self, index: int, size: int | None = None) -> dict[str, object]:
        """RFC 9162 inclusion proof of entry ``index`` in tree ``size`` (default: the head)."""
        with self.read() as uow:
            return inclusion_document(uow.audit, index, size or head_size(uow.audit))

    def consistency(self, first: int, second: int | None = None) -> dict[str, object]:
        """RFC 9162 consistency proof that tree ``second`` (default: the head) extends ``first``."""
        with self.read() as uow:
            end = head_size(uow.audit) if second is None else second
            return consistency_document(uow.audit, first, end)

    def entry(self, index: int) -> dict[str, object]:
        """One entry's canonical JSON and leaf hash."""
        with self.read() as uow:
            return entry_document(uow.audit, index)

    def prove(self, index: int, against: int | None = None) -> dict[str, object]:
        """Entry ``index``, its inclusion proof in the head's tree, the signed checkpoint, and
        optionally the proof that the head extends the earlier size ``against``."""
        with self.read() as uow:
            size = head_size(uow.audit)
            doc: dict[str, object] = {"entry": uow.audit.entry(index).entry}
            doc["inclusion"] = inclusion_document(uow.audit, index, size)
            latest = uow.audit.latest_checkpoint()
            doc["checkpoint"] = latest.note if latest is not None else None
            if against is not None:
                doc["consistency"] = consistency_document(uow.audit, against, size)
        return doc

    # --- tlog-tiles (/log/) and the head ---

    def served_checkpoint(self) -> str:
        """The latest signed checkpoint with the witnesses' cosignature lines, as served."""
        with self.read() as uow:
            latest = TileReader(uow.audit).checkpoint()
            return latest.note + cosignature_lines(uow.session, latest.size)

    def tile(self, ref: TileRef) -> bytes:
        """A hash tile or an entry bundle; ``NotFound`` beyond the signed log."""
        with self.read() as uow:
            reader = TileReader(uow.audit)
            return reader.entry_bundle(ref) if ref.entries else reader.tile(ref)

    # --- checking ---

    def verifier_key(self, given: str | None = None) -> VerifierKey:
        """The key checkpoints are checked against: ``given`` (``--key``), else this log's own."""
        if given:
            try:
                return VerifierKey.parse(given)
            except NoteError as exc:
                raise InvalidInput(f"--key: {exc}") from None
        if self.signer is None:
            raise ConfigurationError(
                f"{self.key_path}: no audit log key; pass the published one with --key"
            )
        return self.signer.verifier_key

    def check_entry(self, index: int) -> EntryCheck:
        """Entry ``index`` with its inclusion proof and the server's check of each link: the entry
        hashes to its leaf, the proof leads from the leaf to the root, and that root is the one
        the log's key signed in the latest checkpoint (what ``comity audit prove`` lets an
        outside auditor check)."""
        with self.read() as uow:
            row = uow.audit.entry(index)
            text, stored_leaf = row.entry, bytes(row.leaf_hash)
            size = head_size(uow.audit)
            proof = inclusion_document(uow.audit, index, size)
            latest = uow.audit.latest_checkpoint()
            note = latest.note if latest is not None else None
        root = base64.b64decode(str(proof["root"]))
        hashes = proof["proof"]
        assert isinstance(hashes, list)
        path_ok = verify_inclusion(
            index, size, stored_leaf, [base64.b64decode(h) for h in hashes], root
        )
        signed_ok, signed_why = False, "no signed checkpoint covers this entry yet"
        if note is not None and self.signer is not None:
            try:
                checkpoint = open_checkpoint(note, self.signer.verifier_key)
                signed_ok = checkpoint.size == size and checkpoint.root == root
                signed_why = (
                    f"signed by {checkpoint.origin} at size {checkpoint.size}"
                    if signed_ok
                    else "the signed checkpoint names a different size or root"
                )
            except ComityError as exc:
                signed_why = exc.message
        return EntryCheck(
            entry=text,
            proof=proof,
            checkpoint=note,
            checks=[
                (
                    "The entry's bytes hash to its stored leaf hash (RFC 9162 leaf)",
                    leaf_hash(text.encode()) == stored_leaf,
                    "",
                ),
                ("The inclusion proof leads from the leaf to the tree's root", path_ok, ""),
                ("That root is the one in the log's signed checkpoint", signed_ok, signed_why),
            ],
        )

    def verify(self, verifier: VerifierKey, saved_checkpoint: str | None = None) -> list[str]:
        """Recompute the tree from every entry, check every checkpoint (and a saved one) and the
        witness policy; ``IntegrityError`` on tampering, else what was verified, line by line."""
        policy = witness_policy(self.settings)
        with self.read() as uow:
            report = verify_log(uow.session, verifier, saved_checkpoint)
            witnessed = check_witness_policy(uow.session, policy) if policy.quorum else []
        lines = [
            f"ok: {report.entries} entries, root {b64(report.root)}",
            f"{report.checkpoints} signed checkpoints verified, "
            f"{report.nodes} stored subtree hashes",
        ]
        if report.outside is not None:
            lines.append(f"consistent with the saved checkpoint of size {report.outside.size}")
        return lines + witnessed + report.notes

    # --- witnessing ---

    def collect_cosignatures(self) -> WitnessRound:
        """Ask the ``[[log.witnesses]]`` to cosign the latest checkpoint and keep what they sign."""
        policy = witness_policy(self.settings)
        if not policy.witnesses:
            raise ConfigurationError(
                "comity.toml lists no [[log.witnesses]] to ask for cosignatures"
            )
        import httpx  # noqa: PLC0415  (only witnessing talks HTTP; other commands skip it)

        with self.write() as uow, httpx.Client(timeout=30) as http:
            size, outcomes = collect_cosignatures(uow.session, policy, http)
        return WitnessRound(size, outcomes, policy.quorum)

    def cosigner(self) -> Cosigner:
        """This deployment's witness key (``keys/witness.key``), made 0600 on first use."""
        service = witness_service(self.settings)
        return load_or_create_cosigner(self.home / "keys" / WITNESS_KEY_FILE, service.name)

    def witness(self) -> SqlWitness:
        """This deployment as a witness of the logs in ``[[witness.logs]]``."""
        service = witness_service(self.settings)
        return SqlWitness(self.write, self.cosigner(), service.logs, self.now)

    # --- transparency reports ---

    def report_checkpoint(self, size: int | None = None) -> tuple[dict[str, object], set[str]]:
        """The checkpoint a report is counted at (the latest signed one unless ``size`` is
        given) and the demands the log held by then."""
        with self.read() as uow:
            checkpoint: dict[str, object] = (
                counted_at(uow.session) if size is None else {"size": size}
            )
            logged = demands_logged_before(uow.session, int(str(checkpoint["size"])))
        return checkpoint, logged

    def report_recorded_at(self, recorded: object, verifier: VerifierKey) -> tuple[int, list[str]]:
        """Check the checkpoint a published report names; its size and what changed after it."""
        with self.read() as uow:
            size = check_counted_at(uow.session, recorded, verifier)
            return size, changed_after(uow.session, size)
