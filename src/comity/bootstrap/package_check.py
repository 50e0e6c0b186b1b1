"""Checking a production package offline, as a requester or a court would: ``comity verify``.

The check needs no deployment: the package (archive or bag), the provider's published key, the
control plane's key and, when the package's tlog-proof is beside it, the audit log's verifier key.
It composes three adapters (the key files, the BagIt verifier, the C2SP tlog-proof checker), so
it lives in the composition root and the command only parses options and prints the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from comity.adapters.audit.production_proof import check_production_proof, proof_path
from comity.adapters.package.verify import Verified, verify_package
from comity.adapters.signing.ed25519 import PublicKey
from comity.domain.note import Checkpoint, VerifierKey
from comity.errors import InvalidInput


@dataclass(frozen=True)
class PackageVerdict:
    """A valid package, and the log checkpoint that proves its publication if one was checked."""

    verified: Verified
    published_in: Checkpoint | None


def check_package(
    package: Path,
    *,
    keys: list[Path] | None = None,
    authorization_keys: list[Path] | None = None,
    log_key: VerifierKey | None = None,
    log_proof: Path | None = None,
) -> PackageVerdict:
    """Verify ``package``; ``IntegrityError`` naming its first problem.

    The publication proof is checked when ``log_proof`` is given, or when the package is an
    archive with ``PACKAGE.tlog-proof`` beside it (a bag directory has no single file to prove).
    """
    verified = verify_package(
        package,
        keys=[PublicKey.load(k) for k in keys] if keys else None,
        authorization_keys=[PublicKey.load(k) for k in authorization_keys]
        if authorization_keys
        else None,
    )
    proof_file = log_proof or proof_path(package)
    if log_proof is None and not (package.is_file() and proof_file.is_file()):
        return PackageVerdict(verified, None)
    try:
        text = proof_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise InvalidInput(f"{proof_file}: not a readable tlog-proof file") from None
    checkpoint = check_production_proof(text, package, verified.record_count, log_key)
    return PackageVerdict(verified, checkpoint)
