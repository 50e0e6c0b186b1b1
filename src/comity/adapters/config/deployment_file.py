"""Read and validate ``comity.toml`` (contract section 1) into a ``Deployment``.

Every problem is reported, each as one sentence that names the key at fault, so a provider fixes
the file in one pass. Relative store and key paths are resolved against the file's directory.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from comity.adapters.audit.log_config import log_section_problems
from comity.adapters.regions.pkcs11_url import SCHEME as PKCS11_SCHEME
from comity.adapters.regions.pkcs11_url import parse_pkcs11_url
from comity.adapters.sources.config import parse_sources
from comity.domain.deployment import ENTITY_ROLES, REGION_ID, Deployment, Entity, Provider, Region
from comity.errors import ConfigurationError, collect
from comity.law.countries import country_problem

FILE_NAME = "comity.toml"
STORE_SCHEMES = ("sqlite:///", "postgresql://", "postgresql+psycopg://")


def load_deployment(path: Path) -> Deployment:
    """Load ``path`` (a ``comity.toml`` or the directory holding one).

    A path that is not an existing ``.toml`` file is taken as the deployment directory, even when
    it does not exist yet, so the error names the directory looked in and the ``init`` that
    creates it, not that directory's parent.
    """
    if path.is_dir() or (path.suffix != ".toml" and not path.is_file()):
        path = path / FILE_NAME
    if not path.exists():
        raise ConfigurationError(
            f"no deployment file at {path}; run 'comity init --dir {path.parent}' to create one"
        )
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{path} is not UTF-8 text") from None
    return parse_deployment(doc, base_dir=path.parent, require_stores=True, source=str(path))


def parse_deployment(
    doc: Any, *, base_dir: Path | None, require_stores: bool, source: str = "deployment"
) -> Deployment:
    """Validate a deployment mapping (from TOML, or from a scenario file where stores are optional).

    TOML cannot hold two tables with the same name, but YAML mappings and merged files can, so a
    duplicate region id is checked here too (case-insensitively, since ids name files).
    """
    problems: list[str] = []
    if not isinstance(doc, dict):
        raise ConfigurationError(f"{source}: the deployment must be a mapping")

    known = {"provider", "regions", "control_plane", "law", "api", "agents", "notify"}
    known |= {"log", "witness", "productions"}
    for key in sorted(set(doc) - known):
        problems.append(f"{source}: unknown section [{key}]")

    provider = _parse_provider(doc.get("provider"), problems, source)
    sources: dict[str, dict[str, dict[str, str]]] = {}
    regions = _parse_regions(
        doc.get("regions"), problems, source, base_dir, require_stores, sources
    )

    control_plane: str | None = None
    cp = doc.get("control_plane", {})
    if not isinstance(cp, dict):
        problems.append(f"{source}: [control_plane] must be a table")
    else:
        control_plane = _resolve_url(cp.get("database", "sqlite:///control.db"), base_dir)

    agents = _parse_agents(
        doc.get("agents", {}), {r.id for r in regions}, problems, source, base_dir
    )
    problems += log_section_problems(doc, source)
    collect(problems, ConfigurationError)
    assert provider is not None
    extra = {
        k: v
        for k, v in doc.items()
        if k in ("law", "api", "notify", "log", "witness", "productions")
    }
    if agents:
        extra["agents"] = agents
    if sources:
        extra["sources"] = sources
    return Deployment(provider, tuple(regions), control_plane, extra)


def _parse_provider(raw: Any, problems: list[str], source: str) -> Provider | None:
    if not isinstance(raw, dict):
        problems.append(f"{source}: [provider] is missing; it names the provider and its country")
        return Provider("?", "US", ())
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{source}: provider.name must be a non-empty string")
    established = raw.get("established_in")
    if (why := country_problem(established, "provider.established_in")) is not None:
        problems.append(f"{source}: {why}")
    offers = raw.get("offers_services_in", [])
    if not isinstance(offers, list):
        problems.append(f"{source}: provider.offers_services_in must be a list of country codes")
        offers = []
    for i, code in enumerate(offers):
        if (why := country_problem(code, f"provider.offers_services_in[{i}]")) is not None:
            problems.append(f"{source}: {why}")
    entities: list[Entity] = []
    raw_entities = raw.get("entities", {})
    if not isinstance(raw_entities, dict):
        problems.append(f"{source}: provider.entities must be a table keyed by country code")
        raw_entities = {}
    for country, ent in raw_entities.items():
        if (why := country_problem(country, f"provider.entities.{country}")) is not None:
            problems.append(f"{source}: {why}")
        if not isinstance(ent, dict) or not isinstance(ent.get("name"), str):
            problems.append(f"{source}: provider.entities.{country} needs a name")
            continue
        roles = ent.get("roles", [])
        if not isinstance(roles, list):
            problems.append(f"{source}: provider.entities.{country}.roles must be a list")
            roles = []
        for role in roles:
            if role not in ENTITY_ROLES:
                problems.append(
                    f"{source}: provider.entities.{country}: unknown role {role!r} "
                    f"(expected one of: {', '.join(sorted(ENTITY_ROLES))})"
                )
        entities.append(Entity(str(country), ent["name"], tuple(str(r) for r in roles)))
    return Provider(str(name), str(established), tuple(str(o) for o in offers), tuple(entities))


def _parse_regions(  # noqa: PLR0917 (sources are collected beside the regions)
    raw: Any,
    problems: list[str],
    source: str,
    base_dir: Path | None,
    require_stores: bool,
    sources: dict[str, dict[str, dict[str, str]]],
) -> list[Region]:
    if not isinstance(raw, dict) or not raw:
        problems.append(
            f"{source}: no [regions.<id>] tables; a deployment needs at least one region"
        )
        return []
    regions: list[Region] = []
    seen: dict[str, str] = {}
    for region_id, body in raw.items():
        where = f"{source}: regions.{region_id}"
        if not isinstance(region_id, str) or not REGION_ID.match(region_id):
            problems.append(f"{where}: a region id must be lower-case letters, digits and '-'")
        lowered = str(region_id).lower()
        if lowered in seen:
            problems.append(f"{where}: duplicate region (already defined as {seen[lowered]!r})")
            continue
        seen[lowered] = str(region_id)
        if not isinstance(body, dict):
            problems.append(f"{where} must be a table with country and store")
            continue
        for key in sorted(set(body) - {"country", "store", "keyring", "sources"}):
            problems.append(
                f"{where}: unknown key {key!r} (expected country, store, keyring, sources)"
            )
        if "sources" in body:
            parsed = parse_sources(body["sources"], str(region_id), base_dir, problems, source)
            if parsed:
                sources[str(region_id)] = parsed
        if (
            why := country_problem(body.get("country"), f"regions.{region_id}.country")
        ) is not None:
            problems.append(f"{source}: {why}")
        store = body.get("store")
        if store is None:
            if require_stores:
                problems.append(
                    f'{where} has no store; add store = "sqlite:///regions/'
                    f'{region_id}.db" or a postgresql:// URL'
                )
        elif not isinstance(store, str) or not store.startswith(STORE_SCHEMES):
            problems.append(f"{where}.store {store!r} must start with sqlite:/// or postgresql://")
            store = None
        keyring = body.get("keyring")
        if keyring is None and base_dir is not None:
            keyring = f"file:keys/{region_id}.key"
        if keyring is not None and (not isinstance(keyring, str) or ":" not in keyring):
            problems.append(f"{where}.keyring {keyring!r} must be a URL such as file:keys/x.key")
            keyring = None
        elif isinstance(keyring, str) and keyring.startswith(PKCS11_SCHEME):
            try:
                keyring = parse_pkcs11_url(keyring, base_dir).url()
            except ValueError as exc:
                problems.append(f"{where}.keyring: {exc}")
                keyring = None
        regions.append(
            Region(
                str(region_id),
                str(body.get("country")),
                _resolve_url(store, base_dir) if store else None,
                _resolve_url(keyring, base_dir) if keyring else None,
            )
        )
    return regions


AGENT_TLS_KEYS = ("ca", "cert", "key", "agent-cert", "agent-key")


def _parse_agents(
    raw: Any, region_ids: set[str], problems: list[str], source: str, base_dir: Path | None
) -> dict[str, dict[str, str]]:
    """``[agents.<region>]``: a region whose agent runs on its own host (``comity agent``);
    regions not listed are read by the in-process agent.

    ``url`` is where the control plane reaches it; over ``https://`` both sides use mutual TLS
    with the files ``comity pki`` makes, or those named here (relative to the deployment
    directory): ``ca``, the control plane's ``cert`` and ``key``, and on the agent's host the
    agent's ``agent-cert`` and ``agent-key``.
    """
    if not isinstance(raw, dict):
        problems.append(f"{source}: [agents] must be a table of [agents.<region>] tables")
        return {}
    agents: dict[str, dict[str, str]] = {}
    allowed = {"url", *AGENT_TLS_KEYS}
    for region_id, body in raw.items():
        where = f"{source}: agents.{region_id}"
        if region_id not in region_ids:
            problems.append(f"{where}: {region_id!r} is not a region of this deployment")
            continue
        if not isinstance(body, dict) or "url" not in body or set(body) - allowed:
            problems.append(
                f'{where} must be a table with url = "https://host:port" and optionally '
                + ", ".join(AGENT_TLS_KEYS)
            )
            continue
        url = body["url"]
        parsed = urlsplit(url) if isinstance(url, str) else None
        if (
            parsed is None
            or parsed.scheme not in ("http", "https")
            or not parsed.hostname
            or parsed.query
            or parsed.fragment
        ):
            problems.append(f"{where}.url {url!r} must be an http:// or https:// URL with a host")
            continue
        try:
            parsed.port  # noqa: B018 - raises ValueError for a port out of range
        except ValueError:
            problems.append(f"{where}.url {url!r} has a port that is not a number in 1-65535")
            continue
        settings = {"url": url.rstrip("/")}
        for key in AGENT_TLS_KEYS:
            value = body.get(key)
            if value is None:
                continue
            if not isinstance(value, str) or not value:
                problems.append(f"{where}.{key} must be a file path")
                continue
            path = Path(value)
            settings[key] = str(base_dir / path if base_dir is not None else path)
        agents[region_id] = settings
    return agents


def _resolve_url(url: str, base_dir: Path | None) -> str:
    """Make ``sqlite:///relative.db`` and ``file:relative`` absolute against ``base_dir``."""
    if base_dir is None:
        return url
    for prefix in ("sqlite:///", "file:"):
        if url.startswith(prefix):
            rest = url[len(prefix) :]
            if rest and not rest.startswith("/"):
                return prefix + str((base_dir / rest).resolve())
    return url


def local_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///`` or ``file:`` URL, or None for a server URL."""
    for prefix in ("sqlite:///", "file:"):
        if url.startswith(prefix):
            return Path(url[len(prefix) :])
    return None
