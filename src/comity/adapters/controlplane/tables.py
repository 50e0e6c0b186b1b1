"""SQLAlchemy tables of the control plane. Schema changes go through Alembic migrations only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    home_region: Mapped[str] = mapped_column(String(63))
    placement: Mapped[dict[str, Any]] = mapped_column(JSON)
    residence: Mapped[str] = mapped_column(String(16))
    nationality: Mapped[str] = mapped_column(String(16))
    us_person: Mapped[str] = mapped_column(String(8))  # "true" | "false" | "unknown"
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SelectorRow(Base):
    """One row per selector; the primary key makes selectors unique across the deployment."""

    __tablename__ = "account_selectors"

    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(320), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )


class AuditEntryRow(Base):
    """One leaf of the RFC 9162 log: the canonical JSON of an event and its leaf hash."""

    __tablename__ = "audit_entries"

    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entry: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    action: Mapped[str] = mapped_column(String(128), index=True)
    subject: Mapped[str] = mapped_column(String(256), index=True)


class AuditTreeStateRow(Base):
    """The log's size and compact range (frontier) so appends never re-read the leaves."""

    __tablename__ = "audit_tree_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    frontier: Mapped[bytes] = mapped_column(LargeBinary)  # concatenated 32-byte hashes
