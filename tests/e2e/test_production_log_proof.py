"""Proofs that travel: a published package has a C2SP tlog-proof, checked offline by verify."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from tests.production_support import ProductionWorld, approve, build, submit

from comity.adapters.audit.signing import open_checkpoint
from comity.domain.tlog_proof import TlogProof, parse_tlog_proof
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
def published(tmp_path: Path) -> tuple[ProductionWorld, Path, Path]:
    """A published production copied, with its proof, to a folder far from the deployment."""
    pw = build(tmp_path / "dep")
    demand_id = submit(pw)
    approve(pw, demand_id)
    production = pw.comity.productions.produce(pw.admin, demand_id)
    away = tmp_path / "auditor"
    away.mkdir()
    package = Path(shutil.copy(production.path, away))
    proof = Path(shutil.copy(production.path + ".tlog-proof", away))
    return pw, package, proof


def test_the_package_carries_a_proof_of_its_publication_checked_offline(
    published: tuple[ProductionWorld, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pw, package, proof_file = published
    vkey = str(pw.comity.audit_signer.verifier_key)  # type: ignore[union-attr]
    proof = parse_tlog_proof(proof_file.read_text())
    checkpoint = open_checkpoint(proof.checkpoint, pw.comity.audit_signer.verifier_key)  # type: ignore[union-attr]
    with pw.comity.uow() as uow:
        entry = uow.audit.entry(proof.index)
        assert json.loads(entry.entry)["action"] == "production:published"
        assert uow.audit.root_at(checkpoint.size) == checkpoint.root
    code, out, err = run(["verify", str(package), "--log-key", vkey], capsys)
    assert code == 0, err
    assert f"checkpoint of size {checkpoint.size}" in out
    code, out, _ = run(["verify", str(package)], capsys)
    assert code == 0
    assert "pass --log-key" in out


def rewrite(proof_file: Path, change) -> None:  # type: ignore[no-untyped-def]
    proof = parse_tlog_proof(proof_file.read_text())
    proof_file.write_text(change(proof).text())


def test_a_forged_or_foreign_proof_fails_naming_why(
    published: tuple[ProductionWorld, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pw, package, proof_file = published
    vkey = str(pw.comity.audit_signer.verifier_key)  # type: ignore[union-attr]
    original = proof_file.read_text()

    def bad_hash(p: TlogProof) -> TlogProof:
        return TlogProof(p.index, (bytes(32), *p.proof[1:]), p.checkpoint, p.extra)

    def other_payload(p: TlogProof) -> TlogProof:
        extra = json.loads(p.extra or b"")
        extra["payload"]["records"] += 1
        return TlogProof(p.index, p.proof, p.checkpoint, json.dumps(extra).encode())

    cases = ((bad_hash, "does not show entry"), (other_payload, "not the publication"))
    for change, fault in cases:
        proof_file.write_text(original)
        rewrite(proof_file, change)
        code, _, err = run(["verify", str(package), "--log-key", vkey], capsys)
        assert code == 1
        assert fault in err
    proof_file.write_text(original)
    other = "someone/else+" + vkey.split("+", 1)[1]
    code, _, err = run(["verify", str(package), "--log-key", other], capsys)
    assert code == 2
    assert "--log-key" in err
    proof_file.write_text(original.replace("index ", "index x", 1))
    code, _, err = run(["verify", str(package)], capsys)
    assert code == 1
    assert "log proof is malformed" in err
