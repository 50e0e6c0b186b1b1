"""Control-plane tables for cases: one row per case, the case itself kept as its JSON document.

The case is an immutable domain value (``comity.domain.workflow.Case``) whose shape evolves with
the workflow; storing it whole keeps the table stable. What lists and filters need (state, open
or finished, whom it waits on, next deadline, agency, emergency, instrument, times) is copied
out beside it into indexed columns, and every open deadline into ``case_deadlines``, so the
queue, the due list, the portal and the reports are indexed queries instead of reading every
document. The copies are written by the repository in the same flush as the document, from one
function (``cases_repo.derived``), so they cannot disagree with it. ``version`` counts saves, so a
reader can tell a stale copy and a test can count writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String
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
    # -- copied out of the document for lists (migration 0010) --------------------------------
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Not closed and not withdrawn: the legal team's working set.
    is_open: Mapped[bool] = mapped_column(Boolean)
    #: The soonest open deadline, or ``FAR`` when there is none, so the queue's order is one
    #: non-null key an index can walk (NULLs sort differently on SQLite and PostgreSQL).
    next_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: The demand's agency, for a requester's lists (None for a case without a stored demand).
    agency_id: Mapped[str | None] = mapped_column(String(63), nullable=True)
    emergency: Mapped[bool] = mapped_column(Boolean)
    instrument: Mapped[str] = mapped_column(String(64))
    # -- migration 0011 --------------------------------------------------------------------------
    #: Whom the case waits on (``comity.domain.workflow.waiting_on``), for the queue's filter.
    waiting_on: Mapped[str] = mapped_column(String(16))

    __table_args__ = (
        Index("ix_cases_queue", "next_due_at", "received_at", "id"),
        Index("ix_cases_open_queue", "is_open", "next_due_at", "received_at", "id"),
        Index("ix_cases_agency_queue", "agency_id", "next_due_at", "received_at", "id"),
        Index("ix_cases_state_queue", "state", "next_due_at", "received_at", "id"),
        Index("ix_cases_waiting_queue", "waiting_on", "next_due_at", "received_at", "id"),
    )


class CaseDeadlineRow(Base):
    """One open deadline of a case (``Case.deadlines()``), rewritten with every save of the case.

    The due list walks ``ix_case_deadlines_due`` from the oldest deadline up to now + window.
    """

    __tablename__ = "case_deadlines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    subject: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(64))
    #: The ``Deadline`` as its JSON document (citation, rule, description).
    document: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (Index("ix_case_deadlines_due", "due_at", "subject", "kind", "case_id"),)
