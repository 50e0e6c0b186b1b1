"""``comity audit`` commands and the auditor API, end to end on a demo deployment."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.conftest import CliRunner

from comity.bootstrap import initialise, open_deployment
from comity.domain.merkle import leaf_hash
from comity.domain.merkle_proofs import verify_consistency, verify_inclusion
from comity.domain.registry import StaffRole, User
from comity.entrypoints.api.app import create_app
from comity.services.identity import create_user, issue_token


@pytest.fixture
def comity(cli: CliRunner) -> CliRunner:
    """The in-process CLI (``tests/conftest.py``), under the name these tests use."""
    return cli


def b(text: str) -> bytes:
    return base64.b64decode(text)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    initialise(tmp_path, demo=True)
    return tmp_path


def test_head_key_prove_and_verify(
    demo: Path, tmp_path_factory: pytest.TempPathFactory, comity
) -> None:  # type: ignore[no-untyped-def]
    key = comity(demo, "audit", "key")
    assert key.returncode == 0
    assert key.stdout.startswith("example-mail-inc/comity-audit+")
    head = comity(demo, "audit", "head")
    assert head.returncode == 0
    lines = head.stdout.split("\n")
    assert lines[0] == "example-mail-inc/comity-audit"
    assert lines[3] == ""
    size = int(lines[1])
    saved = tmp_path_factory.mktemp("auditor") / "checkpoint.txt"
    saved.write_text(head.stdout, encoding="utf-8")

    proved = comity(demo, "audit", "prove", "5", "--against", "3")
    assert proved.returncode == 0, proved.stderr
    doc = json.loads(proved.stdout)
    inc = doc["inclusion"]
    assert inc["tree_size"] == size
    assert inc["root"] == lines[2]
    leaf = leaf_hash(doc["entry"].encode())
    assert verify_inclusion(5, size, leaf, [b(p) for p in inc["proof"]], b(inc["root"]))
    con = doc["consistency"]
    assert verify_consistency(
        3, size, b(con["first_root"]), b(con["second_root"]), [b(p) for p in con["proof"]]
    )

    ok = comity(demo, "audit", "verify", "--checkpoint", str(saved), "--key", key.stdout.strip())
    assert ok.returncode == 0, ok.stderr
    assert f"ok: {size} entries" in ok.stdout

    db = sqlite3.connect(demo / "control.db")
    db.execute("UPDATE audit_entries SET entry = replace(entry, 'acct-0008', 'acct-9999')")
    db.commit()
    db.close()
    bad = comity(demo, "audit", "verify", "--checkpoint", str(saved))
    assert bad.returncode == 1
    assert "entry 8 was changed" in bad.stderr


def test_truncation_is_caught_by_a_saved_checkpoint(demo: Path, tmp_path: Path, comity) -> None:  # type: ignore[no-untyped-def]
    saved = tmp_path / "saved.txt"
    saved.write_text(comity(demo, "audit", "head").stdout, encoding="utf-8")
    db = sqlite3.connect(demo / "control.db")
    db.execute("DELETE FROM audit_entries WHERE idx >= 30")
    db.execute("DELETE FROM audit_checkpoints WHERE size > 30")
    db.commit()
    db.close()
    bad = comity(demo, "audit", "verify", "--checkpoint", str(saved))
    assert bad.returncode == 1
    assert "entries from index 30 were removed" in bad.stderr


def staff_client(home: Path) -> TestClient:
    """A client holding an auditor's token: entries name actors and subjects, so are staff-only."""
    deployment = open_deployment(home)
    auditor = User("aud", "Audrey Auditor", "aud@provider.example", frozenset({StaffRole.AUDITOR}))
    create_user(deployment.intake_uow, deployment.clock, auditor, actor="test")
    token = issue_token(deployment.intake_uow, deployment.clock, "aud", label="t", actor="test")
    return TestClient(create_app(deployment), headers={"Authorization": f"Bearer {token}"})


