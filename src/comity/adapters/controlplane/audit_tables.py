"""Tables the audit log adds to the control plane: stored subtree hashes and signed checkpoints.

``audit_nodes`` keeps the hash of every perfect subtree of at least ``2**NODE_MIN_LEVEL`` leaves,
written as appends complete them, so a proof reads O(log n) rows at any size. Smaller subtrees
are rehashed from at most ``2**NODE_MIN_LEVEL`` leaf hashes, which keeps the table an eighth of the
log's size. ``audit_checkpoints`` holds each signed tree head (C2SP checkpoint note) by size.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, LargeBinary, Text
from sqlalchemy.orm import Mapped, mapped_column

from comity.adapters.controlplane.tables import Base

NODE_MIN_LEVEL = 4


class AuditNodeRow(Base):
    __tablename__ = "audit_nodes"

    #: ``domain.merkle.node_id(level, index)``: one key, so a proof's nodes are one ``IN`` query.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditCheckpointRow(Base):
    __tablename__ = "audit_checkpoints"

    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
