"""The intake command line: bootstrap the registry and identities, submit, list, show, withdraw."""

from __future__ import annotations

import json
from pathlib import Path

from tests.intake_support import demand_doc
from typer.testing import CliRunner

from comity.bootstrap import initialise
from comity.entrypoints.cli.main import app


def run(home: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--dir", str(home), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_the_cli_bootstraps_and_handles_a_demand(tmp_path: Path) -> None:
    home = tmp_path / "d"
    initialise(home, demo=False)
    authority = {
        "id": "us-dea",
        "name": "Drug Enforcement Administration",
        "country": "US",
        "kind": "agency",
        "domains": ["dea.gov"],
        "contacts": [{"name": "Watch desk", "phone": "+12025551000", "source": "dea.gov"}],
    }
    (tmp_path / "dea.json").write_text(json.dumps(authority))
    assert run(home, "authorities", "add", str(tmp_path / "dea.json")) == "us-dea"
    assert run(home, "authorities", "verify", "us-dea") == "us-dea: verified"
    run(
        home,
        "users",
        "create-staff",
        "rev",
        "--name",
        "R",
        "--email",
        "r@p.example",
        "--role",
        "reviewer",
    )
    run(
        home,
        "users",
        "create-requester",
        "js",
        "--agency",
        "us-dea",
        "--name",
        "J",
        "--email",
        "js@dea.gov",
    )
    assert run(home, "tokens", "issue", "js").startswith("cmy_")
    doc = demand_doc("CLI-1", emergency={"threat": "imminent"})
    (tmp_path / "demand.json").write_text(json.dumps(doc))
    pdf = tmp_path / "w.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    demand_id = run(
        home,
        "demand",
        "submit",
        str(tmp_path / "demand.json"),
        "--file",
        str(pdf),
        "--agency",
        "us-dea",
    )
    assert demand_id.startswith("dem-")
    assert (
        run(home, "demand", "submit", str(tmp_path / "demand.json"), "--agency", "us-dea")
        == demand_id
    )
    shown = json.loads(run(home, "demand", "show", demand_id))
    assert "awaiting a call-back" in shown["disclosure_blocked_reason"]
    out = run(
        home, "demand", "verify-callback", demand_id, "--contact", "Watch desk", "--by", "rev"
    )
    assert out.startswith(f"{demand_id}: received;")
    listed = json.loads(run(home, "demand", "list", "--json"))
    assert [d["id"] for d in listed] == [demand_id]


def test_a_malformed_demand_file_fails_with_its_name_and_stores_nothing(tmp_path: Path) -> None:
    home = tmp_path / "d"
    initialise(home, demo=False)
    bad = tmp_path / "bad.json"
    bad.write_text('{"reference": "X",')
    result = CliRunner().invoke(app, ["--dir", str(home), "demand", "submit", str(bad)])
    assert result.exit_code != 0
    assert json.loads(run(home, "demand", "list", "--json")) == []
