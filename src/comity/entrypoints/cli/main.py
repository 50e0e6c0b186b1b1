"""``comity``: the root command. Each command group lives in its own module and is added here.

Errors are caught once, here: a ``ComityError`` prints its sentences to standard error and exits
with its code; nothing else is caught, so a bug shows its traceback instead of hiding.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console

from comity.entrypoints.cli import (
    accounts_cmd,
    agent_cmd,
    assess_cmd,
    audit_cmd,
    authorities_cmd,
    case_cmd,
    demand_cmd,
    due_cmd,
    ingest_cmd,
    init_cmd,
    move_cmd,
    notify_cmd,
    produce_cmd,
    productions_cmd,
    regions_cmd,
    replay_cmd,
    report_cmd,
    rules_cmd,
    scenario_cmd,
    serve_cmd,
    sources_cmd,
    tokens_cmd,
    users_cmd,
    verify_cmd,
    witness_cmd,
)
from comity.errors import ComityError

app = typer.Typer(
    name="comity",
    help="Handle cross-border government demands for customer data, on the record.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Deployment directory (default: $COMITY_HOME or .)"),
    ] = None,
) -> None:
    ctx.obj = {"dir": directory}


app.command("init")(init_cmd.init)
app.command("serve")(serve_cmd.serve)
app.add_typer(accounts_cmd.app, name="accounts")
app.command("assess")(assess_cmd.assess)
app.add_typer(scenario_cmd.app, name="scenario")
app.command("replay")(replay_cmd.replay)
app.add_typer(rules_cmd.app, name="rules")
app.add_typer(audit_cmd.app, name="audit")
app.command("verify")(verify_cmd.verify)
app.add_typer(ingest_cmd.app, name="ingest")
accounts_cmd.app.command("move")(move_cmd.move)
app.add_typer(regions_cmd.app, name="regions")
app.add_typer(users_cmd.app, name="users")
app.add_typer(tokens_cmd.app, name="tokens")
app.add_typer(authorities_cmd.app, name="authorities")
app.add_typer(demand_cmd.app, name="demand")
app.add_typer(report_cmd.app, name="report")
app.command("produce")(produce_cmd.produce)
app.command("agent")(agent_cmd.agent)
app.add_typer(case_cmd.app, name="case")
app.command("due")(due_cmd.due)
app.add_typer(notify_cmd.app, name="notify")
app.add_typer(productions_cmd.app, name="productions")
app.add_typer(witness_cmd.app, name="witness")
app.add_typer(sources_cmd.app, name="sources")


def main() -> None:
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        app(standalone_mode=False)
    except ComityError as exc:
        for problem in exc.problems:
            stderr.print(f"error: {problem}", markup=False)
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except Exception as exc:
        # Typer raises its own vendored copies of click's exceptions; older Typer, click's own.
        if isinstance(exc, click.exceptions.Abort | typer.Abort):
            stderr.print("aborted")
            sys.exit(130)
        if isinstance(exc, click.ClickException | typer.exceptions.TyperException):
            show = getattr(exc, "show", None)
            if callable(show):
                show()
            else:
                stderr.print(f"error: {exc}", markup=False)
            sys.exit(int(getattr(exc, "exit_code", 2)))
        raise


if __name__ == "__main__":
    main()
