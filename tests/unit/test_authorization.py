"""Authorizations: canonical form, Ed25519 signatures, expiry against a given now, and region."""

from __future__ import annotations

import dataclasses
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.packaging import CONTROL_PLANE_KEY, PRODUCED_AT, PROVIDER_KEY, sample_authorization

from comity.adapters.signing.authorizations import sign_authorization, verify_authorization
from comity.adapters.signing.ed25519 import PublicKey, SigningKey, public_path
from comity.bootstrap import initialise, open_deployment
from comity.domain.authorization import Authorization, SignedAuthorization
from comity.domain.categories import Category
from comity.errors import ConfigurationError, IntegrityError, InvalidInput

CP = [CONTROL_PLANE_KEY.public]


def test_signed_authorization_round_trips_through_its_file_form() -> None:
    signed = sample_authorization()
    again = SignedAuthorization.from_bytes(signed.to_bytes())
    assert again == signed
    assert again.to_bytes() == signed.to_bytes()
    assert verify_authorization(again, CP, now=PRODUCED_AT, region="eu-ie") == signed.authorization


def test_canonical_form_does_not_depend_on_the_order_grants_were_given() -> None:
    auth = sample_authorization().authorization
    shuffled = dataclasses.replace(auth, grants=tuple(reversed(auth.grants)))
    assert shuffled.canonical() == auth.canonical()


def test_a_changed_authorization_no_longer_verifies() -> None:
    signed = sample_authorization()
    wider = dataclasses.replace(
        signed.authorization,
        grants=(
            dataclasses.replace(
                signed.authorization.grants[0], accounts=("acct-0001", "acct-0002")
            ),
            *signed.authorization.grants[1:],
        ),
    )
    forged = SignedAuthorization(wider, signed.key_id, signed.signature)
    with pytest.raises(IntegrityError, match="signature does not verify"):
        verify_authorization(forged, CP, now=PRODUCED_AT, region="eu-ie")


def test_an_authorization_signed_by_another_key_is_refused() -> None:
    signed = sign_authorization(sample_authorization().authorization, PROVIDER_KEY)
    with pytest.raises(IntegrityError, match="not among the given keys"):
        verify_authorization(signed, CP, now=PRODUCED_AT, region="eu-ie")


def test_expiry_is_checked_against_the_given_now() -> None:
    signed = sample_authorization()
    expires = signed.authorization.expires_at
    verify_authorization(signed, CP, now=expires - timedelta(seconds=1), region="eu-ie")
    with pytest.raises(IntegrityError, match="expired at"):
        verify_authorization(signed, CP, now=expires, region="eu-ie")
    with pytest.raises(IntegrityError, match="not valid before"):
        verify_authorization(
            signed, CP, now=signed.authorization.issued_at - timedelta(1), region="eu-ie"
        )


def test_a_region_the_authorization_does_not_cover_is_refused() -> None:
    with pytest.raises(IntegrityError, match="does not cover region ap-sydney"):
        verify_authorization(sample_authorization(), CP, now=PRODUCED_AT, region="ap-sydney")


def test_scope_refusals_name_account_category_period_and_region() -> None:
    auth = sample_authorization().authorization
    when = datetime(2013, 6, 1, tzinfo=UTC)
    assert auth.refusal("eu-ie", "acct-0001", Category.CONTENT, when) is None
    assert "account acct-0002" in str(auth.refusal("eu-ie", "acct-0002", Category.CONTENT, when))
    assert "category traffic" in str(auth.refusal("eu-ie", "acct-0001", Category.TRAFFIC, when))
    assert "outside the authorized period" in str(
        auth.refusal("eu-ie", "acct-0001", Category.CONTENT, datetime(2014, 1, 1, tzinfo=UTC))
    )
    assert "region ap-sydney" in str(auth.refusal("ap-sydney", "acct-0001", Category.CONTENT, when))


def test_period_is_judged_on_the_utc_day() -> None:
    auth = sample_authorization().authorization
    # 2014-01-01 00:30 at +01:00 is 2013-12-31 23:30 UTC: inside a period ending 2013-12-31.
    late = datetime.fromisoformat("2014-01-01T00:30:00+01:00")
    assert auth.refusal("eu-ie", "acct-0001", Category.CONTENT, late) is None


def test_malformed_documents_name_each_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        Authorization.from_document({"format": "comity.authorization/1", "grants": "x"})
    text = caught.value.diagnostics()
    for field in ("authorization.grants", "authorization.id", "authorization.expires_at"):
        assert field in text
    with pytest.raises(IntegrityError, match="not valid JSON"):
        SignedAuthorization.from_bytes(b"{")


def test_signing_key_file_is_private_and_its_public_key_is_published(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "control-plane.pem"
    key = SigningKey.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SigningKey.load_or_create(path).key_id == key.key_id
    published = PublicKey.load(public_path(path))
    assert published.key_id == key.key_id
    assert published.verifies(b"x", key.sign(b"x"))
    path.chmod(0o644)
    with pytest.raises(ConfigurationError, match="readable by others"):
        SigningKey.load(path)
    with pytest.raises(InvalidInput, match="not a PEM public key"):
        PublicKey.from_pem(b"nonsense")


def test_a_deployment_keeps_its_signing_keys_in_private_files(tmp_path: Path) -> None:
    initialise(tmp_path, demo=False)
    first = open_deployment(tmp_path)
    key_id = first.control_plane_key.key_id
    assert first.provider_key.key_id != key_id
    for name in ("control-plane", "provider"):
        assert stat.S_IMODE((tmp_path / "keys" / f"{name}.pem").stat().st_mode) == 0o600
    published = PublicKey.load(tmp_path / "keys" / "provider.pub.pem")
    assert published.key_id == first.provider_key.key_id
    assert open_deployment(tmp_path).control_plane_key.key_id == key_id
