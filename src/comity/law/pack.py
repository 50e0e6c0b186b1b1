"""Loading a rule pack: Cedar policies, their schema and YAML facts, validated once.

A pack is a directory: ``pack.yaml`` (version, precedence), ``schema.cedarschema``, and per
jurisdiction ``*.cedar`` policies and ``*.yaml`` facts. Loading parses and validates everything
and keeps the parsed handles (policy set, schema, base entities) for every later decision. A pack
that does not validate is refused outright: the engine never runs on a pack it could not check.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import cedarpy
import yaml

from comity.domain.assessment import Pathway
from comity.errors import ConfigurationError, collect
from comity.law.facts import Facts, parse_facts

DEFAULT_PACK = Path(__file__).parent / "packs"
SCHEMA_FILE = "schema.cedarschema"
EFFECTS = ("pathway", "conflict", "challenge")


@dataclass(frozen=True)
class Rule:
    """One policy's meaning, read from its annotations."""

    cedar_id: str  # the parser's id (policy0, policy1, ...)
    id: str
    effect: str
    pathway: Pathway | None
    reason: str | None
    explanation: str | None
    summary: str | None
    citation: str
    deadline: str | None
    alternatives: tuple[str, ...]
    source: str
    order: int


@dataclass(frozen=True)
class RulePack:
    path: Path
    version: str
    digest: str
    precedence: tuple[Pathway, ...]
    policies: cedarpy.PolicySet
    schema: cedarpy.Schema
    entities: cedarpy.Entities
    rules: dict[str, Rule]
    facts: Facts
    #: Every date the policies compare ``context.as_of`` with (and the day after), or None when
    #: some policy uses the date otherwise. See ``date_thresholds``.
    date_thresholds: tuple[int, ...] | None = None


def _files(pack_dir: Path) -> list[Path]:
    return sorted(
        p
        for p in pack_dir.rglob("*")
        if p.is_file() and p.suffix in (".cedar", ".yaml", ".cedarschema")
    )


