"""A region's keys in a PKCS#11 HSM (issue 19 item 2), against real SoftHSM tokens: records are
ingested, read back and re-wrapped by ``rotate-key`` through the token, whose keys never leave
it; a wrong PIN, a missing token and a malformed URL are each one sentence and release nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pkcs11
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pkcs11 import Attribute, KeyType, ObjectClass
from pkcs11.exceptions import UserAlreadyLoggedIn
from tests.agent_support import agent_process, issue_authorization, make_pki
from tests.conftest import CliRunner, FixedClock
from tests.hsm_support import MODULE, PIN, TokenPool
from tests.production_support import approve, build, message, put_records, submit

from comity.adapters.agent.client import HttpRegionAgent
from comity.adapters.regions.keyring_pkcs11 import Pkcs11Keyring
from comity.adapters.regions.pkcs11_url import parse_pkcs11_url
from comity.bootstrap import open_deployment
from comity.errors import ComityError, ConfigurationError, IntegrityError

COMITY = (sys.executable, "-m", "comity.entrypoints.cli.main")


def _token_keys(label: str) -> dict[str, tuple[bool, bool]]:
    """The AES keys on the token: label -> (extractable, sensitive)."""
    token = pkcs11.lib(str(MODULE)).get_token(token_label=label)
    try:
        session = token.open(user_pin=PIN)
    except UserAlreadyLoggedIn:  # login is per process: a keyring here already logged in
        session = token.open()
    with session:
        return {
            key.label: (key[Attribute.EXTRACTABLE], key[Attribute.SENSITIVE])
            for key in session.get_objects(
                {Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.KEY_TYPE: KeyType.AES}
            )
        }


def test_a_region_in_the_hsm_ingests_reads_back_and_rotates(
    tmp_path: Path, hsm_tokens: TokenPool, cli: CliRunner
) -> None:
    token = hsm_tokens.take()
    pw = build(
        tmp_path / "dep",
        FixedClock(datetime.now(UTC).replace(microsecond=0)),
        keyrings={"eu-ie": token.url()},
    )
    home = pw.comity.home
    vault = pw.comity.region_store("eu-ie")
    assert isinstance(vault.keyring, Pkcs11Keyring)
    assert not (home / "keys" / "eu-ie.key").exists()  # no key file for this region
    # The region key is on the token, sensitive and not extractable.
    assert _token_keys(token.label) == {"comity/eu-ie/kek/1": (False, True)}

    before = [r.body for r in vault.read("acct-0001")]
    assert len(before) == 4  # the world's four messages of acct-0001 live in eu-ie
    sealed = list(vault.store.read("acct-0001"))
    assert {s.key_version for s in sealed} == {1}
    assert all(s.ciphertext != b for s in sealed for b in before)

    rotated = cli(home, "regions", "rotate-key", "eu-ie")
    assert rotated.returncode == 0, rotated.stderr
    assert "key version 2, 5 data key(s) re-wrapped" in rotated.stdout
    assert set(_token_keys(token.label)) == {"comity/eu-ie/kek/1", "comity/eu-ie/kek/2"}
    fresh = open_deployment(home).region_store("eu-ie")
    assert [r.body for r in fresh.read("acct-0001")] == before
    assert fresh.store.stale_keys(2, 10) == []
    assert {s.key_version for s in fresh.store.read("acct-0001")} == {2}
    # Content ciphertext is untouched by a rotation.
    after = {s.id: s.ciphertext for s in fresh.store.read("acct-0001")}
    assert after == {s.id: s.ciphertext for s in sealed}

    # New records are sealed under the new version, through the token.
    put_records(
        open_deployment(home, pw.clock),
        "acct-0001",
        [message(7, "acct-0001", datetime(2013, 7, 1, tzinfo=UTC))],
    )
    assert {s.key_version for s in fresh.store.read("acct-0001")} == {2}

    listed = cli(home, "regions", "list")
    assert listed.returncode == 0, listed.stderr
    assert "pkcs11" in listed.stdout


def test_a_wrong_pin_is_one_sentence_and_the_agent_releases_nothing(
    tmp_path: Path, hsm_tokens: TokenPool
) -> None:
    """In fresh processes (PKCS#11 login is per process, and this one logged in already)."""
    token = hsm_tokens.take()
    pw = build(
        tmp_path / "dep",
        FixedClock(datetime.now(UTC).replace(microsecond=0)),
        keyrings={"eu-ie": token.url()},
    )
    demand_id = submit(pw)
    approve(pw, demand_id)
    signed = issue_authorization(pw, demand_id)
    make_pki(pw.comity, "eu-ie")
    wrong = tmp_path / "wrong.pin"
    wrong.write_text("000000\n")
    wrong.chmod(0o600)
    toml = pw.comity.home / "comity.toml"
    toml.write_text(toml.read_text().replace(str(token.pin_file), str(wrong)))
    sentence = (
        f"region eu-ie's HSM token '{token.label}' refused the PIN in {wrong} (PIN incorrect); "
        "no key was used and nothing was released"
    )

    rotate = subprocess.run(
        [*COMITY, "--dir", str(pw.comity.home), "regions", "rotate-key", "eu-ie"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert rotate.returncode != 0
    assert sentence in rotate.stderr

    with agent_process(pw.comity.home, "eu-ie") as url:
        agent = HttpRegionAgent("eu-ie", url, tls=pw.comity.control_plane_tls("eu-ie"))
        with pytest.raises(ComityError) as caught:
            agent.release(signed)  # refused before an iterator exists: nothing is released
    assert sentence in caught.value.message

    with pw.comity.reader() as uow:
        actions = [json.loads(uow.audit.entry(i).entry) for i in range(uow.audit.size())]
    assert "custody:key:rotated" not in {a["action"] for a in actions}
    # One key version still: the refused rotation made none.
    assert set(_token_keys(token.label)) == {"comity/eu-ie/kek/1"}


def test_hsm_settings_are_checked_with_one_sentence_each(
    tmp_path: Path, hsm_tokens: TokenPool
) -> None:
    token = hsm_tokens.take()
    pw = build(tmp_path / "dep")
    toml = pw.comity.home / "comity.toml"
    base = toml.read_text()
    store = 'store = "sqlite:///regions/eu-ie.db"\n'
    for keyring, problem in (
        (f"pkcs11:module={MODULE};token=x", "lacks pin-file"),
        (f"pkcs11:module={MODULE};token=x;pin=1234", "'pin' in"),
        (f"pkcs11:module={MODULE};token=x;token=y;pin-file=p", "'token' is given twice"),
    ):
        toml.write_text(base.replace(store, f'{store}keyring = "{keyring}"\n'))
        with pytest.raises(ConfigurationError, match=problem):
            open_deployment(pw.comity.home)
    for url, problem in (
        (token.url().replace(token.label, "no-such-token"), "is not present in"),
        (token.url().replace(str(MODULE), "/nonexistent/libpkcs11.so"), "does not exist"),
        (token.url(tmp_path / "missing.pin"), "is missing at"),
    ):
        toml.write_text(base.replace(store, f'{store}keyring = "{url}"\n'))
        with pytest.raises(ConfigurationError, match=problem):
            open_deployment(pw.comity.home).region_store("eu-ie").keyring.current_version()


def test_a_record_sealed_in_one_hsm_region_does_not_open_in_another(
    hsm_tokens: TokenPool,
) -> None:
    """Two regions sharing one token keep separate keys (labels name the region)."""
    token = hsm_tokens.take()
    settings = parse_pkcs11_url(token.url())
    ie, de = Pkcs11Keyring("eu-ie", settings), Pkcs11Keyring("eu-de", settings)
    assert ie.ensure()
    assert de.ensure()
    version, wrapped = ie.wrap(b"k" * 32, b"aad")
    assert ie.unwrap(version, wrapped, b"aad") == b"k" * 32
    with pytest.raises(IntegrityError, match="failed to unwrap in region eu-de"):
        de.unwrap(version, wrapped, b"aad")
    with pytest.raises(IntegrityError, match="failed to unwrap in region eu-ie"):
        ie.unwrap(version, wrapped, b"other aad")


_values = st.text(
    st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=";="), min_size=1
)


@given(module=_values, token=_values, pin=_values)
def test_pkcs11_urls_round_trip(module: str, token: str, pin: str) -> None:
    url = f"pkcs11:module=/{module};token={token};pin-file=/{pin}"
    settings = parse_pkcs11_url(url)
    assert settings.token == token
    assert parse_pkcs11_url(settings.url()) == settings
