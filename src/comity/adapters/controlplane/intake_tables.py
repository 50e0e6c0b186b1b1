"""Control-plane tables for intake: the authority registry, users and tokens, demands, files."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from comity.adapters.controlplane.tables import Base


class AuthorityRow(Base):
    __tablename__ = "intake_authorities"

    id: Mapped[str] = mapped_column(String(63), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    country: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    domains: Mapped[list[str]] = mapped_column(JSON)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    keys: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UserRow(Base):
    __tablename__ = "intake_users"

    id: Mapped[str] = mapped_column(String(63), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    roles: Mapped[list[str]] = mapped_column(JSON)
    agency_id: Mapped[str | None] = mapped_column(
        ForeignKey("intake_authorities.id"), index=True, nullable=True
    )
    may_file_emergency: Mapped[bool] = mapped_column(Boolean)
    may_download: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TokenRow(Base):
    """An API token, stored only as the SHA-256 of its value."""

    __tablename__ = "intake_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("intake_users.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DemandRow(Base):
    __tablename__ = "intake_demands"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    reference: Mapped[str] = mapped_column(String(200), index=True)
    #: "<agency>:<reference>": the same reference from the same authority is one demand.
    idempotency_key: Mapped[str] = mapped_column(String(600), unique=True)
    agency_id: Mapped[str | None] = mapped_column(String(63), index=True, nullable=True)
    submitted_by: Mapped[str] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(16), index=True)
    verification: Mapped[str] = mapped_column(String(16))
    emergency: Mapped[bool] = mapped_column(Boolean, index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    fraud_signs: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    signature_key_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    verified_by: Mapped[str | None] = mapped_column(String(63), nullable=True)
    callbacks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: Kept in a column of its own so the workflow and reports can read it without parsing.
    disclosure_blocked_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    seq: Mapped[int] = mapped_column(Integer, index=True)

    #: A requester's list (their agency's demands in filing order) walks this index instead of
    #: sorting every demand of the agency (migration 0010).
    __table_args__ = (Index("ix_intake_demands_agency_seq", "agency_id", "seq"),)


class AttachmentRow(Base):
    __tablename__ = "intake_attachments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    demand_id: Mapped[str] = mapped_column(ForeignKey("intake_demands.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(71))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class AssessmentRow(Base):
    __tablename__ = "intake_assessments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    demand_id: Mapped[str] = mapped_column(ForeignKey("intake_demands.id"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    rule_pack_digest: Mapped[str] = mapped_column(String(80))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(63))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
