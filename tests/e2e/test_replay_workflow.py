"""``comity replay microsoft-ireland --workflow``: a real, stored case from the December 2013
warrant to the April 2018 dismissal, ending as the courts left it."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select
from tests.case_support import T0, build
from tests.conftest import FixedClock
from typer.testing import CliRunner

from comity.adapters.controlplane.tables import AuditEntryRow
from comity.domain.case import replays
from comity.domain.case.replay import SCRIPTS, load_script_text
from comity.entrypoints.cli.main import app
from comity.services.cases.replay import replay_persisted

SCRIPT = load_script_text(
    resources.files(replays).joinpath(SCRIPTS["microsoft-ireland"]).read_text()
)


def test_the_workflow_replay_ends_closed_as_the_courts_decided() -> None:
    result = CliRunner().invoke(app, ["replay", "microsoft-ireland", "--workflow", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert (doc["state"], doc["matches_courts"], doc["problems"]) == ("closed", True, [])
    assert "vacated as moot" in doc["outcome"]
    assert doc["replaced_by"] == "2018-03-30 SCA warrant (S.D.N.Y.)"
    frames = doc["frames"]
    assert len(frames) == len(SCRIPT.steps)
    assert frames[0]["at"].startswith("2013-12-04")
    assert frames[-1]["at"].startswith("2018-04-17")
    by_day = {f["at"][:10]: f for f in frames}
    content = "target@example.com|content|eu-ie"
    assert by_day["2014-04-25"]["findings"][content] == "ordered"
    assert by_day["2016-07-14"]["findings"][content] == "quashed"
    assert by_day["2018-04-17"]["findings"][content] == "superseded"
    assert by_day["2014-09-08"]["state"] == "objected"


def test_the_replay_is_stored_in_a_given_deployment_with_holds_in_the_region(
    tmp_path: Path,
) -> None:
    comity = build(tmp_path, FixedClock(T0))
    result = CliRunner().invoke(
        app, ["--dir", str(tmp_path), "replay", "microsoft-ireland", "--workflow"]
    )
    assert result.exit_code == 0, result.output
    assert "the stored case ends as the courts decided" in result.output
    assert "2014-09-08  civil contempt on joint stipulation; no sanctions" in result.output
    with comity.intake_uow() as uow:
        stored = {c.reference: c for c in uow.cases.list()}
        court = uow.session.scalar(
            select(func.count())
            .select_from(AuditEntryRow)
            .where(AuditEntryRow.action.like("case:court:%"))
        )
    assert stored["13-MAG-2814"].state.value == "closed"
    assert stored["2018-03-30 SCA warrant (S.D.N.Y.)"].replaces == "13-MAG-2814"
    assert court == sum(1 for s in SCRIPT.steps if s.do == "court")
    markers = {m.case_id.split("-")[2]: m for m in comity.region_store("eu-ie").store.holds()}
    assert markers["2013"].released_at is not None  # released when the old case closed
    assert markers["2018"].released_at is None  # the new warrant's hold stays


def test_an_outcome_other_than_the_courts_is_reported(tmp_path: Path) -> None:
    comity = build(tmp_path, FixedClock(T0))
    wrong = SCRIPT.model_copy(
        update={"expect": SCRIPT.expect.model_copy(update={"outcome_contains": "affirmed"})}
    )
    result = replay_persisted(
        comity.intake_uow,
        comity.region_store,
        frozenset(comity.deployment.region_ids),
        wrong,
    )
    assert result.problems == [
        f"outcome: expected it to contain 'affirmed', got {result.case.outcome!r}"
    ]
