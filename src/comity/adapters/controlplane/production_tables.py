"""Control-plane tables for productions, their download links and claims (0004, 0008)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from comity.adapters.controlplane.tables import Base


class ProductionRow(Base):
    __tablename__ = "productions"

    id: Mapped[str] = mapped_column(String(63), primary_key=True)
    demand_id: Mapped[str] = mapped_column(ForeignKey("intake_demands.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)
    encrypted_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    record_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    produced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    authorization: Mapped[str] = mapped_column("signed_authorization", Text)
    created_by: Mapped[str] = mapped_column(String(63))
    custodian: Mapped[str] = mapped_column(String(300))
    #: Why the production failed or was abandoned (migration 0008); None otherwise.
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class ProductionClaimRow(Base):
    """The one running production of a case, claimed in a transaction (migration 0008).

    A row per case: whoever inserted it (or took over a stale one by compare-and-swap on
    ``token``) produces; everyone else waits or refuses. ``heartbeat_at`` is refreshed while the
    package is written, so a holder on another host that died is recognised by its silence.
    """

    __tablename__ = "production_claims"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
    production_id: Mapped[str | None] = mapped_column(String(63), nullable=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DownloadLinkRow(Base):
    """A download link, stored only as the SHA-256 of its token."""

    __tablename__ = "production_links"

    id: Mapped[str] = mapped_column(String(63), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    production_id: Mapped[str] = mapped_column(ForeignKey("productions.id"), index=True)
    agency_id: Mapped[str | None] = mapped_column(String(63), nullable=True)
    created_by: Mapped[str] = mapped_column(String(63))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
