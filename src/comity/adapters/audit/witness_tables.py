"""Tables for witnessing (migration 0008_log_witnesses).

``audit_cosignatures``: the cosignatures witnesses returned for this log's checkpoints, one row
per checkpoint size and witness, the signature line as received (it verifies on its own against
the checkpoint's note and the witness's published key). ``witness_logs``: when this deployment is
a witness for other logs, the latest checkpoint it cosigned for each origin; a witness "is only
required to keep track of the latest checkpoint it observed and verified" (c2sp.org/tlog-witness).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from comity.adapters.controlplane.tables import Base


class AuditCosignatureRow(Base):
    __tablename__ = "audit_cosignatures"

    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    witness: Mapped[str] = mapped_column(String(255), primary_key=True)
    line: Mapped[str] = mapped_column(Text)
    cosigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WitnessLogRow(Base):
    __tablename__ = "witness_logs"

    origin: Mapped[str] = mapped_column(String(255), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
