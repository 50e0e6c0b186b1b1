"""``[notify]`` in comity.toml: when to warn and through which channels, checked in full.

    [notify]
    warn_before = "48h"            # warn this long before a deadline (m, h, d, w)

    [notify.smtp]
    host = "smtp.provider.example"
    port = 587
    from = "comity@provider.example"
    to = ["legal@provider.example"]
    starttls = true
    username = "comity"              # optional
    password_file = "keys/smtp.pass" # optional, relative to comity.toml

    [notify.webhook]
    url = "https://hooks.provider.example/comity"
    secret_file = "keys/webhook.secret"

Every problem is one sentence naming the setting; all of them are reported at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from comity.adapters.notify.smtp import SmtpNotifier
from comity.adapters.notify.webhook import WebhookNotifier
from comity.errors import ConfigurationError, InvalidInput, collect
from comity.services.cases.due import parse_window
from comity.services.notify.ports import Notifier

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SMTP_KEYS = {"host", "port", "from", "to", "starttls", "username", "password_file"}
_WEBHOOK_KEYS = {"url", "secret_file"}


@dataclass(frozen=True)
class NotifySettings:
    warn_before: timedelta
    notifiers: tuple[Notifier, ...]


def parse_notify(raw: Any, base_dir: Path) -> NotifySettings:
    """The notifier settings, or a ``ConfigurationError`` with one sentence per problem."""
    problems: list[str] = []
    if raw is None:
        raise ConfigurationError(
            "comity.toml has no [notify] section: add [notify.smtp] or [notify.webhook] "
            "(docs/workflow.md, Notifier)"
        )
    if not isinstance(raw, dict):
        raise ConfigurationError("[notify] must be a table")
    for key in sorted(set(raw) - {"warn_before", "smtp", "webhook"}):
        problems.append(f"[notify] {key}: unknown setting (known: warn_before, smtp, webhook)")
    warn_before = timedelta(hours=48)
    if "warn_before" in raw:
        try:
            warn_before = parse_window(str(raw["warn_before"]), "[notify] warn_before")
        except InvalidInput as exc:
            problems.append(exc.message)
    notifiers: list[Notifier] = []
    if "smtp" in raw:
        smtp = _smtp(raw["smtp"], base_dir, problems)
        if smtp is not None:
            notifiers.append(smtp)
    if "webhook" in raw:
        hook = _webhook(raw["webhook"], base_dir, problems)
        if hook is not None:
            notifiers.append(hook)
    if "smtp" not in raw and "webhook" not in raw:
        problems.append("[notify] configures no channel: add [notify.smtp] or [notify.webhook]")
    collect(problems, ConfigurationError)
    return NotifySettings(warn_before, tuple(notifiers))


def _smtp(raw: Any, base_dir: Path, problems: list[str]) -> SmtpNotifier | None:
    where = "[notify.smtp]"
    if not isinstance(raw, dict):
        problems.append(f"{where} must be a table")
        return None
    before = len(problems)
    for key in sorted(set(raw) - _SMTP_KEYS):
        problems.append(f"{where} {key}: unknown setting (known: {', '.join(sorted(_SMTP_KEYS))})")
    host = raw.get("host")
    if not isinstance(host, str) or not host.strip():
        problems.append(f"{where} host: the SMTP server's host name is required")
    port = raw.get("port", 25)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        problems.append(f"{where} port: expected a port number 1-65535, got {port!r}")
    sender = raw.get("from")
    if not isinstance(sender, str) or not _EMAIL.match(sender):
        problems.append(f"{where} from: expected the sender's e-mail address, got {sender!r}")
    to = raw.get("to")
    if isinstance(to, str):
        to = [to]
    if not isinstance(to, list) or not to:
        problems.append(f"{where} to: expected a list of e-mail addresses, got {to!r}")
        to = []
    bad = [t for t in to if not isinstance(t, str) or not _EMAIL.match(t)]
    if bad:
        problems.append(f"{where} to: not e-mail addresses: {', '.join(map(repr, bad))}")
    starttls = raw.get("starttls", False)
    if not isinstance(starttls, bool):
        problems.append(f"{where} starttls: expected true or false, got {starttls!r}")
    username = raw.get("username")
    if username is not None and not isinstance(username, str):
        problems.append(f"{where} username: expected a string, got {username!r}")
    password = _secret(raw.get("password_file"), base_dir, f"{where} password_file", problems)
    if username is None and password is not None:
        problems.append(f"{where} password_file: a password needs a username")
    if len(problems) > before:
        return None
    assert isinstance(host, str)
    assert isinstance(sender, str)
    return SmtpNotifier(
        host=host,
        port=int(port),
        sender=sender,
        recipients=tuple(to),
        starttls=bool(starttls),
        username=username,
        password=password.decode() if password is not None else None,
    )


def _webhook(raw: Any, base_dir: Path, problems: list[str]) -> WebhookNotifier | None:
    where = "[notify.webhook]"
    if not isinstance(raw, dict):
        problems.append(f"{where} must be a table")
        return None
    before = len(problems)
    for key in sorted(set(raw) - _WEBHOOK_KEYS):
        problems.append(f"{where} {key}: unknown setting (known: secret_file, url)")
    url = raw.get("url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        problems.append(f"{where} url: expected an http(s) URL, got {url!r}")
    if raw.get("secret_file") is None:
        problems.append(f"{where} secret_file: the HMAC secret's file is required")
    secret = _secret(raw.get("secret_file"), base_dir, f"{where} secret_file", problems)
    if len(problems) > before or secret is None:
        return None
    assert isinstance(url, str)
    return WebhookNotifier(url=url, secret=secret)


def _secret(raw: Any, base_dir: Path, where: str, problems: list[str]) -> bytes | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        problems.append(f"{where}: expected a file path, got {raw!r}")
        return None
    path = base_dir / raw
    try:
        value = path.read_bytes().strip()
    except OSError:
        problems.append(f"{where}: cannot read {path}")
        return None
    if not value:
        problems.append(f"{where}: {path} is empty")
        return None
    return value
