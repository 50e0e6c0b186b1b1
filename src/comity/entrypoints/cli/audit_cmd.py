"""``comity audit head | key | prove N [--against SIZE] | verify [--checkpoint FILE] | witness``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from comity.entrypoints.cli.context import open_comity
from comity.errors import InvalidInput

app = typer.Typer(
    help="Inspect, prove and verify the tamper-evident audit log.", no_args_is_help=True
)


def _out(text: str) -> None:
    Console(highlight=False, soft_wrap=True).print(text, markup=False, end="")


@app.command("key")
def key(ctx: typer.Context) -> None:
    """Print the log's public verifier key (publish it; auditors check checkpoints with it)."""
    _out(str(open_comity(ctx).audit_log.verifier_key()) + "\n")


@app.command("head")
def head(ctx: typer.Context) -> None:
    """Print the latest signed checkpoint (C2SP tlog-checkpoint signed note), with the witnesses'
    cosignatures, as /log/checkpoint serves it."""
    _out(open_comity(ctx).audit_log.served_checkpoint())


@app.command("prove")
def prove(
    ctx: typer.Context,
    index: Annotated[int, typer.Argument(help="Index of the entry to prove.")],
    against: Annotated[
        int | None,
        typer.Option("--against", help="Also prove the current head extends this earlier size."),
    ] = None,
) -> None:
    """Print, as JSON, entry N with its inclusion proof in the latest checkpoint's tree."""
    doc = open_comity(ctx).audit_log.prove(index, against)
    _out(json.dumps(doc, indent=2) + "\n")


@app.command("verify")
def verify(
    ctx: typer.Context,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="A checkpoint saved earlier (e.g. by an auditor)."),
    ] = None,
    key: Annotated[
        str | None, typer.Option("--key", help="Verifier key (default: the deployment's).")
    ] = None,
) -> None:
    """Recompute the tree from every entry and check every checkpoint; exit 1 on tampering."""
    log = open_comity(ctx).audit_log
    verifier = log.verifier_key(key)
    note = None
    if checkpoint is not None:
        try:
            note = checkpoint.read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            raise InvalidInput(f"{checkpoint}: not a readable UTF-8 checkpoint file") from None
    _out("\n".join(log.verify(verifier, note)) + "\n")


@app.command("witness")
def witness(ctx: typer.Context) -> None:
    """Ask the [[log.witnesses]] to cosign the latest checkpoint; exit 1 below the quorum."""
    witnessed = open_comity(ctx).audit_log.collect_cosignatures()
    for o in witnessed.outcomes:
        _out(f"{o.witness}: {o.message}\n")
    witnessed.require_quorum()
