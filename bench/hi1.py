"""HI-1 (ETSI TS 103 120) import against Comity's own JSON intake, for the same demands.

    .venv/bin/python bench/hi1.py                 # 200 demands each way
    .venv/bin/python bench/hi1.py --demands 50

In one fresh SQLite deployment, files N demands as signed HI-1 JSON messages (one authorisation,
two LD tasks, a PDF document with its SHA-256: parse, JWS check, mapping, intake, object map and
audit event) and N as Comity demand documents with a ``Comity-Signature`` through
``services.intake.demands.submit_demand`` (the baseline: intake alone).
Reports the median time per demand
each way and the ratio; then how long refusing an XML entity bomb takes.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from comity.adapters.controlplane.etsi_repo import etsi_uow_factory
from comity.adapters.etsi import codec
from comity.bootstrap import initialise, open_deployment
from comity.domain.registry import User
from comity.domain.signing import signed_message
from comity.errors import InvalidInput
from comity.law.countries import known_countries
from comity.services import identity, registry
from comity.services.etsi import hi1
from comity.services.intake import demands

PDF = b"%PDF-1.4\n" + b"0" * 40_000 + b"\n%%EOF\n"
AUTH = "{http://uri.etsi.org/03120/common/2020/09/Authorisation}AuthorisationObject"
TASK = "{http://uri.etsi.org/03120/common/2020/09/Task}LDTaskObject"
DOC = "{http://uri.etsi.org/03120/common/2020/09/Document}DocumentObject"
BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE HI1Message [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(8)
    )
    + b']><HI1Message xmlns="http://uri.etsi.org/03120/common/2019/10/Core">&i;</HI1Message>'
)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hi1_message(i: int, key: Ed25519PrivateKey) -> bytes:
    auth_id = f"00000000-0000-4000-8000-{i:012d}"
    tasks = [
        {
            "ActionIdentifier": n,
            "CREATE": {
                "HI1Object": {
                    "@xsi:type": TASK,
                    "ObjectIdentifier": f"0000000{n}-0000-4000-8000-{i:012d}",
                    "AssociatedObjects": {"AssociatedObject": [auth_id]},
                    "task:RequestDetails": {
                        "task:Type": {"common:Owner": "ETSI", "common:Value": kind},
                        "task:StartTime": "2013-01-01T00:00:00Z",
                        "task:EndTime": "2013-12-04T00:00:00Z",
                        "task:RequestValues": {
                            "task:RequestValue": [
                                {
                                    "task:FormatType": {
                                        "task:FormatOwner": "ETSI",
                                        "task:FormatName": "EmailAddress",
                                    },
                                    "task:Value": f"user{i}@example.com",
                                }
                            ]
                        },
                    },
                }
            },
        }
        for n, kind in ((1, "SubscriberData"), (2, "StoredContentData"))
    ]
    document = {
        "ActionIdentifier": 3,
        "CREATE": {
            "HI1Object": {
                "@xsi:type": DOC,
                "ObjectIdentifier": f"00000003-0000-4000-8000-{i:012d}",
                "AssociatedObjects": {"AssociatedObject": [auth_id]},
                "doc:DocumentBody": {
                    "doc:Contents": base64.b64encode(PDF).decode(),
                    "doc:Checksum": hashlib.sha256(PDF).hexdigest(),
                    "doc:ChecksumType": "SHA-256",
                },
            }
        },
    }
    auth = {
        "ActionIdentifier": 0,
        "CREATE": {
            "HI1Object": {
                "@xsi:type": AUTH,
                "ObjectIdentifier": auth_id,
                "auth:AuthorisationReference": f"HI1-{i}",
                "auth:AuthorisationLegalType": {
                    "common:Owner": "Comity",
                    "common:Value": "us.warrant",
                },
            }
        },
    }
    doc: dict[str, Any] = {
        "Header": {
            "SenderIdentifier": {"CountryCode": "US", "UniqueIdentifier": "COURT"},
            "ReceiverIdentifier": {"CountryCode": "US", "UniqueIdentifier": "MAIL"},
            "TransactionIdentifier": f"t-{i}",
        },
        "Payload": {
            "RequestPayload": {"ActionRequests": {"ActionRequest": [auth, *tasks, document]}}
        },
        "Signature": {"protected": "", "signature": ""},
    }
    protected = _b64url(json.dumps({"alg": "EdDSA", "kid": "k1"}).encode())
    payload = _b64url(json.dumps(doc, separators=(",", ":")).encode())
    doc["Signature"] = {
        "protected": protected,
        "signature": _b64url(key.sign(f"{protected}.{payload}".encode())),
    }
    return json.dumps(doc).encode()


def comity_demand(i: int) -> bytes:
    return json.dumps(
        {
            "reference": f"JSON-{i}",
            "received_at": "2026-11-23T12:00:00Z",
            "issuing_authority": {"country": "US", "kind": "court", "name": "A court"},
            "instrument": "us.warrant",
            "categories": ["subscriber", "content"],
            "targets": [{"type": "email", "value": f"user{i}@example.com"}],
            "period": {"start": "2013-01-01", "end": "2013-12-04"},
        }
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demands", type=int, default=200)
    n = parser.parse_args().demands
    key = Ed25519PrivateKey.generate()
    pub = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    with tempfile.TemporaryDirectory() as home:
        initialise(Path(home), demo=False)
        comity = open_deployment(Path(home))
        countries = known_countries()
        registry.add_authority(
            comity.intake_uow,
            comity.clock,
            {"id": "us-court", "name": "A court", "country": "US", "kind": "court",
             "status": "verified", "domains": ["court.example.gov"],
             "keys": [{"key_id": "k1", "ed25519": pub}]},
            known_countries=countries,
            actor="bench",
        )  # fmt: skip
        clerk = User("clerk", "Clerk", "clerk@court.example.gov", agency_id="us-court")
        identity.create_user(comity.intake_uow, comity.clock, clerk, actor="bench")
        uow = etsi_uow_factory(comity.engine, comity.clock.now, comity.audit_signer)
        regions = [(r.id, r.country) for r in comity.deployment.regions]
        hi1_times, json_times = [], []
        for i in range(n):
            body = hi1_message(i, key)
            start = time.perf_counter()
            answer = hi1.handle(
                uow, comity.clock, clerk, codec.parse(body), known_countries=countries,
                regions=regions,
            )  # fmt: skip
            hi1_times.append(time.perf_counter() - start)
            assert answer.demands[0].created
            raw = comity_demand(i)
            file = demands.LegalProcessFile("warrant.pdf", PDF)
            sig = key.sign(signed_message(raw, hashlib.sha256(PDF).hexdigest()))
            header = f'keyid="k1", sig="{base64.b64encode(sig).decode()}"'
            start = time.perf_counter()
            _, created = demands.submit_demand(
                comity.intake_uow, comity.clock, clerk, demands.Submission(raw, file, header),
                known_countries=countries,
            )  # fmt: skip
            json_times.append(time.perf_counter() - start)
            assert created
    hi1_ms = statistics.median(hi1_times) * 1e3
    json_ms = statistics.median(json_times) * 1e3
    print(f"{n} demands each way, SQLite control plane, in process")
    print(f"HI-1 JSON import (signed, 2 LD tasks, {len(PDF)} B PDF): median {hi1_ms:.1f} ms")
    print(f"Comity JSON intake (signed, same PDF):           median {json_ms:.1f} ms")
    print(f"ratio HI-1 / native: {hi1_ms / json_ms:.2f}")
    start = time.perf_counter()
    for _ in range(100):
        with contextlib.suppress(InvalidInput):
            codec.parse(BOMB)
    print(f"XML entity bomb refused in {(time.perf_counter() - start) * 10:.3f} ms")


if __name__ == "__main__":
    main()
