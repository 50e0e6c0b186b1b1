"""Signing and checking authorizations with the control plane's Ed25519 key.

The regional agent calls ``verify_authorization`` before it reads a single record: the signature
must come from a control-plane key it trusts, the authorization must be current at ``now`` (an
input, so tests and replays control time) and must cover the agent's region.
"""

from __future__ import annotations

from datetime import datetime

from comity.adapters.signing.ed25519 import PublicKey, SigningKey, verify_signature
from comity.domain.authorization import Authorization, SignedAuthorization, check_current


def sign_authorization(authorization: Authorization, key: SigningKey) -> SignedAuthorization:
    return SignedAuthorization(authorization, key.key_id, key.sign(authorization.canonical()))


def verify_authorization(
    signed: SignedAuthorization,
    keys: list[PublicKey],
    *,
    now: datetime | None,
    region: str | None,
) -> Authorization:
    """The authorization if its signature verifies and it is current for ``region``.

    ``now`` None skips the expiry check: a package verified years later must still show that its
    authorization was genuine, and the expiry was checked when the records were released.
    """
    auth = signed.authorization
    verify_signature(
        keys,
        signed.key_id,
        auth.canonical(),
        signed.signature,
        what=f"authorization {auth.id}",
    )
    if now is not None:
        check_current(auth, now=now, region=region)
    elif region is not None:
        check_current(auth, now=auth.issued_at, region=region)
    return auth
