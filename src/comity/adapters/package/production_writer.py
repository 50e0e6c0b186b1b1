"""The package writer behind ``services.productions.ports.PackageWriter``: ``produce_package`` with
the provider's and the control plane's keys, ``verify_package`` to adopt a package published
before a crash, and age encryption."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from comity.adapters.package.certificate import Custodian, DemandInfo
from comity.adapters.package.encryption import encrypt_package, parse_recipient
from comity.adapters.package.verify import verify_package
from comity.adapters.package.writer import (
    DEFAULT_PACKAGE_MODE,
    ProductionRequest,
    produce_package,
    remove_staging,
    sweep_staging,
)
from comity.adapters.signing.ed25519 import PublicKey, SigningKey
from comity.domain.authorization import SignedAuthorization
from comity.domain.records import Record
from comity.services.productions.ports import PackageFacts, WrittenPackage


class BagItPackageWriter:
    def __init__(
        self,
        provider_key: SigningKey,
        control_plane_keys: list[PublicKey],
        mode: int = DEFAULT_PACKAGE_MODE,
    ) -> None:
        self._provider_key = provider_key
        self._control_plane_keys = control_plane_keys
        self._mode = mode

    def write(
        self,
        out: Path,
        signed: SignedAuthorization,
        facts: PackageFacts,
        records: Iterable[tuple[str, Iterable[Record]]],
    ) -> WrittenPackage:
        request = ProductionRequest(
            signed,
            DemandInfo(facts.reference, facts.authority, facts.period, facts.authority_country),
            Custodian(facts.custodian_name, facts.custodian_title, facts.provider),
            facts.produced_at,
        )
        made = produce_package(
            out,
            request,
            records,
            signing_key=self._provider_key,
            control_plane_keys=self._control_plane_keys,
            mode=self._mode,
        )
        return WrittenPackage(
            made.path, made.sha256, made.size, made.record_count, signed.authorization.id
        )

    def inspect(self, path: Path) -> WrittenPackage:
        result = verify_package(
            path, keys=[self._provider_key.public], authorization_keys=self._control_plane_keys
        )
        sha = hashlib.sha256()
        with path.open("rb") as src:
            while chunk := src.read(1 << 20):
                sha.update(chunk)
        return WrittenPackage(
            path, sha.hexdigest(), path.stat().st_size, result.record_count, result.authorization.id
        )

    def check_recipients(self, recipients: list[str]) -> None:
        for recipient in recipients:
            parse_recipient(recipient)

    def encrypt(self, path: Path, recipients: list[str], out: Path) -> Path:
        return encrypt_package(path, recipients, out, self._mode)

    def clean(self, out: Path) -> None:
        remove_staging(out)

    def sweep(self, directory: Path) -> list[Path]:
        return sweep_staging(directory)
