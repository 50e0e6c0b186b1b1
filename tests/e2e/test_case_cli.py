"""The case command line end to end: a demand filed, reviewed, approved with four eyes, held in
the region (a purge is refused, a customer's deletion keeps the bytes), closed; clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import Result
from tests.case_support import CONTENT, SUBSCRIBER, T0, TRAFFIC, WARRANT, build
from tests.conftest import FixedClock
from typer.testing import CliRunner

from comity.domain.categories import Category
from comity.domain.records import MEDIA_TYPE_MESSAGE, Record
from comity.entrypoints.cli.main import app
from comity.errors import ComityError


def _invoke(home: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--dir", str(home), *args])


def run(home: Path, *args: str) -> str:
    result = _invoke(home, *args)
    assert result.exit_code == 0, result.output
    return result.output.strip()


def fails(home: Path, code: int, *args: str) -> str:
    """The error sentences of a refused command, checking its exit status as ``main`` sets it."""
    result = _invoke(home, *args)
    exc = result.exception
    assert isinstance(exc, ComityError), result.output
    assert exc.exit_code == code, exc.problems
    return "\n".join(exc.problems)


def test_a_case_through_the_command_line(tmp_path: Path) -> None:
    comity = build(tmp_path, FixedClock(T0))
    vault = comity.region_store("eu-ie")
    with vault.store.writer() as writer:
        for i in range(2):
            body = f"Subject: {i}\r\n\r\nbody\r\n".encode()
            writer.put(
                vault.seal(
                    Record(f"m-{i}", "msn-1", Category.CONTENT, T0, body, MEDIA_TYPE_MESSAGE)
                )
            )
    (tmp_path / "warrant.json").write_text(json.dumps(WARRANT))
    run(tmp_path, "demand", "submit", str(tmp_path / "warrant.json"), "--agency", "us-dea")
    queue = json.loads(run(tmp_path, "case", "list", "--json"))
    assert [q["state"] for q in queue] == ["assessed"]
    case_id = queue[0]["id"]
    # Nothing is due on arrival: user notice is owed before disclosure, i.e. at approval.
    assert queue[0]["next_deadline"] is None
    assert "in_review" in run(tmp_path, "case", "review", case_id, "--as", "rev")
    for key in (SUBSCRIBER, TRAFFIC):
        run(tmp_path, "case", "decide", case_id, key, "produce", "--as", "rev")
    out = fails(tmp_path, 2, "case", "decide", case_id, CONTENT, "withhold", "--as", "rev")
    assert "justification: to withhold finding" in out
    run(
        tmp_path,
        "case",
        "decide",
        case_id,
        CONTENT,
        "withhold",
        "--as",
        "rev",
        "--justification",
        "stored only in Dublin",
    )
    run(tmp_path, "case", "recommend", case_id, "--as", "rev", "--note", "US records only")
    assert "needs the role approver" in fails(
        tmp_path, 1, "case", "approve", case_id, "--as", "rev"
    )
    assert "partly_approved" in run(tmp_path, "case", "approve", case_id, "--as", "appr")
    out = fails(tmp_path, 1, "case", "review", case_id, "--as", "rev")
    assert "cannot start_review; allowed actions: object, start_production, withdraw" in out
    assert "no user with id 'nobody'" in fails(
        tmp_path, 1, "case", "close", case_id, "--as", "nobody", "--reason", "x"
    )

    # The Dublin content is preserved: the region refuses the purge and keeps deleted mail.
    out = run(
        tmp_path,
        "case",
        "hold",
        "place",
        case_id,
        "--as",
        "rev",
        "--account",
        "msn-1",
        "--region",
        "eu-ie",
        "--category",
        "content",
        "--basis",
        "litigation",
    )
    hold_id = out.split(":")[0]
    assert hold_id == f"{case_id}/hold-1"
    out = fails(tmp_path, 1, "accounts", "delete", "msn-1", "--category", "content", "--purge")
    assert f"preservation hold {hold_id}" in out
    assert vault.store.count("msn-1") == 2
    out = run(tmp_path, "accounts", "delete", "msn-1", "--category", "content")
    assert out == "eu-ie content: 0 removed, 2 hidden and kept under a hold"
    assert vault.store.count("msn-1") == 2
    assert list(vault.store.read("msn-1")) == []
    assert "--category: unknown data category" in fails(
        tmp_path, 2, "accounts", "delete", "msn-1", "--category", "mail"
    )

    shown = json.loads(run(tmp_path, "case", "show", case_id, "--json"))
    assert shown["active_holds"] == [hold_id]
    assert shown["statuses"][CONTENT] == "withhold"
    assert "13-MAG-2814" in run(tmp_path, "case", "show", case_id)
    due = json.loads(run(tmp_path, "due", "--within", "400d", "--json"))
    assert [d["kind"] for d in due["overdue"]] == ["user_notice"]
    assert "--within: expected a span" in fails(tmp_path, 2, "due", "--within", "soon")

    out = run(
        tmp_path,
        "case",
        "court",
        case_id,
        "motion_to_quash",
        "--as",
        "rev",
        "--set",
        "motion_id=m-1",
        "--scope-category",
        "content",
        "--stored-abroad",
    )
    assert "objected" in out
    assert f"{CONTENT}: contested" in out
    assert "kind" in fails(tmp_path, 2, "case", "court", case_id, "duel", "--as", "rev")
    run(tmp_path, "case", "notice", "gag", case_id, "--as", "rev", "--indefinite")
    out = run(tmp_path, "case", "close", case_id, "--as", "admin", "--reason", "quashed")
    assert "closed" in out
    # Closing released the hold in the region: now the purge goes through.
    assert "eu-ie content: 2 removed" in run(
        tmp_path, "accounts", "delete", "msn-1", "--category", "content", "--purge"
    )


def test_reassess_and_withdraw_from_the_command_line(tmp_path: Path) -> None:
    build(tmp_path, FixedClock(T0))
    (tmp_path / "warrant.json").write_text(json.dumps(WARRANT))
    demand_id = run(tmp_path, "demand", "submit", str(tmp_path / "warrant.json"))
    case_id = json.loads(run(tmp_path, "case", "list", "--json"))[0]["id"]
    out = run(
        tmp_path,
        "case",
        "reassess",
        case_id,
        "--as",
        "rev",
        "--as-of",
        "2016-07-14",
        "--reason",
        "Second Circuit, 829 F.3d 197",
    )
    assert "as of 2016-07-14 under rule pack" in out
    assert f"{CONTENT}: pathway" in out
    assert '"disclose" -> "redirect_mlat"' in out
    assert "already has case" in fails(tmp_path, 1, "case", "open", demand_id, "--as", "rev")
    # A demand entered by staff has no requester to withdraw it.
    out = fails(tmp_path, 1, "case", "withdraw", case_id, "--as", "agent")
    assert "no case" in out
