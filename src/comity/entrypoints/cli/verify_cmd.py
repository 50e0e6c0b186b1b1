"""``comity verify PACKAGE``: exit 0 if the package is valid, 1 naming its first problem."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from comity.adapters.audit.production_proof import check_production_proof, proof_path
from comity.adapters.package.verify import verify_package
from comity.adapters.signing.ed25519 import PublicKey
from comity.domain.note import NoteError, VerifierKey
from comity.errors import InvalidInput


def verify(
    package: Annotated[Path, typer.Argument(help="The package archive (.tar) or bag directory.")],
    key: Annotated[
        list[Path] | None,
        typer.Option("--key", help="The provider's published public key (PEM); repeatable."),
    ] = None,
    authorization_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--authorization-key",
            help="The control plane's public key (default: the one inside the signed package).",
        ),
    ] = None,
    log_key: Annotated[
        str | None,
        typer.Option(
            "--log-key", help="The audit log's published verifier key (comity audit key)."
        ),
    ] = None,
    log_proof: Annotated[
        Path | None,
        typer.Option(
            "--log-proof", help="The package's C2SP tlog-proof (default: PACKAGE.tlog-proof)."
        ),
    ] = None,
) -> None:
    """Verify a production package: completeness, every hash, the signatures, the authorization,
    and, when PACKAGE.tlog-proof is beside it, that the audit log published this very package."""
    try:
        log_verifier = VerifierKey.parse(log_key) if log_key else None
    except NoteError as exc:
        raise InvalidInput(f"--log-key: {exc}") from None
    keys = [PublicKey.load(k) for k in key] if key else None
    auth_keys = [PublicKey.load(k) for k in authorization_key] if authorization_key else None
    result = verify_package(package, keys=keys, authorization_keys=auth_keys)
    out = Console(highlight=False, soft_wrap=True)
    out.print(
        f"valid: {result.bag}, {result.record_count} records for demand "
        f"{result.authorization.demand_reference} under authorization {result.authorization.id}, "
        f"signed by {result.signing_key}",
        markup=False,
    )
    proof_file = log_proof or proof_path(package)
    if log_proof is not None or (package.is_file() and proof_file.is_file()):
        try:
            text = proof_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise InvalidInput(f"{proof_file}: not a readable tlog-proof file") from None
        checkpoint = check_production_proof(text, package, result.record_count, log_verifier)
        out.print(
            f"published: the audit log {checkpoint.origin} holds this package's publication in "
            f"its checkpoint of size {checkpoint.size}"
            + ("" if log_verifier else " (pass --log-key to check the log's signature)"),
            markup=False,
        )
    if not result.key_given:
        out.print(
            "note: the signature was checked against the key inside the package; pass --key with "
            "the provider's published key to check who signed it",
            markup=False,
        )
