"""Warnings by e-mail through an SMTP relay (``smtplib``), one message per warning."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from comity.services.notify.ports import Alert
from comity.services.notify.warnings import NotifyFailed


@dataclass(frozen=True)
class SmtpNotifier:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    channel: str = "smtp"

    def send(self, alert: Alert) -> str:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Subject"] = alert.subject_line
        message["X-Comity-Case"] = alert.case_id
        message.set_content(alert.text())
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifyFailed(
                f"smtp: could not send to {', '.join(self.recipients)} through "
                f"{self.host}:{self.port}: {exc}"
            ) from None
        return "mail to " + ", ".join(self.recipients)
