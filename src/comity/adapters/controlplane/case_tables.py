"""Control-plane table for cases: one row per case, the case itself kept as its JSON document.

The case is an immutable domain value (``comity.domain.workflow.Case``) whose shape evolves with
the workflow; storing it whole keeps the table stable, while the few columns the queue filters and
sorts on (state, demand, reference, times) are copied out beside it. ``version`` counts saves, so
a reader can tell a stale copy and a test can count writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from comity.adapters.controlplane.tables import Base


class CaseRow(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(63), primary_key=True)
    demand_id: Mapped[str | None] = mapped_column(
        ForeignKey("intake_demands.id"), unique=True, nullable=True
    )
    reference: Mapped[str] = mapped_column(String(300), index=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
