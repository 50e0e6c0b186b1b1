"""``comity assess`` with accounts from the control plane, and ``comity rules diff``."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from comity.adapters.law_files import read_demand_file
from comity.bootstrap import Comity, open_deployment
from comity.domain.accounts import Account, Selector
from comity.domain.categories import Category
from comity.entrypoints.cli.main import app
from comity.law.pack import DEFAULT_PACK
from comity.services.accounts import create_account
from comity.services.assessment.law_assessor import assess_demand

DEMAND = {
    "reference": "13-MAG-2814",
    "received_at": "2016-07-14T16:00:00Z",
    "issuing_authority": {
        "country": "US",
        "kind": "court",
        "name": "S.D.N.Y.",
        "forum": "us.nysd",
    },
    "instrument": "us.warrant",
    "categories": ["subscriber", "content"],
    "targets": [{"type": "email", "value": "target@msn.example"}],
}
TOML_REGIONS = '\n[regions.eu-ie]\ncountry = "IE"\nstore = "sqlite:///regions/eu-ie.db"\n'


def _setup(deployment: Comity, clock, tmp_path: Path) -> Path:
    toml = deployment.home / "comity.toml"
    toml.write_text(toml.read_text() + TOML_REGIONS)
    account = Account(
        "msn-1",
        (Selector("email", "target@msn.example"),),
        "eu-ie",
        {Category.SUBSCRIBER: "us-west"},
    )
    create_account(deployment.uow, account, actor="test", clock=clock)
    path = tmp_path / "demand.json"
    path.write_text(json.dumps(DEMAND))
    return path


def test_assess_uses_control_plane_accounts_and_the_day_received(
    deployment: Comity, clock, tmp_path: Path
) -> None:
    demand_file = _setup(deployment, clock, tmp_path)
    runner = CliRunner()
    res = runner.invoke(app, ["--dir", str(deployment.home), "assess", str(demand_file), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["as_of"] == "2016-07-14"
    by_cat = {f["category"]: f for f in doc["findings"]}
    assert by_cat["content"]["pathway"] == "redirect_mlat"
    assert by_cat["content"]["region"] == "eu-ie"
    assert by_cat["subscriber"]["pathway"] == "disclose"

    later = runner.invoke(
        app,
        ["--dir", str(deployment.home), "assess", str(demand_file), "--as-of", "2018-03-23"],
    )
    assert later.exit_code == 0, later.output
    assert "disclose" in later.output
    assert "redirect_mlat" not in later.output


def test_assess_library_call_matches(deployment: Comity, clock, tmp_path: Path) -> None:
    demand_file = _setup(deployment, clock, tmp_path)
    comity = open_deployment(deployment.home)
    a = assess_demand(
        comity.law_engine, comity.deployment, comity.uow, read_demand_file(demand_file)
    )
    assert a.as_of == date(2016, 7, 14)
    assert a.rule_pack.digest == comity.law_engine.pack.digest


def test_bad_as_of_and_bad_demand_are_clear(deployment: Comity, tmp_path: Path) -> None:
    bad = tmp_path / "d.json"
    bad.write_text(json.dumps({**DEMAND, "instrument": "Warrant!"}))
    runner = CliRunner()
    res = runner.invoke(app, ["--dir", str(deployment.home), "assess", str(bad)])
    assert res.exception is not None
    assert f"{bad}: instrument: expected an instrument id" in str(res.exception.problems)  # type: ignore[attr-defined]
    res = runner.invoke(
        app, ["--dir", str(deployment.home), "assess", str(bad), "--as-of", "yesterday"]
    )
    assert "--as-of: expected a date" in str(res.exception)


def test_rules_diff_lists_the_findings_a_change_would_change(tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(DEFAULT_PACK, new)
    reach = new / "us" / "reach.cedar"
    # A proposed change: treat the Second Circuit's rule as applying from 2016-07-15 instead.
    reach.write_text(
        reach.read_text()
        .replace("context.as_of >= 20160714 &&", "context.as_of >= 20160715 &&")
        .replace('@in_force("2016-07-14")', '@in_force("2016-07-15")')
    )
    (new / "pack.yaml").write_text(
        (new / "pack.yaml").read_text().replace('version: "2026.11.0"', 'version: "2026.11.1"')
    )
    scenario = DEFAULT_PACK.parent / "scenarios" / "us-microsoft-ireland-ca2.yaml"
    runner = CliRunner()
    res = runner.invoke(
        app, ["rules", "diff", str(DEFAULT_PACK), str(new), "--demands", str(scenario), "--json"]
    )
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["new"]["version"] == "2026.11.1"
    assert report["old"]["digest"] != report["new"]["digest"]
    changed = [
        (c["as_of"], c["category"], c["old"]["pathway"], c["new"]["pathway"])
        for c in report["changes"]
    ]
    assert changed == [("2016-07-14", "content", "redirect_mlat", "disclose")]
