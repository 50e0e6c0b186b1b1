"""Comity's witness answers each add-checkpoint case as c2sp.org/tlog-witness specifies."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.log_support import comity_serve, new_log

from comity.adapters.audit.cosigning import cosignature_time
from comity.adapters.controlplane.audit_tables import AuditCheckpointRow
from comity.bootstrap import DEFAULT_TOML, Comity, open_deployment
from comity.domain.note import parse_note
from comity.domain.witness import AddCheckpoint
from comity.entrypoints.api.witness_app import create_witness_app


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Comity, TestClient, Comity]:
    log = new_log(tmp_path / "log", "https://log.test/log", 10, 30)
    witness_home = tmp_path / "witness"
    new_log(witness_home, "https://w.test/log")
    key = str(log.audit_signer.verifier_key)  # type: ignore[union-attr]
    (witness_home / "comity.toml").write_text(
        DEFAULT_TOML + f'\n[witness]\nname = "w.test/w1"\n\n[[witness.logs]]\nkey = "{key}"\n'
    )
    witness = open_deployment(witness_home)
    return log, TestClient(create_witness_app(witness)), witness


def note_at(log: Comity, size: int) -> str:
    with log.uow() as uow:
        return uow.session.get(AuditCheckpointRow, size).note  # type: ignore[union-attr]


def post(client: TestClient, body: str):  # type: ignore[no-untyped-def]
    return client.post("/add-checkpoint", content=body.encode())


def test_the_protocol_answers(setup) -> None:  # type: ignore[no-untyped-def]
    log, client, witness = setup
    first = note_at(log, 10)
    # First contact: old size 0, empty proof, cosigned; the cosignature verifies.
    ok = post(client, AddCheckpoint(0, (), first).body())
    assert ok.status_code == 200, ok.text
    sig = parse_note(first + ok.text).signatures[-1]
    assert cosignature_time(sig, parse_note(first).text, witness.audit_log.cosigner().key) > 0
    # Old size 0 again: 409 with the witness's size, as text/x.tlog.size.
    later = note_at(log, 30)
    conflict = post(client, AddCheckpoint(0, (), later).body())
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "text/x.tlog.size"
    assert conflict.text == "10\n"
    # A proof that does not verify: 422.
    bad = post(client, AddCheckpoint(10, (bytes(32),), later).body())
    assert bad.status_code == 422
    assert "does not extend" in bad.text
    # The right proof: cosigned.
    with log.uow() as uow:
        proof = tuple(uow.audit.consistency_proof(10, 30))
    assert post(client, AddCheckpoint(10, proof, later).body()).status_code == 200
    # Old size beyond the checkpoint: 400.
    assert post(client, AddCheckpoint(31, (), later).body()).status_code == 400


def test_unknown_logs_bad_signatures_and_malformed_requests(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log, client, _ = setup
    stranger = new_log(tmp_path / "s", "https://stranger.test/log", 3)
    assert post(client, AddCheckpoint(0, (), note_at(stranger, 3)).body()).status_code == 404
    forged = note_at(log, 10).replace("\n10\n", "\n11\n", 1)
    assert post(client, AddCheckpoint(0, (), forged).body()).status_code == 403
    for body in ("old 1\n", "new 0\n\n" + note_at(log, 10), "old 01\n\n" + note_at(log, 10)):
        resp = post(client, body)
        assert resp.status_code == 400
        assert resp.text.startswith("bad request: ")
    assert client.post("/add-checkpoint", content=b"x" * 70_000).status_code == 413


def test_comity_witness_serve_answers_as_a_process(setup) -> None:  # type: ignore[no-untyped-def]
    log, _client, witness = setup
    with comity_serve(witness.home, "witness serve", "/add-checkpoint") as base:
        first = httpx.post(
            base + "/add-checkpoint", content=AddCheckpoint(0, (), note_at(log, 30)).body()
        )
        assert first.status_code == 200, first.text
        assert first.text.startswith("\u2014 w.test/w1 ")
        again = httpx.post(
            base + "/add-checkpoint", content=AddCheckpoint(0, (), note_at(log, 30)).body()
        )
        assert again.status_code == 409
        assert again.text == "30\n"
