"""At 80 columns ``comity assess`` and ``comity accounts list`` cut no cell (issue 15).

Rich shortens a cell that does not fit with "…"; these tables fold instead. The check is exact:
reading a column top to bottom (spaces dropped, since wrapping moves them) gives back exactly the
values ``--json`` reports, in order, so every pathway and address is there whole.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from comity.entrypoints.cli.main import app

NARROW = {"COLUMNS": "80", "LINES": "50"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("tables") / "demo"
    done = CliRunner().invoke(app, ["init", "--demo", "--dir", str(home)])
    assert done.exit_code == 0, done.output
    return home


def run(*argv: str, env: dict[str, str] | None = None) -> str:
    done = CliRunner().invoke(app, list(argv), env=env or NARROW)
    assert done.exit_code == 0, done.output
    return done.output


def column(output: str, index: int) -> str:
    """The table body's column ``index`` read top to bottom, with spaces removed."""
    cells = []
    for line in output.splitlines():
        if line.startswith("│"):
            cells.append(line.split("│")[index + 1].replace(" ", ""))
    return "".join(cells)


def table_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line[:1] in "┏┃┡│└"]


def test_accounts_list_fits_80_columns_and_cuts_nothing(demo: Path) -> None:
    accounts = json.loads(run("accounts", "list", "--json", "--dir", str(demo)))
    output = run("accounts", "list", "--dir", str(demo))
    assert "…" not in output
    assert all(len(line) <= 80 for line in table_lines(output))
    selectors = ["".join(f"{s['type']}:{s['value']}" for s in a["selectors"]) for a in accounts]
    assert column(output, 0) == "".join(a["id"] for a in accounts)
    assert column(output, 1) == "".join(s.replace(" ", "") for s in selectors)
    assert "msft-ireland" in column(output, 0)


def test_accounts_list_wide_is_one_line_per_account(demo: Path) -> None:
    accounts = json.loads(run("accounts", "list", "--json", "--dir", str(demo)))
    output = run("accounts", "list", "--wide", "--dir", str(demo))
    rows = [line for line in output.splitlines() if line.startswith("│")]
    assert len(rows) == len(accounts)
    assert "…" not in output


def test_assess_fits_80_columns_and_cuts_no_pathway(demo: Path) -> None:
    listed = json.loads(run("demand", "list", "--json", "--dir", str(demo)))
    demand_id = next(d["id"] for d in listed if d["reference"] == "13-MAG-2814")
    argv = ["assess", demand_id, "--as-of", "2016-07-14", "--dir", str(demo)]
    findings = json.loads(run(*argv, "--json"))["findings"]
    output = run(*argv)
    assert "…" not in output
    assert all(len(line) <= 80 for line in table_lines(output))
    # One target: named once above the table, so the columns are category, region, pathway...
    assert {f["target"]["value"] for f in findings} == {"target@msn.example"}
    assert "target target@msn.example" in output.splitlines()
    assert column(output, 2) == "".join(f["pathway"] for f in findings)
    assert column(output, 3) == "".join(f["reason"] for f in findings)
    # Pathways and reasons are on one line each, not folded mid-word.
    lines = output.splitlines()
    assert all(any(f["pathway"] in line for line in lines) for f in findings)
    assert all(any(f["reason"] in line for line in lines) for f in findings)
    assert any(f["pathway"].startswith("redirect_") for f in findings)


def test_demand_and_case_lists_fit_80_columns_and_cut_nothing(demo: Path) -> None:
    demands = json.loads(run("demand", "list", "--json", "--dir", str(demo)))
    output = run("demand", "list", "--dir", str(demo))
    assert "…" not in output
    assert all(len(line) <= 80 for line in table_lines(output))
    assert column(output, 0) == "".join(d["id"] for d in demands)
    assert column(output, 1) == "".join(d["reference"].replace(" ", "") for d in demands)

    cases = json.loads(run("case", "list", "--json", "--dir", str(demo)))
    assert cases
    output = run("case", "list", "--dir", str(demo))
    assert "…" not in output
    assert all(len(line) <= 80 for line in table_lines(output))
    assert column(output, 5) == "".join(c["id"] for c in cases)


def test_due_at_80_columns_keeps_case_ids_and_kinds_whole(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    home = tmp_path_factory.mktemp("due") / "demo"
    assert CliRunner().invoke(app, ["init", "--demo", "--dir", str(home)]).exit_code == 0
    at = ["--dir", str(home)]
    case_id = json.loads(run("case", "list", "--json", *at))[0]["id"]
    run("case", "review", case_id, "--as", "rita", *at)
    for key in json.loads(run("case", "show", case_id, "--json", *at))["statuses"]:
        run("case", "decide", case_id, key, "produce", "--as", "rita", *at)
    run("case", "recommend", case_id, "--as", "rita", *at)
    run("case", "approve", case_id, "--as", "alan", *at)  # notice is owed from now on

    report = json.loads(run("due", "--within", "700d", "--json", *at))
    items = report["overdue"] + report["due_soon"]
    assert items, report
    output = run("due", "--within", "700d", *at)
    assert all(len(line) <= 80 for line in table_lines(output))
    rows = [line.split("│") for line in output.splitlines() if line.startswith("│")]
    # A row begins where its due cell says OVERDUE or soon; its first line holds case and kind.
    first = [r for r in rows if r[1].strip().split(" ")[0] in ("OVERDUE", "soon")]
    cases = [r[2].strip() for r in first]
    kinds = [r[3].strip() for r in first]
    # Each kind and case id on one line, whole: no cell folded mid-word.
    assert kinds == [i["kind"] for i in items]
    assert cases == [i["case"] for i in items]
    assert "…" not in output
