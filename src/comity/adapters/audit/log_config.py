"""The ``[log]`` and ``[witness]`` sections of comity.toml: publishing and witnessing the log.

```toml
[log]
public_url = "https://comity.example.com/log/"   # the origin is this URL without its scheme
quorum = 1                                       # cosignatures `comity audit verify` requires

[[log.witnesses]]                                # who is asked to cosign each new checkpoint
key = "witness.example.org/w1+1a2b3c4d+BASE64"   # the witness's cosignature/v1 vkey
url = "https://witness.example.org/"             # its tlog-witness submission prefix

[witness]                                        # this deployment as a witness for other logs
name = "regulator.example/witness"               # its cosigner name (keys/witness.key)

[[witness.logs]]
key = "other.example/log+5e6f7a8b+BASE64"        # a log's verifier key; its name is the origin
```

``public_url`` gives a new deployment's key its origin (tlog-tiles, "Parameters"). Every problem is
one sentence naming the key at fault; all are reported at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from comity.domain.audit_names import origin_from_url
from comity.domain.note import NoteError, VerifierKey
from comity.domain.witness import CosignerKey, WitnessError
from comity.errors import ConfigurationError

LOG_KEYS = {"public_url", "quorum", "witnesses"}
WITNESS_KEYS = {"name", "logs"}


@dataclass(frozen=True)
class WitnessEndpoint:
    """A witness this log asks for cosignatures: its key and submission prefix."""

    key: CosignerKey
    url: str


@dataclass(frozen=True)
class WitnessPolicy:
    """How many of the named witnesses must cosign the latest checkpoint (0: no policy)."""

    witnesses: tuple[WitnessEndpoint, ...] = ()
    quorum: int = 0


@dataclass(frozen=True)
class WitnessService:
    """This deployment as a witness: its cosigner name and the logs it witnesses, by origin."""

    name: str
    logs: dict[str, VerifierKey]


def _url_problem(url: Any, where: str) -> str | None:
    if not isinstance(url, str):
        return f"{where} must be a string URL"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{where} {url!r} must be an http:// or https:// URL with a host"
    return None


def _witnesses(raw: Any, source: str, problems: list[str]) -> list[WitnessEndpoint]:
    if not isinstance(raw, list):
        problems.append(f"{source}: log.witnesses must be an array of tables ([[log.witnesses]])")
        return []
    out: list[WitnessEndpoint] = []
    names: set[str] = set()
    for i, item in enumerate(raw):
        where = f"log.witnesses[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{source}: {where} must be a table with key and url")
            continue
        for k in sorted(set(item) - {"key", "url"}):
            problems.append(f"{source}: unknown key {where}.{k}")
        if (why := _url_problem(item.get("url"), f"{where}.url")) is not None:
            problems.append(f"{source}: {why}")
        try:
            key = CosignerKey.parse(str(item.get("key", "")))
        except WitnessError as exc:
            problems.append(f"{source}: {where}.key: {exc}")
            continue
        if key.name in names:
            problems.append(f"{source}: {where}: witness {key.name!r} is listed twice")
        names.add(key.name)
        out.append(WitnessEndpoint(key, str(item.get("url", "")).rstrip("/")))
    return out


def parse_log_section(raw: Any, source: str, problems: list[str]) -> WitnessPolicy:
    """Check ``[log]``, adding one sentence per problem to ``problems``; the witness policy."""
    if raw is None:
        return WitnessPolicy()
    if not isinstance(raw, dict):
        problems.append(f"{source}: [log] must be a table")
        return WitnessPolicy()
    problems += [f"{source}: unknown key log.{k}" for k in sorted(set(raw) - LOG_KEYS)]
    url = raw.get("public_url")
    if url is not None:
        if not isinstance(url, str):
            problems.append(f"{source}: log.public_url must be a string URL")
        else:
            try:
                origin_from_url(url)
            except ValueError as exc:
                problems.append(f"{source}: {exc}")
    witnesses = _witnesses(raw.get("witnesses", []), source, problems)
    quorum = raw.get("quorum", len(witnesses))
    if isinstance(quorum, bool) or not isinstance(quorum, int) or quorum < 0:
        problems.append(f"{source}: log.quorum must be a whole number of witnesses")
        quorum = 0
    elif quorum > len(witnesses):
        problems.append(
            f"{source}: log.quorum is {quorum} but only {len(witnesses)} witnesses are listed"
        )
    return WitnessPolicy(tuple(witnesses), quorum)


def parse_witness_section(raw: Any, source: str, problems: list[str]) -> WitnessService | None:
    """Check ``[witness]``; the witness service it configures, or None if absent."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(f"{source}: [witness] must be a table")
        return None
    problems += [f"{source}: unknown key witness.{k}" for k in sorted(set(raw) - WITNESS_KEYS)]
    name = raw.get("name")
    if not isinstance(name, str) or not name or any(c.isspace() or c == "+" for c in name):
        problems.append(f"{source}: witness.name must be a name without spaces or '+'")
        name = "?"
    logs: dict[str, VerifierKey] = {}
    raw_logs = raw.get("logs", [])
    if not isinstance(raw_logs, list):
        problems.append(f"{source}: witness.logs must be an array of tables ([[witness.logs]])")
        raw_logs = []
    for i, item in enumerate(raw_logs):
        where = f"witness.logs[{i}]"
        if not isinstance(item, dict) or set(item) != {"key"}:
            problems.append(f"{source}: {where} must be a table with only a key")
            continue
        try:
            key = VerifierKey.parse(str(item["key"]))
        except NoteError as exc:
            problems.append(f"{source}: {where}.key: {exc}")
            continue
        if key.name in logs:
            problems.append(f"{source}: {where}: log {key.name!r} is listed twice")
        logs[key.name] = key
    return WitnessService(name, logs)


def log_section_problems(doc: dict[str, Any], source: str) -> list[str]:
    """What is wrong with ``[log]`` and ``[witness]`` (empty if nothing, or if absent)."""
    problems: list[str] = []
    parse_log_section(doc.get("log"), source, problems)
    parse_witness_section(doc.get("witness"), source, problems)
    return problems


def witness_policy(extra: dict[str, Any]) -> WitnessPolicy:
    """The deployment's witness policy (``[log]``), already validated when comity.toml loaded."""
    problems: list[str] = []
    policy = parse_log_section(extra.get("log"), "comity.toml", problems)
    if problems:
        raise ConfigurationError(problems[0], problems=problems)
    return policy


def witness_service(extra: dict[str, Any]) -> WitnessService:
    """The deployment's ``[witness]`` section; ``ConfigurationError`` if it has none."""
    problems: list[str] = []
    service = parse_witness_section(extra.get("witness"), "comity.toml", problems)
    if problems:
        raise ConfigurationError(problems[0], problems=problems)
    if service is None:
        raise ConfigurationError(
            "comity.toml has no [witness] section: name this witness and the logs it witnesses"
        )
    return service
