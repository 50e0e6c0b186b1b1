"""``comity verify PACKAGE``: exit 0 if the package is valid, 1 naming its first problem."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from comity.adapters.package.verify import verify_package
from comity.adapters.signing.ed25519 import PublicKey


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
) -> None:
    """Verify a production package: completeness, every hash, the signatures, the authorization."""
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
    if not result.key_given:
        out.print(
            "note: the signature was checked against the key inside the package; pass --key with "
            "the provider's published key to check who signed it",
            markup=False,
        )
