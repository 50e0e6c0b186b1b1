"""``comity init`` makes each region's store and key once; running it again changes nothing."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from comity.adapters.controlplane.tables import AuditEntryRow
from comity.adapters.mail.sources import eml_records
from comity.bootstrap import Comity, initialise, open_deployment
from comity.domain.accounts import Account, Selector
from comity.domain.categories import Category
from comity.entrypoints.cli.main import app as cli
from comity.entrypoints.cli.main import main
from comity.errors import NotFound
from comity.services.accounts import create_account
from comity.services.custody.ingest import ingest


def test_prepare_regions_is_idempotent(deployment: Comity) -> None:
    key = deployment.home / "keys" / "us-west.key"
    before = key.read_bytes()
    assert (key.stat().st_mode & 0o777) == 0o600
    assert (key.parent.stat().st_mode & 0o777) == 0o700
    assert deployment.prepare_regions() == [
        f"region us-west (US): sqlite:///{deployment.home / 'regions' / 'us-west.db'} (ready)"
    ]
    assert key.read_bytes() == before


def test_an_unknown_region_has_no_store(deployment: Comity) -> None:
    with pytest.raises(NotFound, match="unknown region 'mars'"):
        deployment.region_store("mars")


def test_rotating_a_region_key_rewraps_and_is_logged(
    deployment: Comity,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    create_account(
        deployment.uow,
        Account("a-1", (Selector("email", "a@example.com"),), "us-west"),
        actor="test",
        clock=deployment.clock,
    )
    eml = tmp_path / "m.eml"
    eml.write_bytes(b"From: b@example.com\r\nDate: Wed, 04 Dec 2013 09:00:00 +0000\r\n\r\nhi\r\n")
    ingest(
        deployment.uow,
        deployment.region_store,
        "a-1",
        partial(eml_records, eml, "a-1"),
        kind="eml",
        source="m.eml",
        actor="test",
        clock=deployment.clock,
    )
    before = {r.id: r.ciphertext for r in deployment.region_store("us-west").store.read("a-1")}
    monkeypatch.setattr(
        sys, "argv", ["comity", "--dir", str(deployment.home), "regions", "rotate-key", "us-west"]
    )
    main()
    assert "key version 2, 2 data key(s) re-wrapped" in capsys.readouterr().out
    fresh = open_deployment(deployment.home).region_store("us-west")
    after = {r.id: r.ciphertext for r in fresh.store.read("a-1")}
    assert after == before
    assert [r.body for r in fresh.read("a-1", [Category.CONTENT])] == [eml.read_bytes()]
    with deployment.uow() as uow:
        actions = list(uow.session.scalars(select(AuditEntryRow.action)))
    assert actions[-1] == "custody:key:rotated"


def test_a_region_added_to_comity_toml_gets_its_store_and_key_from_regions_prepare(
    tmp_path: Path,
) -> None:
    initialise(tmp_path, demo=False)
    first_key = (tmp_path / "keys" / "us-west.key").read_bytes()
    with (tmp_path / "comity.toml").open("a") as toml:
        toml.write('\n[regions.eu-ie]\ncountry = "IE"\nstore = "sqlite:///regions/eu-ie.db"\n')
    result = CliRunner().invoke(cli, ["--dir", str(tmp_path), "regions", "prepare"])
    assert result.exit_code == 0, result.output
    assert "region eu-ie (IE)" in result.output
    assert (tmp_path / "keys" / "eu-ie.key").exists()
    assert (tmp_path / "keys" / "us-west.key").read_bytes() == first_key
