"""The Microsoft Ireland case, replayed as a case: from the 2013 warrant to the 2018 dismissal."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources

import pytest

from comity.domain.case import replays
from comity.domain.case.replay import (
    SCRIPTS,
    Frame,
    ReplayScript,
    check_outcome,
    load_script_text,
    parse_script,
    run,
)
from comity.domain.categories import Category
from comity.domain.workflow import CaseState, FindingRef, Pathway
from comity.errors import InvalidInput

CONTENT = "target@example.com|content|eu-ie"
SUBSCRIBER = "target@example.com|subscriber|us-west"


@pytest.fixture(scope="module")
def script() -> ReplayScript:
    text = resources.files(replays).joinpath(SCRIPTS["microsoft-ireland"]).read_text()
    return load_script_text(text)


def _frame_on(frames: list[Frame], day: str) -> Frame:
    """The last frame of a day."""
    return [f for f in frames if f.at.date().isoformat() == day][-1]


def test_the_replay_ends_closed_vacated_as_moot_and_replaced(script: ReplayScript) -> None:
    frames, case, replacement = run(script)
    assert check_outcome(script, case) == []
    assert case.state is CaseState.CLOSED
    assert case.outcome is not None
    assert "vacated as moot" in case.outcome
    assert case.replaced_by == "2018-03-30 SCA warrant (S.D.N.Y.)"
    assert replacement is not None
    assert replacement.replaces == "13-MAG-2814"
    assert replacement.reference == case.replaced_by
    assert replacement.received_at == datetime(2018, 3, 30, 16, tzinfo=UTC)
    assert frames[0].at.date().isoformat() == "2013-12-04"
    assert frames[-1].at.date().isoformat() == "2018-04-17"
    assert len(frames) == len(script.steps)


def test_each_step_shows_the_state_and_the_contents_fate(script: ReplayScript) -> None:
    frames, _, _ = run(script)
    expected = {
        "2013-12-06": ("delivered", "withhold"),
        "2013-12-18": ("objected", "contested"),
        "2014-04-25": ("objected", "ordered"),
        "2014-09-08": ("objected", "ordered"),
        "2016-07-14": ("objected", "quashed"),
        "2017-01-24": ("objected", "quashed"),
        "2018-03-23": ("objected", "quashed"),
        "2018-04-17": ("closed", "superseded"),
    }
    for day, (state, content) in expected.items():
        frame = _frame_on(frames, day)
        assert (frame.state, frame.findings[CONTENT]) == (state, content), day
    assert _frame_on(frames, "2013-12-06").findings[SUBSCRIBER] == "produced"
    assert _frame_on(frames, "2018-04-17").findings[SUBSCRIBER] == "produced"


def test_contempt_without_sanctions_keeps_the_case_open_until_the_second_circuit(
    script: ReplayScript,
) -> None:
    frames, case, _ = run(script)
    contempt = _frame_on(frames, "2014-09-08")
    assert contempt.state == "objected"
    assert case.court.contempt is not None
    assert not case.court.contempt.sanctions
    assert case.court.contempt.stipulated
    assert case.court.contempt.vacated_at == datetime(2016, 7, 14, 15, tzinfo=UTC)


def test_the_dublin_content_stays_preserved_without_a_gap(script: ReplayScript) -> None:
    frames, _, replacement = run(script)
    assert all(not f.holds for f in frames if f.at < datetime(2013, 12, 18, 14, tzinfo=UTC))
    held = [f for f in frames if f.at >= datetime(2013, 12, 18, 14, tzinfo=UTC)]
    for f in held:
        active = [h for h in (*f.holds, *f.replacement_holds) if h.active]
        assert any(Category.CONTENT in h.categories and h.region == "eu-ie" for h in active), (
            f.label
        )
    last = frames[-1]
    assert [h.active for h in last.holds] == [False]
    assert [h.active for h in last.replacement_holds] == [True]
    assert replacement is not None
    assert replacement.state is CaseState.ASSESSED


def test_the_law_engines_findings_can_replace_the_scripts(script: ReplayScript) -> None:
    findings = [
        FindingRef(
            target="target@example.com",
            category=Category.SUBSCRIBER,
            region="us-west",
            data_country="US",
            pathway=Pathway.DISCLOSE,
        ),
        FindingRef(
            target="target@example.com",
            category=Category.TRAFFIC,
            region="us-west",
            data_country="US",
            pathway=Pathway.DISCLOSE,
        ),
        FindingRef(
            target="target@example.com",
            category=Category.CONTENT,
            region="eu-ie",
            data_country="IE",
            pathway=Pathway.OBJECT,
        ),
    ]
    _frames, case, _ = run(script, findings=findings)
    assert case.findings == tuple(findings)
    assert check_outcome(script, case) == []


def test_a_bad_script_is_refused_with_each_problem_named(script: ReplayScript) -> None:
    doc = script.model_dump(mode="json")
    doc["steps"][0]["do"] = "teleport"
    del doc["demand"]["zone"]
    with pytest.raises(InvalidInput) as info:
        parse_script(doc)
    assert any("demand.zone" in p for p in info.value.problems)
    assert any("steps.0" in p for p in info.value.problems)
    doc = script.model_dump(mode="json")
    doc["steps"][1]["actor"] = "stranger"
    with pytest.raises(InvalidInput, match="stranger"):
        parse_script(doc)


def test_a_step_the_workflow_refuses_names_the_step(script: ReplayScript) -> None:
    doc = script.model_dump(mode="json")
    # One person, holding both roles, recommends and then approves their own decisions.
    doc["steps"][5]["actor"] = "counsel"
    doc["steps"][6]["actor"] = "counsel"
    with pytest.raises(InvalidInput, match=r"steps\[6\] \(second approval\): four eyes"):
        run(parse_script(doc))
