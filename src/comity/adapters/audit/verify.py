"""Recompute the whole log from its entries and check it against everything it has promised.

Streaming, in index order, a page at a time (memory stays flat but for one hash per stored
subtree node): every entry must sit at the next index and hash to its stored leaf; the root after
each signed checkpoint's size must equal the checkpoint's root, and every checkpoint's signature
must verify under the log's verifier key; stored subtree nodes must match the recomputed ones; at
the end the tree state must match, no checkpoint may lie beyond the last entry, and a checkpoint an
outside auditor saved earlier must be a prefix of the log (same root at its size). The first
failure stops the walk and is reported with the first index it implicates.

A changed entry shows up as a leaf hash mismatch (or, if its leaf hash was rewritten too, as the
first checkpoint after it no longer matching); a dropped entry as a gap or a mismatched root; a
swap as a mismatched root; a truncation as checkpoints or an outside checkpoint beyond the end.
Checkpoints are signed per commit, so a mismatched root pins the entries of one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.adapters.audit.signing import open_checkpoint
from comity.adapters.controlplane.audit_tables import (
    NODE_MIN_LEVEL,
    AuditCheckpointRow,
    AuditNodeRow,
)
from comity.adapters.controlplane.tables import AuditEntryRow, AuditTreeStateRow
from comity.domain.merkle import EMPTY_ROOT, CompactRange, leaf_hash, node_id
from comity.domain.note import Checkpoint, VerifierKey
from comity.errors import IntegrityError

PAGE = 5000


@dataclass
class VerifyReport:
    entries: int = 0
    checkpoints: int = 0
    nodes: int = 0
    root: bytes = EMPTY_ROOT
    outside: Checkpoint | None = None
    notes: list[str] = field(default_factory=list)


class Tampered(IntegrityError):
    """The log does not match what it committed to; ``index`` is the first entry implicated."""

    def __init__(self, index: int | None, message: str) -> None:
        super().__init__(message)
        self.index = index


def _entries(session: Session) -> Iterator[tuple[int, str, bytes]]:
    last = -1
    while True:
        rows = session.execute(
            select(AuditEntryRow.idx, AuditEntryRow.entry, AuditEntryRow.leaf_hash)
            .where(AuditEntryRow.idx > last)
            .order_by(AuditEntryRow.idx)
            .limit(PAGE)
        ).all()
        if not rows:
            return
        for idx, entry, leaf in rows:
            yield idx, entry, bytes(leaf)
        last = rows[-1][0]


def _checkpoints(session: Session) -> Iterator[AuditCheckpointRow]:
    last = -1
    while True:
        rows = session.scalars(
            select(AuditCheckpointRow)
            .where(AuditCheckpointRow.size > last)
            .order_by(AuditCheckpointRow.size)
            .limit(PAGE)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].size


def _nodes(session: Session) -> Iterator[tuple[int, bytes]]:
    last = -1
    while True:
        rows = session.execute(
            select(AuditNodeRow.id, AuditNodeRow.hash)
            .where(AuditNodeRow.id > last)
            .order_by(AuditNodeRow.id)
            .limit(PAGE)
        ).all()
        if not rows:
            return
        for node, h in rows:
            yield node, bytes(h)
        last = rows[-1][0]


def _check_checkpoint(row: AuditCheckpointRow, key: VerifierKey) -> Checkpoint:
    try:
        checkpoint = open_checkpoint(row.note, key)
    except IntegrityError as exc:
        raise Tampered(max(row.size - 1, 0), f"checkpoint at size {row.size}: {exc}") from None
    if checkpoint.origin != key.name:
        raise Tampered(None, f"checkpoint at size {row.size} names origin {checkpoint.origin!r}")
    if checkpoint.size != row.size or checkpoint.root != bytes(row.root):
        raise Tampered(
            max(row.size - 1, 0),
            f"checkpoint at size {row.size}: its stored size or root differs from its signed note",
        )
    return checkpoint


def _span(first: int, end: int) -> str:
    return f"entry {first}" if end - first == 1 else f"entries {first} to {end - 1}"


def verify_log(session: Session, key: VerifierKey, outside_note: str | None = None) -> VerifyReport:
    """Check the log in ``session``; raise ``Tampered`` naming the first bad index."""
    report = VerifyReport()
    outside: Checkpoint | None = None
    if outside_note is not None:
        try:
            outside = open_checkpoint(outside_note, key)
        except IntegrityError as exc:
            raise IntegrityError(f"the saved checkpoint does not verify: {exc}") from None
        if outside.origin != key.name:
            raise IntegrityError(
                f"the saved checkpoint is for log {outside.origin!r}, not {key.name!r}"
            )
        report.outside = outside

    checkpoints = _checkpoints(session)
    pending = next(checkpoints, None)
    while pending is not None and pending.size == 0:
        _check_checkpoint(pending, key)
        report.checkpoints += 1
        pending = next(checkpoints, None)
    tree = CompactRange.empty()
    computed: dict[int, tuple[int, int, bytes]] = {}
    last_good = 0
    if outside is not None and outside.size == 0 and outside.root != EMPTY_ROOT:
        raise Tampered(0, "the saved checkpoint of size 0 does not have the empty root")
    for idx, entry, stored_leaf in _entries(session):
        if idx != tree.size:
            raise Tampered(
                tree.size,
                f"entry {tree.size} is missing: the next stored entry has index {idx}",
            )
        leaf = leaf_hash(entry.encode())
        if leaf != stored_leaf:
            raise Tampered(idx, f"entry {idx} was changed: it no longer hashes to its leaf hash")
        tree, formed = tree.append_nodes(leaf)
        for lvl, i, node in formed:
            if lvl >= NODE_MIN_LEVEL:
                computed[node_id(lvl, i)] = (lvl, i, node)
        while pending is not None and pending.size == tree.size:
            checkpoint = _check_checkpoint(pending, key)
            if checkpoint.root != tree.root():
                raise Tampered(
                    last_good,
                    f"{_span(last_good, tree.size)} changed, moved or removed: the entries no "
                    f"longer match the signed checkpoint at size {tree.size}; first bad index "
                    f"{last_good}",
                )
            last_good = tree.size
            report.checkpoints += 1
            pending = next(checkpoints, None)
        if outside is not None and outside.size == tree.size and outside.root != tree.root():
            raise Tampered(
                last_good,
                f"the log's first {tree.size} entries do not match the saved checkpoint; "
                f"the entries after index {last_good - 1} differ (first bad index {last_good})",
            )
    report.entries = tree.size
    report.root = tree.root()
    if pending is not None:
        raise Tampered(
            tree.size,
            f"entries from index {tree.size} were removed: the log ends at {tree.size} entries "
            f"but holds a signed checkpoint of size {pending.size}",
        )
    if outside is not None and outside.size > tree.size:
        raise Tampered(
            tree.size,
            f"entries from index {tree.size} were removed: the log has {tree.size} entries but "
            f"the saved checkpoint has size {outside.size}",
        )
    state = session.get(AuditTreeStateRow, 1)
    state_size = state.size if state else 0
    state_frontier = bytes(state.frontier) if state else b""
    if state_size != tree.size:
        first = min(state_size, tree.size)
        raise Tampered(
            first,
            f"the tree state says {state_size} entries but {tree.size} are stored; "
            f"first bad index {first}",
        )
    if state_frontier != b"".join(tree.frontier):
        raise Tampered(None, "the stored compact range does not match the entries")
    for nid, stored in _nodes(session):
        report.nodes += 1
        expected = computed.get(nid)
        if expected is None or expected[2] != stored:
            lvl = ((nid + 1) & -(nid + 1)).bit_length() - 1
            start = (nid + 1 - (1 << lvl)) >> 1
            raise Tampered(
                start,
                f"the stored hash of entries {start} to {start + (1 << lvl) - 1} is wrong "
                "(proofs over them would not verify)",
            )
    if report.nodes != len(computed):
        report.notes.append(
            f"{len(computed) - report.nodes} subtree hashes are not stored; proofs rebuild them"
        )
    return report
