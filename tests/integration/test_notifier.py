"""The notifier against a real SMTP server (aiosmtpd) and a real local HTTP server: each warning
goes out once per channel, signed (webhook), on the audit log; a failed channel is retried."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from tests.case_support import T0, build, file_warrant, law, user
from tests.conftest import FixedClock
from tests.intake_support import free_port
from typer.testing import CliRunner

from comity.adapters.controlplane.tables import AuditEntryRow
from comity.adapters.notify.settings import parse_notify
from comity.bootstrap import Comity, open_deployment
from comity.domain.categories import Category
from comity.entrypoints.cli.main import app
from comity.errors import ConfigurationError
from comity.services.cases import actions as cases
from comity.services.cases import holds as case_holds
from comity.services.notify.warnings import run_notifier

SECRET = b"s3cret-webhook-key"


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


class Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    status = 204

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[type[Hook], int]]:
    handler = type("TestHook", (Hook,), {"received": [], "status": 204})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, server.server_address[1]
    server.shutdown()
    server.server_close()


def _configure(home: Path, smtp_port: int, hook_port: int) -> Comity:
    (home / "keys").mkdir(exist_ok=True)
    (home / "keys" / "webhook.secret").write_bytes(SECRET + b"\n")
    with (home / "comity.toml").open("a") as f:
        f.write(
            f"""
[notify]
warn_before = "48h"

[notify.smtp]
host = "127.0.0.1"
port = {smtp_port}
from = "comity@provider.example"
to = ["legal@provider.example", "oncall@provider.example"]

