"""The log's origin comes from its public URL; entries too long for a tile bundle are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.log_support import T0, new_log

from comity.adapters.config.deployment_file import load_deployment
from comity.bootstrap import DEFAULT_TOML, initialise, open_deployment
from comity.domain.audit import AuditEvent
from comity.errors import ConfigurationError, InvalidInput


def test_a_new_deployment_published_at_a_url_takes_it_as_origin(tmp_path: Path) -> None:
    comity = new_log(tmp_path, "https://transparency.example.com/comity/log/", 3)
    assert comity.audit_signer is not None
    assert comity.audit_signer.name == "transparency.example.com/comity/log"
    with comity.uow() as uow:
        latest = uow.audit.latest_checkpoint()
        assert latest is not None
        assert latest.note.startswith("transparency.example.com/comity/log\n3\n")


def test_an_existing_deployment_keeps_its_origin_when_a_url_is_added(tmp_path: Path) -> None:
    initialise(tmp_path, demo=False)
    (tmp_path / "comity.toml").write_text(
        DEFAULT_TOML + '\n[log]\npublic_url = "https://new.example/log"\n'
    )
    comity = open_deployment(tmp_path)
    assert comity.audit_signer is not None
    assert comity.audit_signer.name == "example-mail-inc/comity-audit"


@pytest.mark.parametrize(
    ("url", "fault"),
    [
        ("ftp://x.example/log", "http:// or https://"),
        ("https://x.example/log?a=1", "query"),
        ("https://x.example/a+b", r"'\+'"),
    ],
)
def test_a_bad_public_url_is_refused_before_anything_is_written(
    tmp_path: Path, url: str, fault: str
) -> None:
    with pytest.raises(InvalidInput, match=fault):
        initialise(tmp_path, demo=False, log_url=url)
    assert not (tmp_path / "comity.toml").exists()
    (tmp_path / "comity.toml").write_text(DEFAULT_TOML + f'\n[log]\npublic_url = "{url}"\n')
    with pytest.raises(ConfigurationError, match=fault):
        load_deployment(tmp_path)


def test_an_unknown_log_key_is_named(tmp_path: Path) -> None:
    (tmp_path / "comity.toml").write_text(DEFAULT_TOML + '\n[log]\npublic_ur = "x"\n')
    with pytest.raises(ConfigurationError, match=r"unknown key log\.public_ur"):
        load_deployment(tmp_path)


def test_an_entry_longer_than_a_bundle_can_carry_is_refused_with_its_change(
    tmp_path: Path,
) -> None:
    comity = new_log(tmp_path, "https://comity.test/log", 2)
    huge = AuditEvent.of(T0, "x" * 70_000, "account:created", "thing/huge", {})
    with comity.uow() as uow, pytest.raises(InvalidInput, match="capped at 65535 bytes"):
        uow.audit.record(huge)
    with comity.uow() as uow:
        assert uow.audit.size() == 2
