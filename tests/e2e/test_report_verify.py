"""Transparency reports in providers' column sets, counted at a checkpoint, and checked by
`comity report verify`, which names any figure that differs."""

from __future__ import annotations

import json
import sys
from datetime import UTC
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.intake_support import World, body, demand_doc, microsoft_world

from comity.entrypoints.api.app import create_app
from comity.entrypoints.cli.main import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    saved = sys.argv
    sys.argv = ["comity", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = saved
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def world(tmp_path: Path) -> World:
    return microsoft_world(tmp_path / "dep")


def submit(world: World, client: TestClient, reference: str, **changes: object) -> str:
    sent = client.post(
        "/demands",
        content=body(demand_doc(reference, **changes)),
        headers={**world.auth("jsmith"), "Content-Type": "application/json"},
    )
    assert sent.status_code == 201, sent.text
    return str(sent.json()["id"])


def report(world: World, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:  # type: ignore[type-arg]
    today = world.comity.clock.now().astimezone(UTC).date().isoformat()
    args = ["--dir", str(world.comity.home), "report", "transparency", "--from", today]
    code, out, err = run([*args, "--to", today, "--format", "json", *extra], capsys)
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def test_a_report_is_checked_against_the_log_and_a_tampered_figure_is_named(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    client = TestClient(create_app(world.comity, assessor=world.comity.assessor))
    submit(world, client, "R-1")
    withdrawn = submit(
        world,
        client,
        "R-2",
        targets=[
            {"type": "email", "value": "target@example.com"},
            {"type": "email", "value": "other@example.com"},
        ],
    )
    assert (
        client.post(
            f"/demands/{withdrawn}/withdraw", json={}, headers=world.auth("jsmith")
        ).status_code
        == 200
    )
    doc = report(world, capsys, "--profile", "microsoft")
    assert doc["columns"][:3] == ["country", "requests", "accounts_specified"]
    assert doc["table"][0][:3] == ["US", 2, 3]
    with world.comity.uow() as uow:
        latest = uow.audit.latest_checkpoint()
        assert latest is not None
        assert doc["checkpoint"]["size"] == latest.size
        assert doc["checkpoint"]["note"] == latest.note
        size = latest.size
    saved = tmp_path / "report.json"
    saved.write_text(json.dumps(doc))
    home = ["--dir", str(world.comity.home)]
    code, out, err = run([*home, "report", "verify", str(saved)], capsys)
    assert code == 0, err
    assert f"first {size} entries" in out

    # A demand received after the checkpoint does not change what the report was counted from.
    submit(world, client, "R-3")
    code, _, err = run([*home, "report", "verify", str(saved)], capsys)
    assert code == 0, err

    # A published figure that was changed is named, with what the log gives.
    doc["table"][0][1] = 5
    saved.write_text(json.dumps(doc))
    code, _, err = run([*home, "report", "verify", str(saved)], capsys)
    assert code == 1
    assert "row US, requests: the report says 5, the log gives 2" in err

    # A checkpoint that the log does not extend (or that is not signed) is refused.
    doc["table"][0][1] = 2
    doc["checkpoint"]["note"] = doc["checkpoint"]["note"].replace("\n", "\n\n", 1)
    saved.write_text(json.dumps(doc))
    code, _, err = run([*home, "report", "verify", str(saved)], capsys)
    assert code == 1
    assert "checkpoint" in err


def test_google_columns_and_national_security_bands(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    client = TestClient(create_app(world.comity, assessor=world.comity.assessor))
    submit(world, client, "G-1")
    doc = report(world, capsys, "--profile", "google", "--band-size", "500")
    assert doc["columns"] == [
        "country",
        "legal_process",
        "user_data_requests",
        "users_accounts_specified",
        "percent_some_data_produced",
    ]
    assert doc["table"][0] == ["US", "us.warrant", 1, 1, 0.0]
    ns = doc["national_security"]
    assert ns["band_size"] == 500
    assert {"process": "us.nsl", "requests": "0-499"} in ns["rows"]
    assert "us.fisa" in ns["withheld"]  # no publication date: FISA waits for its delay
    home = ["--dir", str(world.comity.home)]
    half = [*home, "report", "transparency", "--half", "2026-H1"]
    code, _, err = run([*half, "--band-size", "7"], capsys)
    assert code == 2
    assert "band size 7" in err
    code, _, err = run([*half, "--profile", "x"], capsys)
    assert code == 2
    assert "--profile" in err