[notify.webhook]
url = "http://127.0.0.1:{hook_port}/comity"
secret_file = "keys/webhook.secret"
"""
        )
    return open_deployment(home, FixedClock(T0))


def _sent(comity: Comity) -> list[str]:
    with comity.intake_uow() as uow:
        return list(
            uow.session.scalars(
                select(AuditEntryRow.action).where(AuditEntryRow.action == "notify:sent")
            )
        )


def test_each_warning_goes_out_once_per_channel_signed_and_logged(
    tmp_path: Path, smtp: tuple[Mailbox, int], webhook: tuple[type[Hook], int]
) -> None:
    clock = FixedClock(T0)
    build(tmp_path, clock)
    comity = _configure(tmp_path, smtp[1], webhook[1])
    comity.clock = clock
    case_id = cases.ensure_case(
        comity.intake_uow, clock, file_warrant(comity).id, law(comity)
    ).case_id
    case = case_holds.place_hold(
        comity.intake_uow,
        clock,
        comity.region_holds,
        user(comity, "rev"),
        case_id,
        account="msn-1",
        categories=(Category.CONTENT,),
        region="eu-ie",
        basis="us.2703f",
    )
    expiry = case.holds[0].expires_at
    assert expiry is not None
    settings = comity.notify_settings()
    assert settings.warn_before == timedelta(hours=48)

    def run() -> Any:
        return run_notifier(
            comity.intake_uow,
            clock,
            user(comity, "aud"),
            settings.notifiers,
            comity.alert_log,
            window=settings.warn_before,
        )

    clock.current = expiry - timedelta(hours=49)
    assert run().sent == []  # not yet in its window
    clock.current = expiry - timedelta(hours=47)
    report = run()
    assert [(channel, alert.deadline.kind) for channel, alert, _ in report.sent] == [
        ("smtp", "hold_expiry"),
        ("webhook", "hold_expiry"),
    ]
    box, hook = smtp[0], webhook[0]
    assert len(box.messages) == 1
    envelope = box.messages[0]
    assert envelope.rcpt_tos == ["legal@provider.example", "oncall@provider.example"]
    mail = message_from_bytes(envelope.content)
    assert mail["Subject"].startswith("[comity] 13-MAG-2814: hold_expiry due ")
    assert mail["X-Comity-Case"] == case_id
    assert "18 U.S.C. 2703(f)(2)" in mail.get_payload()
    headers, body = hook.received[0]
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    assert headers["Comity-Signature"] == expected
    doc = json.loads(body)
    assert (doc["event"], doc["case"], doc["deadline"]["kind"]) == (
        "deadline_warning",
        case_id,
        "hold_expiry",
    )
    # Once: the next runs send nothing more for the same deadline.
    again = run()
    assert (again.sent, again.already) == ([], 2)
    assert len(box.messages) == 1
    assert len(hook.received) == 1
    assert _sent(comity) == ["notify:sent", "notify:sent"]
    # The hold is extended: its new expiry is a new deadline, warned about in its own window.
    case_holds.extend_hold(
        comity.intake_uow,
        clock,
        comity.region_holds,
        user(comity, "rev"),
        case_id,
        hold_id=case.holds[0].hold_id,
    )
    clock.current = expiry + timedelta(days=89)
    assert len(run().sent) == 2
    assert len(box.messages) == 2


def test_a_failed_channel_is_reported_and_retried_while_the_others_send(
    tmp_path: Path, smtp: tuple[Mailbox, int], webhook: tuple[type[Hook], int]
) -> None:
    clock = FixedClock(T0 + timedelta(days=400))  # the notice (gag ended 2014-12-04) is overdue
    build(tmp_path, clock)
    comity = _configure(tmp_path, smtp[1], webhook[1])
    comity.clock = clock
    case = cases.ensure_case(comity.intake_uow, clock, file_warrant(comity).id, law(comity))
    _approve(comity, clock, case.case_id)  # notice is owed before disclosure, from approval
    webhook[0].status = 500
    home = str(tmp_path)
    result = CliRunner().invoke(app, ["--dir", home, "notify", "run"])
    assert result.exception is not None
    assert "could not be sent" in str(result.exception)
    assert "answered 500; the warning is retried" in result.exception.problems[0]  # type: ignore[attr-defined]
    assert len(smtp[0].messages) == 1
    assert _sent(comity) == ["notify:sent"]
    webhook[0].status = 200
    result = CliRunner().invoke(app, ["--dir", home, "notify", "run"])
    assert result.exit_code == 0, result.output
    assert "1 sent, 1 already sent, 0 failed" in result.output
    assert len(smtp[0].messages) == 1
    assert _sent(comity) == ["notify:sent", "notify:sent"]


def test_bad_settings_get_one_sentence_each(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as err:
        parse_notify(
            {
                "warn_before": "soon",
                "colour": "red",
                "smtp": {"port": 70000, "from": "nobody", "to": ["ok@x.example", "bad"]},
                "webhook": {"url": "ftp://x", "secret_file": "missing.key"},
            },
            tmp_path,
        )
    problems = err.value.problems
    assert problems == [
        "[notify] colour: unknown setting (known: warn_before, smtp, webhook)",
        "[notify] warn_before: expected a span such as 48h, 3d, 90m or 2w, got 'soon'",
        "[notify.smtp] host: the SMTP server's host name is required",
        "[notify.smtp] port: expected a port number 1-65535, got 70000",
        "[notify.smtp] from: expected the sender's e-mail address, got 'nobody'",
        "[notify.smtp] to: not e-mail addresses: 'bad'",
        "[notify.webhook] url: expected an http(s) URL, got 'ftp://x'",
        f"[notify.webhook] secret_file: cannot read {tmp_path / 'missing.key'}",
    ]
    with pytest.raises(ConfigurationError, match="no channel"):
        parse_notify({"warn_before": "1d"}, tmp_path)
    with pytest.raises(ConfigurationError, match="no \\[notify\\] section"):
        parse_notify(None, tmp_path)


def _approve(comity: Comity, clock: FixedClock, case_id: str) -> None:
    """Review, decide to produce, recommend and approve (four eyes): disclosure is approved."""
    with comity.reader() as uow:
        rev, appr = uow.intake.get_user("rev"), uow.intake.get_user("appr")
    assert rev is not None
    assert appr is not None
    case = cases.start_review(comity.intake_uow, clock, rev, case_id)
    for finding in case.findings:
        cases.decide(
            comity.intake_uow, clock, rev, case_id, finding=finding.key, decision="produce"
        )
    cases.recommend(comity.intake_uow, clock, rev, case_id, "produce")
    cases.approve(comity.intake_uow, clock, appr, case_id)
