"""The transparency report counts what really happened to demands submitted over the API."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC

import httpx
import pytest
from tests.intake_support import World, body, demand_doc, microsoft_world, serving
from typer.testing import CliRunner

from comity.domain.case.model import PRODUCIBLE
from comity.domain.workflow import Actor, DecisionKind, WorkflowRole
from comity.entrypoints.api.app import create_app
from comity.entrypoints.cli.main import app as cli
from comity.services.cases.steps import record_step

REVIEWER = Actor(id="rev", roles=frozenset({WorkflowRole.REVIEWER}))
APPROVER = Actor(id="appr", roles=frozenset({WorkflowRole.APPROVER}))
ADMIN = Actor(id="admin", roles=frozenset({WorkflowRole.ADMINISTRATOR}))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return microsoft_world(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def api(world: World) -> Iterator[httpx.Client]:
    app = create_app(world.comity, assessor=world.comity.assessor)
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def _deliver(world: World, demand_id: str) -> None:
    """Review, approve (four eyes), produce and deliver the demand's case, as the staff would."""
    comity, now = world.comity, world.comity.clock.now
    with comity.intake_uow() as uow:
        case = uow.cases.for_demand(demand_id)
        assert case is not None
        case = record_step(uow, case.start_review(REVIEWER, now()), now())
        for finding in case.findings:
            if finding.pathway in PRODUCIBLE:
                step = case.decide(finding.key, DecisionKind.PRODUCE, REVIEWER, now())
            else:
                step = case.decide(
                    finding.key, DecisionKind.WITHHOLD, REVIEWER, now(), justification="not due"
                )
            case = record_step(uow, step, now())
        case = record_step(uow, case.recommend(REVIEWER, now()), now())
        case = record_step(uow, case.approve(APPROVER, now()), now())
        case = record_step(uow, case.start_production(ADMIN, now()), now())
        record_step(uow, case.deliver(ADMIN, now()), now())
        uow.commit()


def test_the_report_counts_disclosures_withdrawals_and_content_sought_abroad(
    world: World, api: httpx.Client
) -> None:
    ids = []
    for reference in ("W-1", "W-2"):
        sent = api.post(
            "/demands",
            content=body(demand_doc(reference, received_at="2026-09-01T12:00:00Z")),
            headers={**world.auth("jsmith"), "Content-Type": "application/json"},
        )
        assert sent.status_code == 201, sent.text
        ids.append(sent.json()["id"])
    _deliver(world, ids[0])
    withdrawn = api.post(f"/demands/{ids[1]}/withdraw", json={}, headers=world.auth("jsmith"))
    assert withdrawn.status_code == 200, withdrawn.text

    today = world.comity.clock.now().astimezone(UTC).date().isoformat()
    query = {"start": today, "end": today}
    got = api.get("/reports/transparency", params=query, headers=world.auth("aud"))
    assert got.status_code == 200, got.text
    total = got.json()["total"]
    assert total["requests"] == 2
    assert total["outcomes"]["content_disclosed"] + total["outcomes"]["non_content_only"] == 1
    assert total["outcomes"]["withdrawn"] == 1
    assert total["us_warrants_for_content_abroad"] == 2  # the mail lives in Dublin
    assert [r["country"] for r in got.json()["rows"]] == ["US"]

    as_csv = api.get(
        "/reports/transparency", params={**query, "format": "csv"}, headers=world.auth("admin")
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert list(csv.DictReader(io.StringIO(as_csv.text)))[-1]["requests"] == "2"

    # Requesters see their own demands, not the provider's figures.
    assert (
        api.get("/reports/transparency", params=query, headers=world.auth("jsmith")).status_code
        == 403
    )
    inverted = api.get(
        "/reports/transparency",
        params={"start": today, "end": "2000-01-01"},
        headers=world.auth("aud"),
    )
    assert inverted.status_code == 400
    assert "is after the end 2000-01-01" in inverted.json()["error"]["message"]

    runner = CliRunner()
    home = str(world.comity.home)
    done = runner.invoke(
        cli,
        [
            "--dir",
            home,
            "report",
            "transparency",
            "--from",
            today,
            "--to",
            today,
            "--format",
            "json",
        ],
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["total"] == total
