"""Control-plane tables of regional custody: the journal of account moves between regions.

The journal holds only where a move stands (which account, category, regions, state, a digest
of what was verified); the records themselves stay in the regions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from comity.adapters.controlplane.tables import Base


class MoveRow(Base):
    __tablename__ = "custody_moves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(128), index=True)
    category: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(63))
    destination: Mapped[str] = mapped_column(String(63))
    #: The whole account moves (home region changes too), not just one category.
    whole_account: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16))  # copying | switched | done
    records: Mapped[int | None] = mapped_column(Integer, nullable=True)
    digest: Mapped[str | None] = mapped_column(String(80), nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
