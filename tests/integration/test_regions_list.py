"""``comity regions list`` reads the deployment file, not the regions' keys.

On a control-plane host of a multi-host deployment no region key is kept (ADR 0012/0014), so
listing the regions there must not read a key file or log in to an HSM: it used to open every
keyring for its key version and failed on the first missing key. ``--check-keys`` opens them
when the operator asks, and says in one sentence per region which cannot be read.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from comity.bootstrap import initialise
from comity.entrypoints.cli.main import app as cli

EU_IE = """
[regions.eu-ie]
country = "IE"
store = "sqlite:///regions/eu-ie.db"
keyring = "pkcs11:module=/nonexistent/libsofthsm2.so;token=comity-eu-ie;pin-file=keys/eu-ie.pin"
"""


def _deployment_without_region_keys(home: Path) -> Path:
    """A deployment of two regions whose keys this host does not hold: us-west's key file is
    gone, eu-ie's keys are on an HSM whose library is not on this host."""
    initialise(home, demo=False)
    (home / "keys" / "us-west.key").unlink()
    with (home / "comity.toml").open("a") as toml:
        toml.write(EU_IE)
    return home


def _regions(home: Path, *options: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--dir", str(home), "regions", "list", *options])
    return result.exit_code, result.stdout, result.stderr


def test_regions_are_listed_without_their_keys(tmp_path: Path) -> None:
    home = _deployment_without_region_keys(tmp_path)
    code, out, err = _regions(home, "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [(r["id"], r["country"]) for r in rows] == [("us-west", "US"), ("eu-ie", "IE")]
    assert rows[0]["key_custody"] == "file keys/us-west.key"
    assert rows[1]["key_custody"].startswith("pkcs11 token comity-eu-ie")
    assert all("key_version" not in r for r in rows)
    assert not (home / "keys" / "us-west.key").exists(), "listing made no key"
    assert not (home / "regions" / "eu-ie.db").exists(), "listing opened no store"

    code, out, err = _regions(home, "--wide")
    assert code == 0, err
    assert "us-west" in out
    assert "eu-ie" in out
    assert "key version" not in out


def test_check_keys_names_each_region_whose_key_cannot_be_read(tmp_path: Path) -> None:
    home = _deployment_without_region_keys(tmp_path)
    code, out, err = _regions(home, "--check-keys", "--json")
    assert code == 1
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["us-west"]["key_version"] is None
    assert "the key of region us-west is missing" in rows["us-west"]["key_error"]
    assert rows["eu-ie"]["key_version"] is None
    assert rows["eu-ie"]["key_error"]
    assert err.startswith("region us-west: the key of region us-west is missing")
    assert "region eu-ie: " in err
    assert "Traceback" not in err

    code, out, _ = _regions(home, "--check-keys", "--wide")
    assert code == 1
    assert "key version" in out
    assert "unreadable" in out


def test_check_keys_shows_each_readable_key_version(tmp_path: Path) -> None:
    initialise(tmp_path, demo=False)
    code, out, err = _regions(tmp_path, "--check-keys", "--json")
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["key_version"] == 1
    assert "key_error" not in row
    code, out, err = _regions(tmp_path, "--check-keys", "--wide")
    assert code == 0, err
    assert "key version" in out
