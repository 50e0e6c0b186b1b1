"""Where a deployment keeps its CA and certificates, and the names they carry: cheap to import
(the composition root needs the paths on every start; the crypto is in ``pki`` and ``contexts``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CONTROL_PLANE_URI = "urn:comity:control-plane"
REGION_URI_PREFIX = "urn:comity:region:"
CONTROL_PLANE_NAME = "control-plane"


def region_uri(region_id: str) -> str:
    return REGION_URI_PREFIX + region_id


def agent_name(region_id: str) -> str:
    return f"agent-{region_id}"


@dataclass(frozen=True)
class TlsFiles:
    """The deployment CA, this side's certificate and its private key."""

    ca: Path
    cert: Path
    key: Path

    def missing(self) -> list[Path]:
        return [p for p in (self.ca, self.cert, self.key) if not p.exists()]


@dataclass(frozen=True)
class PkiLayout:
    """Where a deployment keeps its CA and certificates: public parts under ``pki/``, private
    keys under ``keys/pki/`` (0700, each 0600) beside the deployment's other keys."""

    home: Path

    @property
    def ca_cert(self) -> Path:
        return self.home / "pki" / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.home / "keys" / "pki" / "ca.key"

    def cert(self, name: str) -> Path:
        return self.home / "pki" / f"{name}.pem"

    def key(self, name: str) -> Path:
        return self.home / "keys" / "pki" / f"{name}.key"
