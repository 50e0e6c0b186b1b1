"""The shipped scenarios and the Microsoft Ireland replay, and the scenario file checks."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import cedarpy
import pytest
from typer.testing import CliRunner

from comity.adapters.law_files import read_replay, read_scenario
from comity.entrypoints.cli.main import app
from comity.errors import InvalidInput
from comity.law.engine import LawEngine
from comity.law.replay import run_replay
from comity.law.scenario import run_scenario

LAW = Path(__file__).resolve().parents[2] / "src" / "comity" / "law"
SHIPPED = sorted((LAW / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def engine() -> LawEngine:
    return LawEngine.load()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_scenario_holds(engine: LawEngine, path: Path) -> None:
    result = run_scenario(engine, read_scenario(path))
    failed = [c for c in result.checks if not c["ok"]]
    assert not failed, failed


def test_every_rule_fires_in_some_shipped_scenario_and_not_in_another(engine: LawEngine) -> None:
    """Each rule decides some case, and for an instrument it decides, some case it does not."""
    fired: dict[str, set[str]] = {}
    seen: list[tuple[str, frozenset[str]]] = []
    for path in SHIPPED:
        sc = read_scenario(path)
        accounts = {s: a for a in sc.accounts for s in a.selectors}
        for day in {e.as_of for e in sc.expectations}:
            for f in engine.assess(sc.demand, sc.deployment, accounts, day).findings:
                seen.append((sc.demand.instrument, frozenset(f.rules)))
                for rule in f.rules:
                    fired.setdefault(rule, set()).add(sc.demand.instrument)
    every = {r.id for r in engine.pack.rules.values()}
    assert every - set(fired) == set()
    never_quiet = {
        rule
        for rule, instruments in fired.items()
        if all(rule in rules for instrument, rules in seen if instrument in instruments)
    }
    assert never_quiet == set()


def test_the_replay_matches_the_courts_date_by_date(engine: LawEngine) -> None:
    report = run_replay(engine, read_replay(LAW / "replays" / "microsoft-ireland.yaml"))
    assert report["all_match"]
    by_date = {s["date"]: s for s in report["steps"]}
    assert by_date["2014-09-08"]["content"]["pathway"] == "disclose"
    assert by_date["2016-07-14"]["content"]["pathway"] == "redirect_mlat"
    assert by_date["2016-07-14"]["records"]["pathway"] == "disclose"
    assert by_date["2018-03-23"]["content"]["pathway"] == "disclose"
    content = by_date["2018-05-25"]["content"]["findings"][0]
    assert any("GDPR Art. 48" in c for c in content["conflicts"])
    assert any("comity" in c for c in content["challenges"])


def test_the_replay_outcomes_come_from_the_engine_not_the_script(
    engine: LawEngine, tmp_path: Path
) -> None:
    script = (LAW / "replays" / "microsoft-ireland.yaml").read_text()
    # Claim the courts let the Second Circuit reach Dublin in 2017: the replay must disagree.
    lying = script.replace(
        "courts: {content: redirect_mlat, records: disclose}\n  - date: 2017-10-16",
        "courts: {content: disclose, records: disclose}\n  - date: 2017-10-16",
    )
    assert lying != script
    (tmp_path / "r.yaml").write_text(lying)
    report = run_replay(engine, read_replay(tmp_path / "r.yaml"))
    assert not report["all_match"]
    assert [s["date"] for s in report["steps"] if not s["matches_courts"]] == ["2017-01-24"]


def test_cli_scenario_run_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["scenario", "run", str(SHIPPED[0]), "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["scenarios"][0]["ok"] is True

    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        (LAW / "scenarios" / "us-subpoena.yaml")
        .read_text()
        .replace("category: content, pathway: reject", "category: content, pathway: disclose")
    )
    failed = runner.invoke(app, ["scenario", "run", str(wrong), "--json"])
    assert failed.exit_code == 1
    assert json.loads(failed.output)["scenarios"][0]["ok"] is False


def test_invalid_scenarios_name_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = (LAW / "scenarios" / "us-subpoena.yaml").read_text()
    bad.write_text(text.replace("pathway: no_data", "pathway: vanish"))
    with pytest.raises(InvalidInput) as err:
        read_scenario(bad)
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "vanish" in t)
    assert f"{bad}, line {line}: unknown pathway 'vanish'" in err.value.problems
    bad.write_text("name: x\nexpect: [\n")
    with pytest.raises(InvalidInput, match=r"bad.yaml: not valid YAML at line 3"):
        read_scenario(bad)
    runner = CliRunner()
    res = runner.invoke(app, ["scenario", "run", str(bad)])
    assert isinstance(res.exception, InvalidInput)
    assert res.exception.exit_code == 2


def test_cli_replay_and_rules_check() -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["replay", "microsoft-ireland", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["all_match"] is True
    assert report["steps"][0]["date"] == "2013-12-04"
    text = runner.invoke(app, ["replay", "microsoft-ireland"])
    assert text.exit_code == 0
    assert "route: us-ie.mlat -> IE: Minister for Justice" in text.output
    missing = runner.invoke(app, ["replay", "google-2017"])
    assert missing.exception is not None
    assert "known: microsoft-ireland" in str(missing.exception)
    check = runner.invoke(app, ["rules", "check"])
    assert check.exit_code == 0
    assert "94 US districts" in check.output


def test_scenarios_test_the_day_before_and_the_day_of_every_rule_date(engine: LawEngine) -> None:
    days = {e.as_of for path in SHIPPED for e in read_scenario(path).expectations}
    missing = []
    for path in sorted((LAW / "packs").rglob("*.cedar")):
        policies = json.loads(cedarpy.policies_to_json_str(path.read_text()))["staticPolicies"]
        for policy in policies.values():
            ann = policy["annotations"]
            for key in ("in_force", "in_force_until"):
                if ann.get(key, "always") == "always":
                    continue
                day = date.fromisoformat(ann[key])
                missing += [
                    f"{ann['id']} {key} {d}"
                    for d in (day - timedelta(days=1), day)
                    if d not in days
                ]
    assert missing == []
