"""``comity notify run [--within SPAN]``: warn about deadlines entering their window, once each.

Run it from cron (every few minutes); settings are in ``[notify]`` of comity.toml. Each warning
goes out once per channel and every send is on the audit log as ``notify:sent`` by ``notifier``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from comity.domain.registry import StaffRole, User
from comity.entrypoints.cli.context import open_comity
from comity.services.cases.due import parse_window
from comity.services.notify.warnings import NotifyFailed, run_notifier

app = typer.Typer(help="Warnings before deadlines pass (SMTP, webhook).", no_args_is_help=True)

#: Who sends warnings, on the audit log: reads every case, changes none.
NOTIFIER = User("notifier", "Comity notifier", "notifier@localhost", frozenset({StaffRole.AUDITOR}))


@app.command("run")
def run(
    ctx: typer.Context,
    within: Annotated[
        str | None, typer.Option(help="Warning window (default: [notify] warn_before)")
    ] = None,
) -> None:
    """Send each warning now due that has not been sent; exit 1 if a channel failed."""
    comity = open_comity(ctx)
    settings = comity.notify_settings()
    window = parse_window(within, "--within") if within else settings.warn_before
    report = run_notifier(
        comity.intake_uow,
        comity.clock,
        NOTIFIER,
        settings.notifiers,
        comity.alert_log,
        window=window,
    )
    for channel, alert, target in report.sent:
        typer.echo(f"sent {channel}: {alert.subject_line} -> {target}")
    typer.echo(
        f"{len(report.sent)} sent, {report.already} already sent, {len(report.failed)} failed"
    )
    if report.failed:
        raise NotifyFailed(
            f"{len(report.failed)} warning(s) could not be sent; they are retried on the next run",
            problems=[message for _, _, message in report.failed],
        )
