"""Two deployments witness each other's logs (C2SP tlog-witness); a forked log is refused."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.intake_support import serving
from tests.log_support import fork, grow, new_log

from comity.adapters.audit.cosigning import cosignature_time
from comity.adapters.audit.signing import open_checkpoint
from comity.adapters.audit.witness_tables import WitnessLogRow
from comity.adapters.controlplane.tables import AuditEntryRow
from comity.bootstrap import DEFAULT_TOML, Comity, open_deployment
from comity.domain.note import parse_note
from comity.domain.witness import CosignerKey
from comity.entrypoints.api.app import create_app
from comity.entrypoints.api.witness_app import create_witness_app


def configure(
    home: Path, url: str, *, me: str, other_log: str, witness: str = "", at: str = ""
) -> None:
    text = DEFAULT_TOML + f'\n[log]\npublic_url = "{url}"\n'
    if witness:
        text += f'quorum = 1\n\n[[log.witnesses]]\nkey = "{witness}"\nurl = "{at}"\n'
    text += f'\n[witness]\nname = "{me}"\n\n[[witness.logs]]\nkey = "{other_log}"\n'
    (home / "comity.toml").write_text(text)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Comity, Comity, CosignerKey, CosignerKey]]:
    """Deployments A and B, each a witness for the other, their witnesses served on loopback."""
    a = new_log(tmp_path / "a", "https://a.test/log", 40)
    b = new_log(tmp_path / "b", "https://b.test/log", 25)
    a_log, b_log = str(a.audit_signer.verifier_key), str(b.audit_signer.verifier_key)  # type: ignore[union-attr]
    configure(a.home, "https://a.test/log", me="a.test/witness", other_log=b_log)
    configure(b.home, "https://b.test/log", me="b.test/witness", other_log=a_log)
    a, b = open_deployment(a.home), open_deployment(b.home)
    a_key, b_key = a.audit_log.cosigner().key, b.audit_log.cosigner().key
    with ExitStack() as stack:
        a_at = stack.enter_context(serving(create_witness_app(a)))
        b_at = stack.enter_context(serving(create_witness_app(b)))
        a_url, b_url = "https://a.test/log", "https://b.test/log"
        configure(a.home, a_url, me="a.test/witness", other_log=b_log, witness=str(b_key), at=b_at)
        configure(b.home, b_url, me="b.test/witness", other_log=a_log, witness=str(a_key), at=a_at)
        yield open_deployment(a.home), open_deployment(b.home), a_key, b_key


def test_two_deployments_witness_each_other_and_a_fork_is_refused(pair, cli) -> None:  # type: ignore[no-untyped-def]
    a, b, _a_key, b_key = pair
    # Each asks the other to cosign its latest checkpoint; both policies (quorum 1) then hold.
    for me, other in ((a, "b.test/witness"), (b, "a.test/witness")):
        asked = cli(me.home, "audit", "witness")
        assert asked.returncode == 0, asked.stderr
        assert f"{other}: cosigned size" in asked.stdout
        verified = cli(me.home, "audit", "verify")
        assert verified.returncode == 0, verified.stderr
        assert "witness policy met" in verified.stdout

    # A's served checkpoint carries B's cosignature, which verifies on A's signed note.
    served = TestClient(create_app(a)).get("/log/checkpoint").text
    checkpoint = open_checkpoint(served, a.audit_signer.verifier_key)
    note = parse_note(served)
    mine = [s for s in note.signatures if s.name == b_key.name]
    assert len(mine) == 1
    assert cosignature_time(mine[0], note.text, b_key) > 0
    assert checkpoint.size == 40
    assert cli(a.home, "audit", "head").stdout == served

    # A grows; B checks the consistency proof from size 40 and cosigns again.
    grow(a, 90)
    assert cli(a.home, "audit", "witness").returncode == 0
    assert "witness policy met: size 90" in cli(a.home, "audit", "verify").stdout

    # A rewrites entry 7 and rebuilds its tree: on its own the log still verifies...
    fork(a, 7)
    grow(a, 120)
    # ...but B, which cosigned size 90 of the old tree, refuses: the proof does not verify.
    refused = cli(a.home, "audit", "witness")
    assert refused.returncode == 1
    assert "b.test/witness: refused size 120 (422)" in refused.stdout
    assert "does not extend the tree of size 90" in refused.stdout
    # And A's verify with the witness policy fails, naming the witnessed checkpoint it rewrote.
    failed = cli(a.home, "audit", "verify")
    assert failed.returncode == 1
    assert (
        "cosignature by b.test/witness on the checkpoint of size 40 does not verify"
        in failed.stderr
    )
    # B keeps the refused checkpoint as evidence in its own audit log.
    with b.uow() as uow:
        actions = list(uow.session.scalars(select(AuditEntryRow.action)))
    assert actions.count("witness:refused") == 1
    with b.uow() as uow:
        assert uow.session.get(WitnessLogRow, "a.test/log").size == 90  # never rolled back


def test_the_quorum_fails_when_the_latest_checkpoint_is_not_witnessed(pair, cli) -> None:  # type: ignore[no-untyped-def]
    a, _b, _a_key, _b_key = pair
    assert cli(a.home, "audit", "witness").returncode == 0
    grow(a, 41)
    failed = cli(a.home, "audit", "verify")
    assert failed.returncode == 1
    assert "latest checkpoint (size 41) is cosigned by 0 of the 1 witnesses" in failed.stderr


def test_witness_key_and_a_log_without_witnesses(pair, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, _b, a_key, _b_key = pair
    shown = cli(a.home, "witness", "key")
    assert shown.returncode == 0
    assert shown.stdout.strip() == str(a_key)
    assert CosignerKey.parse(shown.stdout) == a_key
    lone = new_log(tmp_path / "lone", "https://lone.test/log", 3)
    refused = cli(lone.home, "audit", "witness")
    assert refused.returncode == 2
    assert "lists no [[log.witnesses]]" in refused.stderr
    no_service = cli(lone.home, "witness", "key")
    assert no_service.returncode == 2
    assert "no [witness] section" in no_service.stderr
