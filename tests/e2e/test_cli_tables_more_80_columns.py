"""At 80 columns ``users list``, ``authorities list``, ``regions list``, ``due`` and
``productions list`` cut no cell either (issue 15): each column read top to bottom gives back
exactly what ``--json`` reports, in order, and ``--wide`` gives one line per row."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from tests.e2e.test_cli_tables_80_columns import column, run, table_lines
from tests.portal_support import deliver_demo_warrant
from tests.web_support import WebDeployment, web_deployment


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> WebDeployment:
    """The demo with a second agency and its requester, and the warrant produced."""
    built = web_deployment(tmp_path_factory.mktemp("tables-more"))
    deliver_demo_warrant(built)
    return built


def narrow(
    web: WebDeployment, *argv: str
) -> tuple[str, list[dict[str, object]] | dict[str, object]]:
    """The table at 80 columns and the same rows as ``--json``."""
    where = ["--dir", str(web.comity.home)]
    output = run(*argv, *where)
    assert "…" not in output
    assert all(len(line) <= 80 for line in table_lines(output)), output
    return output, json.loads(run(*argv, "--json", *where))


def squeezed(value: object) -> str:
    return str(value).replace(" ", "")


def test_users_list(web: WebDeployment) -> None:
    output, users = narrow(web, "users", "list")
    assert isinstance(users, list)
    assert {"fbi-agent", "dea-agent", "rita"} <= {u["id"] for u in users}
    assert column(output, 0) == "".join(str(u["id"]) for u in users)
    assert column(output, 2) == "".join(squeezed(u["name"]) for u in users)
    assert column(output, 3) == "".join(str(u["email"]) for u in users)
    assert column(output, 5) == "".join(str(u["status"]) for u in users)
    wide = run("users", "list", "--wide", "--dir", str(web.comity.home))
    assert len([line for line in wide.splitlines() if line.startswith("│")]) == len(users)


def test_authorities_list(web: WebDeployment) -> None:
    output, authorities = narrow(web, "authorities", "list")
    assert isinstance(authorities, list)
    assert column(output, 0) == "".join(str(a["id"]) for a in authorities)
    assert column(output, 1) == "".join(squeezed(a["name"]) for a in authorities)
    assert "FederalBureauofInvestigation" in column(output, 1)


def test_regions_list(web: WebDeployment) -> None:
    output, regions = narrow(web, "regions", "list")
    assert isinstance(regions, list)
    assert len(regions) >= 2
    assert column(output, 0) == "".join(str(r["id"]) for r in regions)
    assert column(output, 2) == "".join(str(r["store"]) for r in regions)
    assert column(output, 3) == "".join(squeezed(r["key_custody"]) for r in regions)
    # The key version only when asked: listing reads no key (--check-keys opens the keyrings).
    output, regions = narrow(web, "regions", "list", "--check-keys")
    assert isinstance(regions, list)
    assert column(output, 0) == "".join(str(r["id"]) for r in regions)
    assert column(output, 3) == "".join(str(r["key_version"]) for r in regions)


def test_productions_list(web: WebDeployment) -> None:
    output, productions = narrow(web, "productions", "list", web.warrant_id)
    assert isinstance(productions, list)
    [production] = productions
    assert column(output, 0) == production["id"]
    assert column(output, 1) == "published"
    assert column(output, 2) == str(production["record_count"])
    produced = datetime.fromisoformat(str(production["produced_at"])).astimezone(UTC)
    assert column(output, 4) == produced.strftime("%Y-%m-%d%H:%M")
    assert f"{production['id']} sha256: {production['sha256']}" in output.splitlines()
    assert f"{production['id']} package: {production['path']}" in output.splitlines()