def test_entries_are_for_staff_while_checkpoints_and_proofs_are_open(demo: Path) -> None:
    deployment = open_deployment(demo)
    # The demo registers the DEA (demo/people.py); its requesters read no entries.
    create_user(
        deployment.intake_uow,
        deployment.clock,
        User("cop", "C", "cop@dea.gov", agency_id="us-dea"),
        actor="test",
    )
    cop = issue_token(deployment.intake_uow, deployment.clock, "cop", label="t", actor="test")
    anonymous = TestClient(create_app(deployment))
    assert anonymous.get("/audit/checkpoint").status_code == 200
    assert anonymous.get("/audit/proof/inclusion", params={"index": 0}).status_code == 200
    assert anonymous.get("/audit/entries/0").status_code == 401
    requester = anonymous.get("/audit/entries/0", headers={"Authorization": f"Bearer {cop}"})
    assert requester.status_code == 403
    assert requester.json()["error"]["code"] == "forbidden"


def test_the_auditor_api_serves_checkpoints_proofs_and_entries(demo: Path) -> None:
    client = staff_client(demo)
    cp = client.get("/audit/checkpoint").json()
    size, root = cp["size"], b(cp["root"])
    assert cp["note"].startswith("example-mail-inc/comity-audit\n")
    entry = client.get("/audit/entries/7").json()
    inc = client.get("/audit/proof/inclusion", params={"index": 7}).json()
    assert verify_inclusion(7, size, b(entry["leaf_hash"]), [b(p) for p in inc["proof"]], root)
    assert leaf_hash(entry["entry"].encode()) == b(entry["leaf_hash"])
    con = client.get("/audit/proof/consistency", params={"first": 10, "second": size}).json()
    assert verify_consistency(10, size, b(con["first_root"]), root, [b(p) for p in con["proof"]])
    missing = client.get(f"/audit/entries/{size + 5}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    beyond = client.get("/audit/proof/inclusion", params={"index": 0, "size": size + 1})
    assert beyond.status_code == 404


def test_bad_requests_name_what_is_wrong(demo: Path, comity) -> None:  # type: ignore[no-untyped-def]
    missing = comity(demo, "audit", "prove", "999")
    assert missing.returncode == 1
    assert "audit entry 999 does not exist" in missing.stderr
    bad_key = comity(demo, "audit", "verify", "--key", "not-a-key")
    assert bad_key.returncode == 2
    assert "--key" in bad_key.stderr


def test_the_api_refuses_out_of_range_numbers_with_the_error_body(demo: Path) -> None:
    client = staff_client(demo)
    for url, params in [
        (f"/audit/entries/{10**30}", {}),
        ("/audit/proof/inclusion", {"index": 0, "size": 10**30}),
        ("/audit/proof/consistency", {"first": 1, "second": 2**40}),
    ]:
        response = client.get(url, params=params)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found"
    assert client.get("/audit/entries/-1").status_code == 404


def test_proofs_beyond_the_log_are_refused_at_once_without_a_token(demo: Path) -> None:
    """Issue 12: an anonymous proof request for a tree far beyond the log got a 500 after 42 s
    (every leaf of the imaginary tree was read); it must be a prompt 404 naming the log's size."""
    anonymous = TestClient(create_app(open_deployment(demo)))
    size = anonymous.get("/audit/checkpoint").json()["size"]
    for url, params in [
        ("/audit/proof/inclusion", {"size": 134217728, "index": 61508681}),
        ("/audit/proof/inclusion", {"size": 2**31 - 1, "index": 0}),
        ("/audit/proof/consistency", {"first": 61508681, "second": 134217728}),
        ("/audit/proof/consistency", {"first": 0, "second": 2**31 - 1}),
        ("/audit/proof/consistency", {"first": 1, "second": 2**30}),
    ]:
        started = time.monotonic()
        response = anonymous.get(url, params=params)
        elapsed = time.monotonic() - started
        assert response.status_code == 404, (url, params, response.text)
        error = response.json()["error"]
        assert error["code"] == "not_found"
        assert f"the log has {size} entries" in error["message"]
        assert elapsed < 2, (url, params, elapsed)
    # The log itself is untouched and still proves what it holds.
    assert anonymous.get("/audit/proof/inclusion", params={"index": size - 1}).status_code == 200
