"""The audit log served as C2SP tlog-tiles under /log/, checked in Python and by Go's sumdb/tlog."""

from __future__ import annotations

import base64
import gzip
import subprocess
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.log_support import comity_serve, go_program, grow, new_log

from comity.adapters.audit.signing import open_checkpoint
from comity.domain.merkle import leaf_hash
from comity.domain.merkle_proofs import reference_root
from comity.domain.tiles import TileRef, tiles_for, unbundle
from comity.entrypoints.api.app import create_app

URL = "https://comity.test/log/"
GO_VERIFIER = Path(__file__).parents[1] / "go" / "tlogverify" / "main.go"


@pytest.fixture
def log(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A log published at URL with signed checkpoints at sizes 300 and 700."""
    return new_log(tmp_path, URL, 300, 700)


def test_the_checkpoint_is_the_signed_note_with_the_url_as_origin(log) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(create_app(log))
    resp = client.get("/log/checkpoint")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/plain; charset=utf-8"
    assert resp.headers["cache-control"] == "public, max-age=5"
    checkpoint = open_checkpoint(resp.text, log.audit_signer.verifier_key)
    assert checkpoint.origin == "comity.test/log"
    assert checkpoint.size == 700


def test_tiles_and_bundles_hold_the_hashes_and_entries_of_the_log(log) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(create_app(log))
    entries: list[bytes] = []
    for ref in tiles_for(700, 0):
        resp = client.get(f"/log/tile/entries/{ref.path().split('/', 1)[1]}")
        assert resp.status_code == 200, resp.text
        assert resp.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert resp.headers["content-type"] == "application/octet-stream"
        entries += unbundle(resp.content)
    assert len(entries) == 700
    leaves = [leaf_hash(e) for e in entries]
    level0 = b"".join(client.get(f"/log/tile/{r.path()}").content for r in tiles_for(700, 0))
    assert level0 == b"".join(leaves)
    # The level-1 tile of a tree of 700 is the hashes of its two full level-0 tiles.
    level1 = client.get("/log/tile/1/000.p/2").content
    assert level1 == reference_root(leaves[:256]) + reference_root(leaves[256:512])
    root = open_checkpoint(client.get("/log/checkpoint").text, log.audit_signer.verifier_key).root
    assert reference_root(leaves) == root


def test_partial_tiles_of_every_checkpointed_size_stay_served(log) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(create_app(log))
    earlier = client.get(f"/log/tile/{TileRef(0, 1, 44).path()}")  # size 300's last tile
    assert earlier.status_code == 200
    assert len(earlier.content) == 44 * 32
    full = client.get("/log/tile/0/001").content
    assert earlier.content == full[: 44 * 32]


@pytest.mark.parametrize(
    "path",
    [
        "0/002",  # the full tile after 512 would need 768 entries
        "0/002.p/189",  # one entry beyond the signed size
        "entries/003.p/1",
        "1/000",  # a full level-1 tile needs 65,536 entries
        "2/000.p/1",
        "0/x999/x999/x999/x999/x999/999",  # far beyond: refused without reading
        "63/000",
        "0/2",
        "0/000.p/300",
    ],
)
def test_anything_beyond_the_log_or_malformed_is_404(log, path: str) -> None:  # type: ignore[no-untyped-def]
    resp = TestClient(create_app(log)).get(f"/log/tile/{path}")
    assert resp.status_code == 404
    assert resp.json()["error"]["message"]


def test_bundles_are_gzipped_for_clients_that_accept_it(log) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(create_app(log))
    plain = client.get("/log/tile/entries/000", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    with client.stream("GET", "/log/tile/entries/000", headers={"Accept-Encoding": "gzip"}) as r:
        assert r.headers["content-encoding"] == "gzip"
        assert r.headers["vary"] == "Accept-Encoding"
        compressed = b"".join(r.iter_raw())
    assert len(compressed) < len(plain.content)
    assert gzip.decompress(compressed) == plain.content


def test_a_log_without_checkpoint_serves_no_tiles(tmp_path: Path) -> None:
    comity = new_log(tmp_path, URL)
    client = TestClient(create_app(comity))
    assert client.get("/log/checkpoint").status_code == 404
    assert client.get("/log/tile/0/000.p/1").status_code == 404


def test_go_sumdb_tlog_verifies_the_served_log(log, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    """Go's own tlog and note packages, reading the tiles over HTTP from a live `comity serve`:
    the checkpoint signature verifies, the root rebuilt from the tiles is the signed one, every
    entry hashes to its leaf, an inclusion proof and a consistency proof (from size 300) check."""
    binary = go_program(GO_VERIFIER, tmp_path_factory.mktemp("go"))
    with log.uow() as uow:
        first = uow.audit.root_at(300)
    key = str(log.audit_signer.verifier_key)
    with comity_serve(log.home) as base:
        ok = subprocess.run(
            [str(binary), base + "/log", key, "517", "300", base64.b64encode(first).decode()],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout.startswith("ok 700 ")
        # The log grows; Go follows it and proves the new head extends size 300 too.
        grow(log, 1001)
        again = subprocess.run(
            [str(binary), base + "/log", key, "1000", "300", base64.b64encode(first).decode()],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert again.returncode == 0, again.stderr
        assert again.stdout.startswith("ok 1001 ")
        # A wrong earlier root (a fork) is refused by Go's consistency check.
        forged = base64.b64encode(bytes(32)).decode()
        bad = subprocess.run(
            [str(binary), base + "/log", key, "5", "300", forged],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert bad.returncode == 1
        assert "consistency" in bad.stderr
        assert httpx.get(base + "/log/tile/0/004").status_code == 404
