"""What the audit log's signing key and checkpoints are called in a deployment."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from comity.domain.deployment import Deployment

AUDIT_KEY_FILE = "audit-log.key"


def origin_from_url(url: str) -> str:
    """The checkpoint origin for a log served at ``url``: the URL without scheme or trailing '/'.

    c2sp.org/tlog-tiles, "Parameters": "The origin line SHOULD be one of the URL prefixes of the
    log, with the scheme removed and no trailing slashes". Raises ``ValueError`` naming the fault.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"log.public_url {url!r} must be an http:// or https:// URL with a host")
    if parts.query or parts.fragment:
        raise ValueError(f"log.public_url {url!r} must not carry a query or fragment")
    origin = (parts.netloc + parts.path).rstrip("/")
    if re.search(r"[\s+]", origin):
        raise ValueError(f"log.public_url {url!r} must not contain spaces or '+'")
    return origin


def configured_log_url(deployment: Deployment) -> str | None:
    """``[log] public_url`` from comity.toml, if set: where auditors and witnesses read the log."""
    log = deployment.extra.get("log")
    url = log.get("public_url") if isinstance(log, dict) else None
    return url if isinstance(url, str) else None


def audit_key_name(deployment: Deployment) -> str:
    """The note key name and checkpoint origin, fixed when the key is made.

    A deployment that configures ``[log] public_url`` before its key is created gets the origin
    tlog-tiles asks for (the log's URL without its scheme). Deployments made without one keep
    ``<provider slug>/comity-audit``: C2SP asks origins to be unique, schema-less URL-like strings;
    key names must not contain spaces or '+'; the provider's name is the deployment's stable
    identity, and changing the origin of a running log would make it a different log to witnesses.
    """
    url = configured_log_url(deployment)
    if url is not None:
        return origin_from_url(url)
    slug = re.sub(r"[^a-z0-9.-]+", "-", deployment.provider.name.lower()).strip("-.")
    return f"{slug or 'comity'}/comity-audit"
