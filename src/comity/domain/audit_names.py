"""What the audit log's signing key and checkpoints are called in a deployment."""

from __future__ import annotations

import re

from comity.domain.deployment import Deployment

AUDIT_KEY_FILE = "audit-log.key"


def audit_key_name(deployment: Deployment) -> str:
    """The note key name and checkpoint origin: ``<provider slug>/comity-audit``.

    C2SP asks origins to be unique, schema-less URL-like strings; key names must not contain
    spaces or '+'. The provider's name is the deployment's stable identity.
    """
    slug = re.sub(r"[^a-z0-9.-]+", "-", deployment.provider.name.lower()).strip("-.")
    return f"{slug or 'comity'}/comity-audit"
