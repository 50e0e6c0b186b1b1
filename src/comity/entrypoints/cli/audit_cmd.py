"""``comity audit head | key | prove N [--against SIZE] | verify [--checkpoint FILE] | witness``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from comity.adapters.audit.documents import (
    b64,
    checkpoint_document,
    consistency_document,
    head_size,
    inclusion_document,
)
from comity.adapters.audit.log_config import witness_policy
from comity.adapters.audit.verify import verify_log
from comity.adapters.audit.witnessing import (
    check_witness_policy,
    collect_cosignatures,
    cosignature_lines,
)
from comity.bootstrap import Comity
from comity.domain.note import NoteError, VerifierKey
from comity.entrypoints.cli.context import open_comity
from comity.errors import ConfigurationError, IntegrityError, InvalidInput

app = typer.Typer(
    help="Inspect, prove and verify the tamper-evident audit log.", no_args_is_help=True
)


def _out(text: str) -> None:
    Console(highlight=False, soft_wrap=True).print(text, markup=False, end="")


def _verifier_key(comity: Comity, given: str | None) -> VerifierKey:
    if given:
        try:
            return VerifierKey.parse(given)
        except NoteError as exc:
            raise InvalidInput(f"--key: {exc}") from None
    signer = comity.audit_signer
    if signer is None:
        raise ConfigurationError(
            f"{comity.audit_key_path}: no audit log key; pass the published one with --key"
        )
    return signer.verifier_key


@app.command("key")
def key(ctx: typer.Context) -> None:
    """Print the log's public verifier key (publish it; auditors check checkpoints with it)."""
    _out(str(_verifier_key(open_comity(ctx), None)) + "\n")


@app.command("head")
def head(ctx: typer.Context) -> None:
    """Print the latest signed checkpoint (C2SP tlog-checkpoint signed note), with the witnesses'
    cosignatures, as /log/checkpoint serves it."""
    with open_comity(ctx).uow() as uow:
        doc = checkpoint_document(uow.audit)
        _out(str(doc["note"]) + cosignature_lines(uow.session, int(str(doc["size"]))))


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
    with open_comity(ctx).uow() as uow:
        size = head_size(uow.audit)
        doc: dict[str, object] = {"entry": uow.audit.entry(index).entry}
        doc["inclusion"] = inclusion_document(uow.audit, index, size)
        latest = uow.audit.latest_checkpoint()
        doc["checkpoint"] = latest.note if latest is not None else None
        if against is not None:
            doc["consistency"] = consistency_document(uow.audit, against, size)
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
    comity = open_comity(ctx)
    verifier = _verifier_key(comity, key)
    note = None
    if checkpoint is not None:
        try:
            note = checkpoint.read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            raise InvalidInput(f"{checkpoint}: not a readable UTF-8 checkpoint file") from None
    policy = witness_policy(comity.deployment.extra)
    with comity.uow() as uow:
        report = verify_log(uow.session, verifier, note)
        witnessed = check_witness_policy(uow.session, policy) if policy.quorum else []
    lines = [
        f"ok: {report.entries} entries, root {b64(report.root)}",
        f"{report.checkpoints} signed checkpoints verified, {report.nodes} stored subtree hashes",
    ]
    if report.outside is not None:
        lines.append(f"consistent with the saved checkpoint of size {report.outside.size}")
    _out("\n".join(lines + witnessed + report.notes) + "\n")


@app.command("witness")
def witness(ctx: typer.Context) -> None:
    """Ask the [[log.witnesses]] to cosign the latest checkpoint; exit 1 below the quorum."""
    comity = open_comity(ctx)
    policy = witness_policy(comity.deployment.extra)
    if not policy.witnesses:
        raise ConfigurationError("comity.toml lists no [[log.witnesses]] to ask for cosignatures")
    import httpx  # noqa: PLC0415  (only witnessing talks HTTP; other commands skip its import)

    with comity.uow() as uow, httpx.Client(timeout=30) as http:
        size, outcomes = collect_cosignatures(uow.session, policy, http)
    for o in outcomes:
        _out(f"{o.witness}: {o.message}\n")
    cosigned = sum(o.cosigned for o in outcomes)
    if cosigned < policy.quorum:
        raise IntegrityError(
            f"checkpoint {size} has {cosigned} of the {policy.quorum} cosignatures the policy needs"
        )
