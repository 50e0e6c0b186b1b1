"""The ``[log]`` section of comity.toml: where the log is published.

``public_url`` is the URL prefix auditors and witnesses read the tlog-tiles log at; a deployment
that sets it before ``comity init`` makes its key gets the origin tlog-tiles recommends (the URL
without its scheme). Every problem is one sentence naming the key at fault.
"""

from __future__ import annotations

from typing import Any

from comity.domain.audit_names import origin_from_url

LOG_KEYS = {"public_url"}


def log_section_problems(raw: Any, source: str) -> list[str]:
    """What is wrong with ``[log]`` (empty if nothing, or if the section is absent)."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        return [f"{source}: [log] must be a table"]
    problems = [f"{source}: unknown key log.{k}" for k in sorted(set(raw) - LOG_KEYS)]
    url = raw.get("public_url")
    if url is not None:
        if not isinstance(url, str):
            problems.append(f"{source}: log.public_url must be a string URL")
        else:
            try:
                origin_from_url(url)
            except ValueError as exc:
                problems.append(f"{source}: {exc}")
    return problems
