"""Reading the law engine's files: demand documents, scenario files and replay scripts.

Every problem names the file and, for YAML, the line of the offending entry, so a lawyer editing
a scenario can find it. Parsing of the pieces is delegated to the domain parsers (accounts,
demands) and to the deployment-file parser, so a scenario means exactly what a deployment does.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from comity.adapters.config.deployment_file import parse_deployment
from comity.domain.accounts import Account, parse_account
from comity.domain.assessment import Pathway
from comity.domain.categories import Category
from comity.domain.demand import Demand
from comity.domain.demand_schema import parse_demand
from comity.domain.deployment import Deployment
from comity.errors import ComityError, InvalidInput, collect
from comity.law.countries import known_countries
from comity.law.replay import Replay, ReplayEvent
from comity.law.scenario import COMPARABLE, Expectation, Scenario


class _Located:
    """A YAML document with the line of every node, looked up by path (keys and indexes)."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        try:
            self.node = yaml.compose(text, Loader=yaml.SafeLoader)
            self.data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or "syntax error"
            raise InvalidInput(f"{path}: not valid YAML{where}: {problem}") from None

    def where(self, *keys: str | int) -> str:
        node = self.node
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                nxt = next((v for k, v in node.value if k.value == key), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
                nxt = node.value[key] if key < len(node.value) else None
            else:
                nxt = None
            if nxt is None:
                break
            node = nxt
        line = node.start_mark.line + 1 if node is not None else 1
        return f"{self.path}, line {line}"


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except (UnicodeDecodeError, IsADirectoryError):
        raise InvalidInput(f"{path}: not a UTF-8 text file") from None


def read_demand_file(path: Path) -> Demand:
    """Parse a demand document (JSON, contract section 4) from ``path``."""
    try:
        doc = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    demand, problems = parse_demand(doc, known_countries=known_countries())
    collect([f"{path}: {p}" for p in problems])
    assert demand is not None
    return demand


def _accounts(doc: _Located, deployment: Deployment, problems: list[str]) -> list[Account]:
    raw = doc.data.get("accounts") or []
    if not isinstance(raw, list):
        problems.append(f"{doc.where('accounts')}: accounts must be a list")
        return []
    out = []
    for i, item in enumerate(raw):
        account, errs = parse_account(
            item, region_ids=frozenset(deployment.region_ids), known_countries=known_countries()
        )
        problems += [f"{doc.where('accounts', i)}: {e}" for e in errs]
        if account:
            out.append(account)
    return out


def _as_json(value: Any) -> Any:
    """YAML reads unquoted dates and timestamps as objects; demand documents carry them as text."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _day(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _expectations(doc: _Located, problems: list[str]) -> list[Expectation]:
    raw = doc.data.get("expect")
    if not isinstance(raw, list) or not raw:
        problems.append(f"{doc.where('expect')}: expect must be a non-empty list of dates")
        return []
    out = []
    for i, block in enumerate(raw):
        at = doc.where("expect", i)
        if not isinstance(block, dict):
            problems.append(f"{at}: each expect entry needs as_of and findings")
            continue
        as_of = _day(block.get("as_of"))
        if as_of is None:
            problems.append(f"{at}: as_of must be a date YYYY-MM-DD, got {block.get('as_of')!r}")
            continue
        findings = block.get("findings")
        if not isinstance(findings, list) or not findings:
            problems.append(f"{at}: findings must be a non-empty list")
            continue
        for j, f in enumerate(findings):
            fat = doc.where("expect", i, "findings", j)
            if not isinstance(f, dict):
                problems.append(f"{fat}: a finding must be a mapping")
                continue
            target = f.get("target")
            if isinstance(target, dict):
                target = target.get("value")
            if not isinstance(target, str):
                problems.append(f"{fat}: target must be the selector's value")
                continue
            try:
                category = Category.parse(f.get("category")).value
            except ValueError as exc:
                problems.append(f"{fat}: {exc}")
                continue
            expected = {k: v for k, v in f.items() if k not in ("target", "category")}
            for key in sorted(set(expected) - set(COMPARABLE)):
                problems.append(f"{fat}: {key!r} is not a finding field")
            pathway = expected.get("pathway")
            if pathway is not None and pathway not in {p.value for p in Pathway}:
                problems.append(f"{fat}: unknown pathway {pathway!r}")
            out.append(Expectation(as_of, target.lower(), category, expected))
    return out


def _read_case(
    path: Path, body_key: str
) -> tuple[_Located, list[str], str, Deployment, list[Account], Demand | None]:
    """The parts a scenario and a replay script share: name, deployment, accounts, demand."""
    doc = _Located(path, read_text(path))
    if not isinstance(doc.data, dict):
        raise InvalidInput(f"{path}, line 1: expected a mapping")
    problems: list[str] = []
    for key in sorted(set(doc.data) - {"name", "deployment", "accounts", "demand", body_key}):
        problems.append(f"{doc.where(key)}: unknown key {key!r}")
    name = doc.data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{doc.where('name')}: name must be a non-empty string")
    try:
        deployment = parse_deployment(
            doc.data.get("deployment"),
            base_dir=None,
            require_stores=False,
            source=doc.where("deployment"),
        )
    except ComityError as exc:
        raise InvalidInput(exc.message, problems=problems + exc.problems) from None
    accounts = _accounts(doc, deployment, problems)
    demand, errs = parse_demand(_as_json(doc.data.get("demand")), known_countries=known_countries())
    problems += [f"{doc.where('demand')}: demand: {e}" for e in errs]
    return doc, problems, str(name), deployment, accounts, demand


def read_scenario(path: Path) -> Scenario:
    """Parse one scenario file, or raise InvalidInput naming the file and line of each problem."""
    doc, problems, name, deployment, accounts, demand = _read_case(path, "expect")
    expectations = _expectations(doc, problems)
    collect(problems)
    assert demand is not None
    return Scenario(name, str(path), deployment, tuple(accounts), demand, tuple(expectations))


def read_replay(path: Path) -> Replay:
    """Parse a replay script: a scenario's case plus dated events with the courts' outcomes."""
    doc, problems, name, deployment, accounts, demand = _read_case(path, "events")
    events: list[ReplayEvent] = []
    raw = doc.data.get("events")
    if not isinstance(raw, list) or not raw:
        problems.append(f"{doc.where('events')}: events must be a non-empty list")
        raw = []
    for i, ev in enumerate(raw):
        at = doc.where("events", i)
        day = _day(ev.get("date")) if isinstance(ev, dict) else None
        if not isinstance(ev, dict) or day is None or not isinstance(ev.get("event"), str):
            problems.append(f"{at}: each event needs a date (YYYY-MM-DD) and an event text")
            continue
        court = ev.get("courts") or {}
        if not isinstance(court, dict) or not all(
            isinstance(v, str) and v in {p.value for p in Pathway} for v in court.values()
        ):
            problems.append(f"{at}: courts must map content/records to pathways")
            continue
        events.append(ReplayEvent(day, ev["event"], str(ev.get("citation") or ""), dict(court)))
    collect(problems)
    assert demand is not None
    return Replay(name, deployment, tuple(accounts), demand, tuple(events))


def read_yaml(path: Path) -> Any:
    return _Located(path, read_text(path)).data
