"""A requester submits the Microsoft Ireland warrant over HTTP; staff assess it with the real law
engine, as ``comity serve`` wires it, and the findings are what the courts decided on each date."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from tests.intake_support import World, body, demand_doc, microsoft_world, serving, sign
from typer.testing import CliRunner

from comity.entrypoints.api.app import create_app
from comity.entrypoints.cli.main import app as cli


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return microsoft_world(tmp_path_factory.mktemp("msft"))


@pytest.fixture(scope="module")
def api(world: World) -> Iterator[httpx.Client]:
    app = create_app(world.comity, assessor=world.comity.assessor)
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def pathways(assessment: dict[str, object]) -> dict[tuple[str, str], str]:
    findings = assessment["findings"]
    assert isinstance(findings, list)
    return {(f["category"], f["region"]): f["pathway"] for f in findings}


def test_the_warrant_is_assessed_by_the_law_in_force_on_each_date(
    api: httpx.Client, world: World
) -> None:
    raw = body(demand_doc("13-MAG-2814"))
    submitted = api.post(
        "/demands",
        content=raw,
        headers={
            **world.auth("jsmith"),
            "Content-Type": "application/json",
            "Comity-Signature": sign(world.dea_key, "dea-2026", raw),
        },
    )
    assert submitted.status_code == 201, submitted.text
    demand_id = submitted.json()["id"]

    outcomes = {}
    for as_of in ("2014-04-25", "2016-07-14", "2018-03-23"):
        r = api.post(
            f"/demands/{demand_id}/assessments", json={"as_of": as_of}, headers=world.auth("rev")
        )
        assert r.status_code == 201, r.text
        stored = r.json()
        assert stored["rule_pack_digest"] == stored["assessment"]["rule_pack"]["digest"]
        assert stored["assessment"]["as_of"] == as_of
        outcomes[as_of] = pathways(stored["assessment"])

    # Francis, M.J. (2014): produce what you control, wherever it is stored.
    assert outcomes["2014-04-25"] == {
        ("subscriber", "us-west"): "disclose",
        ("content", "eu-ie"): "disclose",
    }
    # Second Circuit (2016): the warrant does not reach content stored only in Dublin.
    assert outcomes["2016-07-14"] == {
        ("subscriber", "us-west"): "disclose",
        ("content", "eu-ie"): "redirect_mlat",
    }
    # CLOUD Act, 18 U.S.C. 2713 (2018): reachable again.
    assert outcomes["2018-03-23"][("content", "eu-ie")] == "disclose"

    # The operator can assess the same stored demand by id from the command line.
    result = CliRunner().invoke(
        cli,
        ["--dir", str(world.comity.home), "assess", demand_id, "--as-of", "2016-07-14", "--json"],
    )
    assert result.exit_code == 0, result.output
    assert pathways(json.loads(result.output)) == outcomes["2016-07-14"]
    page = api.get(f"/demands/{demand_id}/assessments", headers=world.auth("aud")).json()
    assert page["next"] is None
    listed = page["items"]
    # Four asked for here, and the one the case opened with on receipt (docs/workflow.md).
    assert len(listed) == 5
