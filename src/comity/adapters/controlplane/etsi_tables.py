"""The HI-1 object map: which sender's object became which demand (migration 0009_etsi)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from comity.adapters.controlplane.tables import Base


class EtsiObjectRow(Base):
    __tablename__ = "etsi_objects"

    authority_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    sender: Mapped[str] = mapped_column(String(200))
    receiver: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    demand_id: Mapped[str] = mapped_column(ForeignKey("intake_demands.id"), index=True)
    transaction_id: Mapped[str] = mapped_column(String(200))
    action_id: Mapped[str] = mapped_column(String(63))
    reference: Mapped[str | None] = mapped_column(String(200), nullable=True)
    categories: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