def pack_digest(pack_dir: Path) -> str:
    """sha256 over every pack file's relative path and bytes, in path order."""
    h = hashlib.sha256()
    for path in _files(pack_dir):
        h.update(path.relative_to(pack_dir).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return "sha256:" + h.hexdigest()


def _read_yaml(path: Path, problems: list[str]) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problems.append(f"{path}: not valid YAML{where}")
        return None


def load_pack(pack_dir: Path | None = None) -> RulePack:
    """Parse and validate the pack in ``pack_dir`` (default: the pack shipped with Comity)."""
    root = (pack_dir or DEFAULT_PACK).resolve()
    if not (root / "pack.yaml").is_file():
        raise ConfigurationError(f"{root}: not a rule pack (no pack.yaml)")
    problems: list[str] = []
    meta = _read_yaml(root / "pack.yaml", problems) or {}
    merged: dict[str, Any] = {}
    cedar_parts: list[tuple[Path, str]] = []
    for path in _files(root):
        if path.suffix == ".cedar":
            cedar_parts.append((path, path.read_text(encoding="utf-8")))
        elif path.suffix == ".yaml" and path.name != "pack.yaml":
            doc = _read_yaml(path, problems)
            if not isinstance(doc, dict):
                problems.append(f"{path}: expected a mapping of fact tables")
                continue
            for key, value in doc.items():
                if key in merged:
                    problems.append(f"{path}: fact table {key!r} is defined twice")
                merged[key] = value
    collect(problems, ConfigurationError)

    schema_text = (root / SCHEMA_FILE).read_text(encoding="utf-8")
    try:
        schema = cedarpy.Schema.from_str(schema_text)
    except ValueError as exc:
        raise ConfigurationError(f"{root / SCHEMA_FILE}: invalid Cedar schema: {exc}") from None

    # Each file is validated on its own so that an error names the file at fault.
    for path, text in cedar_parts:
        try:
            cedarpy.PolicySet.from_str(text)
        except ValueError as exc:
            problems.append(f"{path}: Cedar syntax error: {exc}")
            continue
        result = cedarpy.validate_policies(text, schema)
        for err in result.errors:
            problems.append(f"{path}: policy fails schema validation: {err.error}")
    collect(problems, ConfigurationError)

    text = "\n".join(t for _, t in cedar_parts)
    policies = cedarpy.PolicySet.from_str(text)
    facts = parse_facts(merged, problems)
    rules = _read_rules(cedar_parts, facts, problems)
    precedence: list[Pathway] = []
    for name in meta.get("precedence") or []:
        try:
            precedence.append(Pathway(name))
        except ValueError:
            problems.append(f"{root / 'pack.yaml'}: precedence names unknown pathway {name!r}")
    missing = set(Pathway) - {Pathway.NO_DATA} - set(precedence)
    if missing:
        problems.append(
            f"{root / 'pack.yaml'}: precedence must list every pathway; missing "
            + ", ".join(sorted(missing))
        )
    collect(problems, ConfigurationError)

    try:
        entities = cedarpy.Entities.from_json_str(json.dumps(_base_entities(facts)), schema)
    except ValueError as exc:
        raise ConfigurationError(f"{root}: facts do not fit the schema: {exc}") from None
    thresholds = date_thresholds(
        [json.loads(cedarpy.policies_to_json_str(t))["staticPolicies"] for _, t in cedar_parts]
    )
    return RulePack(
        root,
        str(meta.get("version", "0")),
        pack_digest(root),
        tuple(precedence),
        policies,
        schema,
        entities,
        rules,
        facts,
        thresholds,
    )


_AS_OF = {".": {"left": {"Var": "context"}, "attr": "as_of"}}
_COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")


def date_thresholds(policy_sets: list[dict[str, Any]]) -> tuple[int, ...] | None:
    """The dates at which some policy's view of ``context.as_of`` can change.

    If every use of ``context.as_of`` is a comparison with a literal L, then replacing a date by
    the greatest of {L, L+1 for every L} not after it (or by one less than the least) leaves every
    comparison's result unchanged (including ``==``), so decisions for two dates with the same
    representative are identical and may be shared. Any other use (arithmetic, a comparison with
    another attribute) returns None and the engine keys decisions by the exact date.
    """
    literals: set[int] = set()
    total = safe = 0

    def walk(node: object) -> None:
        nonlocal total, safe
        if node == _AS_OF:
            total += 1
            return
        if isinstance(node, dict):
            for op in _COMPARISONS:
                body = node.get(op)
                if isinstance(body, dict) and set(body) == {"left", "right"}:
                    sides = (body["left"], body["right"])
                    for mine, other in (sides, sides[::-1]):
                        value = other.get("Value") if isinstance(other, dict) else None
                        if mine == _AS_OF and type(value) is int:
                            literals.add(value)
                            safe += 1
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for policies in policy_sets:
        walk(policies)
    if total != safe:
        return None
    return tuple(sorted(literals | {v + 1 for v in literals}))


def _read_rules(
    parts: list[tuple[Path, str]], facts: Facts, problems: list[str]
) -> dict[str, Rule]:
    """Read each policy's annotations, checking that every rule says what it means and cites."""
    rules: dict[str, Rule] = {}
    seen: set[str] = set()
    offset = 0
    for path, text in parts:
        est = json.loads(cedarpy.policies_to_json_str(text))["staticPolicies"]
        for local_id in sorted(est, key=lambda k: int(k.removeprefix("policy"))):
            n = int(local_id.removeprefix("policy")) + offset
            ann: dict[str, str] = est[local_id].get("annotations") or {}
            rid = ann.get("id")
            where = f"{path.name}: policy {rid or n}"
            if not rid:
                problems.append(f"{where}: every policy needs an @id annotation")
                continue
            if rid in seen:
                problems.append(f"{where}: @id {rid!r} is used twice")
            seen.add(rid)
            effect = ann.get("effect")
            if effect not in EFFECTS:
                problems.append(f"{where}: @effect must be one of {', '.join(EFFECTS)}")
            if not ann.get("citation"):
                problems.append(f"{where}: every rule needs a @citation")
            problems += [f"{where}: {p}" for p in _dating_problems(ann, est[local_id])]
            pathway: Pathway | None = None
            if effect == "pathway":
                try:
                    pathway = Pathway(ann.get("pathway", ""))
                except ValueError:
                    problems.append(f"{where}: unknown @pathway {ann.get('pathway')!r}")
                for key in ("reason", "explanation"):
                    if not ann.get(key):
                        problems.append(f"{where}: a pathway rule needs @{key}")
            elif effect in ("conflict", "challenge") and not ann.get("summary"):
                problems.append(f"{where}: a {effect} rule needs a @summary")
            deadline = ann.get("deadline")
            if deadline and deadline not in facts.deadlines:
                problems.append(f"{where}: @deadline {deadline!r} is not in the deadlines facts")
            alts = tuple(a.strip() for a in ann.get("alternatives", "").split(";") if a.strip())
            rules[f"policy{n}"] = Rule(
                f"policy{n}",
                rid,
                str(effect),
                pathway,
                ann.get("reason"),
                ann.get("explanation"),
                ann.get("summary"),
                ann.get("citation", ""),
                deadline,
                alts,
                path.name,
                n,
            )
        offset += len(est)
    return rules


def _dating_problems(ann: dict[str, str], policy: dict[str, Any]) -> list[str]:
    """A rule's @in_force (and @in_force_until) dates must be the dates its condition tests.

    ``@in_force("always")`` marks a definitional rule with no date of its own.
    """
    found = date_thresholds([{"p": policy}]) or ()
    out = []
    for key in ("in_force", "in_force_until"):
        value = ann.get(key)
        if value is None:
            if key == "in_force":
                out.append('every rule needs @in_force("YYYY-MM-DD") or @in_force("always")')
            continue
        if value == "always" and key == "in_force":
            continue
        try:
            number = int(date.fromisoformat(value).strftime("%Y%m%d"))
        except ValueError:
            out.append(f"@{key} must be a date YYYY-MM-DD, got {value!r}")
            continue
        if number not in found:
            out.append(
                f"@{key}({value!r}) but the condition never compares context.as_of with {number}"
            )
    return out


def _uid(type_: str, id_: str) -> dict[str, str]:
    return {"type": type_, "id": id_}


def _base_entities(facts: Facts) -> list[dict[str, Any]]:
    """Static entities from the facts: countries, the EU bloc, circuits and districts."""
    out: list[dict[str, Any]] = [{"uid": _uid("Bloc", "EU"), "attrs": {}, "parents": []}]
    out += [{"uid": _uid("Country", c), "attrs": {}, "parents": []} for c in facts.countries]
    for circuit in sorted(set(facts.districts.values())):
        out.append({"uid": _uid("Circuit", circuit), "attrs": {}, "parents": []})
    for pacer, circuit in facts.districts.items():
        out.append(
            {"uid": _uid("District", pacer), "attrs": {}, "parents": [_uid("Circuit", circuit)]}
        )
    return out
