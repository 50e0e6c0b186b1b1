"""The alert log (``comity.services.notify.ports.AlertLog``) on the control plane's session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from comity.adapters.controlplane.tables import Base
from comity.services.notify.ports import Alert


class CaseAlertRow(Base):
    __tablename__ = "case_alerts"
    __table_args__ = (UniqueConstraint("channel", "alert_key", name="uq_case_alerts_channel_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    alert_key: Mapped[str] = mapped_column(String(400))
    case_id: Mapped[str] = mapped_column(String(63), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_to: Mapped[str] = mapped_column(String(400))


class SqlAlertLog:
    def __init__(self, session: Session) -> None:
        self._s = session

    def was_sent(self, channel: str, key: str) -> bool:
        query = select(CaseAlertRow.id).where(
            CaseAlertRow.channel == channel, CaseAlertRow.alert_key == key
        )
        return self._s.scalars(query).first() is not None

    def record(self, channel: str, alert: Alert, at: datetime, target: str) -> None:
        self._s.add(
            CaseAlertRow(
                channel=channel,
                alert_key=alert.key,
                case_id=alert.case_id,
                kind=alert.deadline.kind,
                due_at=alert.deadline.due_at,
                sent_at=at,
                sent_to=target[:400],
            )
        )
        self._s.flush()
