"""Helpers for package tests: keys, an authorization, mail records, and a re-sealer that lets a
test play a provider who signs a package with records outside its authorization."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from comity.adapters.package import layout
from comity.adapters.package.archive import write_canonical
from comity.adapters.package.certificate import Custodian, DemandInfo
from comity.adapters.package.writer import ProductionRequest, produce_package
from comity.adapters.signing.authorizations import sign_authorization
from comity.adapters.signing.ed25519 import SigningKey
from comity.domain.authorization import (
    Authorization,
    PackageOptions,
    RegionGrant,
    SignedAuthorization,
)
from comity.domain.categories import Category
from comity.domain.demand import Period
from comity.domain.records import MEDIA_TYPE_MESSAGE, Record

PRODUCED_AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
# Fixed keys so packages are comparable across processes (the crash test re-runs in a subprocess).
CONTROL_PLANE_KEY = SigningKey(
    __import__(
        "cryptography.hazmat.primitives.asymmetric.ed25519", fromlist=["Ed25519PrivateKey"]
    ).Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"control plane").digest())
)
PROVIDER_KEY = SigningKey(
    __import__(
        "cryptography.hazmat.primitives.asymmetric.ed25519", fromlist=["Ed25519PrivateKey"]
    ).Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"provider").digest())
)
DEMAND = DemandInfo(
    reference="2013-MAG-2814",
    authority="United States District Court for the Southern District of New York",
    period=Period(date(2013, 1, 1), date(2013, 12, 31)),
    country="US",
)
CUSTODIAN = Custodian(
    name="Ada Lovelace", title="Custodian of Records", provider="Example Mail Inc."
)


def authorization(
    grants: Sequence[RegionGrant],
    *,
    key: SigningKey = CONTROL_PLANE_KEY,
    auth_id: str = "auth-0001",
    package: PackageOptions | None = None,
) -> SignedAuthorization:
    """``package`` None: an authorization of before package options (the first format)."""
    return sign_authorization(
        Authorization(
            id=auth_id,
            demand_id="dem-0001",
            demand_reference=DEMAND.reference,
            assessment_digest="sha256:" + "ab" * 32,
            grants=tuple(grants),
            issued_at=PRODUCED_AT - timedelta(hours=1),
            expires_at=PRODUCED_AT + timedelta(days=7),
            issuer="control-plane",
            package=package,
        ),
        key,
    )


def grant(region: str, accounts: Iterable[str], categories: Iterable[Category]) -> RegionGrant:
    return RegionGrant(region, tuple(accounts), tuple(categories), DEMAND.period)


def message(n: int, account: str, when: datetime, body: bytes | None = None) -> Record:
    raw = (
        body
        or (
            f"From: Sender {n} <sender{n}@example.org>\r\nTo: {account}@example.com\r\n"
            f"Subject: message {n}\r\nMessage-ID: <{n}.{account}@example.org>\r\n\r\n"
            f"Hello {n}.\r\nFrom here on, a line that mbox must quote.\r\n>From too.\r\n"
        ).encode()
    )
    return Record(f"msg-{account}-{n}", account, Category.CONTENT, when, raw, MEDIA_TYPE_MESSAGE)


def sample_records() -> list[tuple[str, list[Record]]]:
    when = datetime(2013, 6, 1, 9, 30, tzinfo=UTC)
    eu = [message(i, "acct-0001", when + timedelta(days=i)) for i in range(3)]
    us = [
        Record.of_fields(
            "sub-1",
            "acct-0001",
            Category.SUBSCRIBER,
            when,
            {"name": "Target Person", "email": "target@example.com", "since": "2010-01-02"},
        ),
        Record.of_fields(
            "login-1",
            "acct-0001",
            Category.TRAFFIC,
            when,
            {"event": "login", "ip": "192.0.2.1"},
        ),
        Record.of_fields(
            "login-2",
            "acct-0001",
            Category.TRAFFIC,
            when + timedelta(hours=2),
            {"event": "login", "ip": "198.51.100.7", "client": {"agent": "imap"}},
        ),
        Record.of_fields(
            "ip-1",
            "acct-0001",
            Category.IDENTIFICATION,
            when,
            {"ip": "192.0.2.1", "port": 51234},
        ),
    ]
    return [("eu-ie", eu), ("us-west", us)]


def sample_authorization(package: PackageOptions | None = None) -> SignedAuthorization:
    return authorization(
        [
            grant("eu-ie", ["acct-0001"], [Category.CONTENT]),
            grant(
                "us-west",
                ["acct-0001"],
                [Category.SUBSCRIBER, Category.TRAFFIC, Category.IDENTIFICATION],
            ),
        ],
        package=package,
    )


def request(signed: SignedAuthorization) -> ProductionRequest:
    return ProductionRequest(signed, DEMAND, CUSTODIAN, PRODUCED_AT)


def produce(
    out: Path,
    records: Iterable[tuple[str, Iterable[Record]]],
    signed: SignedAuthorization | None = None,
) -> Path:
    produce_package(
        out,
        request(signed or sample_authorization()),
        records,
        signing_key=PROVIDER_KEY,
        control_plane_keys=[CONTROL_PLANE_KEY.public],
    )
    return out


def reseal(bag: Path, out: Path, *, key: SigningKey = PROVIDER_KEY) -> Path:
    """Recompute the tag manifests and signature of ``bag`` after a test edited its tag files,
    and archive it: what a provider holding its key could do."""
    tags = [
        p.name
        for p in sorted(bag.iterdir())
        if p.is_file() and not p.name.startswith("tagmanifest-")
    ]
    for algorithm in layout.ALGORITHMS:
        lines = "".join(
            f"{hashlib.new(algorithm, (bag / t).read_bytes()).hexdigest()}  {t}\n" for t in tags
        )
        (bag / layout.tagmanifest_name(algorithm)).write_text(lines)
    signature = key.sign((bag / layout.SIGNED_TAG_MANIFEST).read_bytes())
    (bag / layout.SIGNATURE).write_bytes(base64.b64encode(signature) + b"\n")
    archive(bag, out)
    return out


def reseal_payload(bag: Path, out: Path) -> Path:
    """Like ``reseal``, after recomputing the payload manifests too: a signer who changed data."""
    files = sorted(p for p in (bag / "data").rglob("*") if p.is_file())
    for algorithm in layout.ALGORITHMS:
        lines = "".join(
            f"{hashlib.new(algorithm, f.read_bytes()).hexdigest()}  {f.relative_to(bag)}\n"
            for f in files
        )
        (bag / layout.manifest_name(algorithm)).write_text(lines)
    return reseal(bag, out)


def archive(bag: Path, out: Path) -> None:
    """Write ``bag`` as a canonical archive at ``out``."""
    with out.open("wb") as tar:
        write_canonical(bag, tar.fileno(), mtime=int(PRODUCED_AT.timestamp()))
