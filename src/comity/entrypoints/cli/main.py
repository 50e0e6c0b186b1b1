"""``comity``: the root command. Each command group lives in its own module, loaded on first use.

Why lazy: importing every command module imported every adapter (PDF, HTTP, crypto, the rule
engine), so ``comity --help`` took over a second before printing anything and a loop that ingests
files one by one was almost all start-up. The root therefore knows each command by name, module
and one-line help only, and imports a module when that command is run or its own help is asked.

Why ``--dir`` is added to every command here: the README and contract section 7 write both
``comity --dir D init`` and ``comity init --dir D``; one place adds the option to every leaf
command as it is loaded, so no command can forget it.

Errors are caught once, here: a ``ComityError`` prints its sentences to standard error and exits
with its code; nothing else is caught, so a bug shows its traceback instead of hiding.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup, TyperOption

from comity.errors import ComityError, InvalidInput

DIR_HELP = "Deployment directory (default: $COMITY_HOME or .)"


@dataclass(frozen=True)
class _Entry:
    """One top-level command: where it lives and the line ``comity --help`` shows for it."""

    module: str
    attr: str
    summary: str


# Order is the order of ``comity --help``: single commands first, then groups.
COMMANDS: dict[str, _Entry] = {
    "init": _Entry(
        "init_cmd",
        "init",
        "Create comity.toml, the control-plane database, one store and one key per region.",
    ),
    "serve": _Entry(
        "serve_cmd",
        "serve",
        "Serve the API (OpenAPI documentation at /docs), the console and the portal.",
    ),
    "assess": _Entry(
        "assess_cmd",
        "assess",
        "Assess a demand against the deployment's accounts and the rule pack.",
    ),
    "replay": _Entry(
        "replay_cmd",
        "replay",
        "Walk a case's timeline; show the engine's pathway at each date beside the courts'.",
    ),
    "verify": _Entry(
        "verify_cmd",
        "verify",
        "Verify a production package: completeness, every hash, the signatures, the "
        "authorization, and, when PACKAGE.tlog-proof is beside it, that the audit log published "
        "this very package.",
    ),
    "produce": _Entry(
        "produce_cmd",
        "produce",
        "Produce an approved case (or a demand's case) into a signed, verifiable package.",
    ),
    "agent": _Entry(
        "agent_cmd",
        "agent",
        "Serve a region's agent: it accepts only signed authorizations and streams their records.",
    ),
    "due": _Entry(
        "due_cmd",
        "due",
        "Deadlines, hold expiries and notices now due: overdue first, then due within the window.",
    ),
    "accounts": _Entry("accounts_cmd", "app", "Create, list and show accounts."),
    "scenario": _Entry("scenario_cmd", "app", "Run scenario files (executable legal test cases)."),
    "rules": _Entry("rules_cmd", "app", "Rule pack tools."),
    "audit": _Entry("audit_cmd", "app", "Inspect, prove and verify the tamper-evident audit log."),
    "ingest": _Entry("ingest_cmd", "app", "Ingest mail and records into an account's regions."),
    "regions": _Entry("regions_cmd", "app", "Regions: their stores, keys and agents."),
    "pki": _Entry(
        "pki_cmd", "app", "The deployment's CA and the certificates of mutual TLS with the agents."
    ),
    "users": _Entry("users_cmd", "app", "Create and list staff members and requesters."),
    "tokens": _Entry("tokens_cmd", "app", "Issue API tokens."),
    "keys": _Entry("keys_cmd", "app", "The provider's published signing key."),
    "authorities": _Entry(
        "authorities_cmd", "app", "The registry of courts, prosecutors and agencies."
    ),
    "demand": _Entry("demand_cmd", "app", "Submit, list, show and withdraw demands."),
    "report": _Entry("report_cmd", "app", "Reports built from the record."),
    "case": _Entry(
        "case_cmd", "app", "The case workflow: review, approval, holds, notices, courts."
    ),
    "notify": _Entry("notify_cmd", "app", "Warnings before deadlines pass (SMTP, webhook)."),
    "productions": _Entry(
        "productions_cmd", "app", "Productions of demands (see also: comity produce)."
    ),
    "witness": _Entry(
        "witness_cmd", "app", "Witness other deployments' audit logs (C2SP tlog-witness)."
    ),
    "sources": _Entry(
        "sources_cmd", "app", "Data sources: where regions read the provider's own systems."
    ),
}


def _flag_type_rich(self: TyperOption, ctx: Any) -> str | None:
    """Show no value type after a flag: Typer shows ``--demo <bool>``, yet ``--demo true`` fails."""
    if self.is_flag:
        return None
    return _typer_type_rich(self, ctx)


_typer_type_rich = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_type_rich  # type: ignore[method-assign]


def _remember_dir(ctx: typer.Context, value: Path | None) -> None:
    """Store a ``--dir`` given after the sub-command where ``--dir`` before it is stored."""
    if value is None:
        return
    shared = ctx.find_root().ensure_object(dict)
    before = shared.get("dir")
    if before is not None and Path(before) != value:
        raise InvalidInput(f"--dir was given twice ({before} and {value}); give it once")
    shared["dir"] = value


def _dir_option_holder(
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir", help=DIR_HELP, callback=_remember_dir, expose_value=False, is_eager=True
        ),
    ] = None,
) -> None:
    """Never run: Typer builds the ``--dir`` option from this signature, for every command."""


def _dir_option() -> Any:
    """The ``--dir`` option as Typer builds it (Typer carries its own copy of click's classes)."""
    holder = typer.Typer(add_completion=False)
    holder.command()(_dir_option_holder)
    return typer.main.get_command(holder).params[0]


def _add_dir_everywhere(command: Any, option: Any) -> None:
    """Give every leaf command under ``command`` a ``--dir`` option (groups keep theirs off)."""
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            _add_dir_everywhere(sub, option)
        return
    if not any(param.name == "dir" for param in command.params):
        command.params.insert(0, option)


def load_command(name: str) -> Any:
    """Import the module of command ``name`` and build its command, ``--dir`` included."""
    entry = COMMANDS.get(name)
    if entry is None:
        return None
    module = importlib.import_module(f"comity.entrypoints.cli.{entry.module}")
    target: Any = getattr(module, entry.attr)
    if isinstance(target, typer.Typer):
        command: Any = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    _add_dir_everywhere(command, _dir_option())
    return command


class _LazyRoot(TyperGroup):
    """The root group: lists commands from ``COMMANDS``; imports one only when it is used."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if self._listing and cmd_name in COMMANDS:
            summary = COMMANDS[cmd_name].summary
            return TyperCommand(cmd_name, help=summary, short_help=summary)
        return load_command(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        # The list of commands needs only their summaries: building placeholders keeps
        # ``comity --help`` from importing every command module.
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="comity",
    cls=_LazyRoot,
    help="Handle cross-border government demands for customer data, on the record.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    directory: Annotated[Path | None, typer.Option("--dir", help=DIR_HELP)] = None,
) -> None:
    ctx.obj = {"dir": directory}


def main() -> None:
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        # Without standalone mode click returns, not raises, the code of ``typer.Exit(n)``:
        # pass it on, or ``scenario run``, ``replay`` and ``ingest eml DIR`` would exit 0.
        code = app(standalone_mode=False)
        if isinstance(code, int) and not isinstance(code, bool) and code != 0:
            sys.exit(code)
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
