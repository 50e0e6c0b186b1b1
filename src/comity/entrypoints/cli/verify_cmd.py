"""``comity verify PACKAGE``: exit 0 if the package is valid, 1 naming its first problem."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from comity.bootstrap.package_check import check_package
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
    verdict = check_package(
        package,
        keys=key,
        authorization_keys=authorization_key,
        log_key=log_verifier,
        log_proof=log_proof,
    )
    result = verdict.verified
    out = Console(highlight=False, soft_wrap=True)
    out.print(
        f"valid: {result.bag}, {result.record_count} records for demand "
        f"{result.authorization.demand_reference} under authorization {result.authorization.id}, "
        f"signed by {result.signing_key}",
        markup=False,
    )
    if (checkpoint := verdict.published_in) is not None:
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
