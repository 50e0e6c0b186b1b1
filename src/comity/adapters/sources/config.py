"""``[regions.X.sources.Y]`` tables (contract section 8): checked when ``comity.toml`` is read,
built into ``RecordSource`` adapters only inside the region's agent.

Validation is all-problems-at-once like the rest of the file. Secrets are never values here: a
``password`` key is refused and ``password_file`` names a file the agent reads when it connects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comity.adapters.sources.imap import HOLD_IN_PLACE, LOGINS, ImapSource
from comity.adapters.sources.maildir import MaildirSource
from comity.errors import ConfigurationError
from comity.services.custody.source_ports import RecordSource

SOURCE_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")
KEYS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # kind: (required keys, optional keys)
    "imap": (
        frozenset({"url", "master_user", "password_file"}),
        frozenset({"login", "hold_in_place"}),
    ),
    "postgresql": (frozenset({"url", "queries"}), frozenset({"password_file"})),
    "maildir": (frozenset({"root"}), frozenset()),
}
PATH_KEYS = ("password_file", "queries")


def parse_sources(
    raw: Any, region_id: str, base_dir: Path | None, problems: list[str], source: str
) -> dict[str, dict[str, str]]:
    """The region's sources as plain settings (relative files resolved), problems appended."""
    where = f"{source}: regions.{region_id}.sources"
    if not isinstance(raw, dict):
        problems.append(f"{where} must be a table of [regions.{region_id}.sources.<name>] tables")
        return {}
    out: dict[str, dict[str, str]] = {}
    for name, body in raw.items():
        at = f"{where}.{name}"
        if not name or set(name) - SOURCE_NAME_CHARS:
            problems.append(f"{at}: a source name must be lower-case letters, digits, '-' or '_'")
            continue
        if not isinstance(body, dict):
            problems.append(f"{at} must be a table with kind and its settings")
            continue
        kind = body.get("kind")
        if kind not in KEYS:
            problems.append(f"{at}.kind {kind!r} must be one of {', '.join(sorted(KEYS))}")
            continue
        required, optional = KEYS[kind]
        if "password" in body:
            problems.append(
                f"{at}: a password never stands in comity.toml; put it in a file only Comity "
                "can read and name it with password_file"
            )
        for key in sorted(required - set(body)):
            problems.append(f"{at}: {kind} source needs {key}")
        for key in sorted(set(body) - required - optional - {"kind", "password"}):
            problems.append(
                f"{at}: unknown key {key!r} for a {kind} source (expected "
                f"{', '.join(sorted(required | optional))})"
            )
        settings: dict[str, str] = {"kind": kind}
        for key in sorted((required | optional) & set(body)):
            value = body[key]
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{at}.{key} must be a non-empty string")
                continue
            if key in PATH_KEYS and base_dir is not None and not value.startswith("/"):
                value = str((base_dir / value).resolve())
            settings[key] = value
        if kind == "imap" and settings.get("login", "{email}") not in LOGINS:
            problems.append(f"{at}.login must be one of {', '.join(LOGINS)}")
        if kind == "imap" and settings.get("hold_in_place", "mailbox") not in HOLD_IN_PLACE:
            problems.append(
                f"{at}.hold_in_place must be {' or '.join(repr(h) for h in HOLD_IN_PLACE)} "
                "(leave it out to hold by snapshot alone)"
            )
        if kind == "imap" and not settings.get("url", "imap").startswith(("imap://", "imaps://")):
            problems.append(f"{at}.url must be an imap:// or imaps:// URL")
        if kind == "postgresql" and not settings.get("url", "postgresql://").startswith(
            ("postgresql://", "postgres://")
        ):
            problems.append(f"{at}.url must be a postgresql:// URL")
        if kind == "maildir" and not any(
            p in settings.get("root", "{account}") for p in ("{account}", "{email}", "{local}")
        ):
            problems.append(
                f"{at}.root must name the account with {{account}}, {{email}} or {{local}}"
            )
        out[str(name)] = settings
    return out


def build_source(name: str, settings: dict[str, str]) -> RecordSource:
    """The adapter for one parsed source (the agent's side: only it reads the secrets)."""
    kind = settings["kind"]
    if kind == "imap":
        return ImapSource(
            name,
            url=settings["url"],
            master_user=settings["master_user"],
            password_file=Path(settings["password_file"]),
            login=settings.get("login", "{email}"),
            hold_in_place=settings.get("hold_in_place"),
        )
    if kind == "postgresql":
        # Imported here: psycopg costs every command that reads comity.toml otherwise.
        from comity.adapters.sources.postgres import PostgresSource  # noqa: PLC0415

        secret = settings.get("password_file")
        return PostgresSource(
            name,
            url=settings["url"],
            password_file=Path(secret) if secret else None,
            queries=Path(settings["queries"]),
        )
    if kind == "maildir":
        return MaildirSource(name, root=settings["root"])
    raise ConfigurationError(f"source {name}: unknown kind {kind!r}")


def region_sources(extra: dict[str, object], region_id: str) -> dict[str, dict[str, str]]:
    """The parsed ``sources`` settings of one region from ``Deployment.extra``."""
    every = extra.get("sources")
    mine = every.get(region_id) if isinstance(every, dict) else None
    return mine if isinstance(mine, dict) else {}
