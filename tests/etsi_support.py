"""Shared set-up for the HI-1 (ETSI TS 103 120) tests: the standard's examples and signed messages.

The examples belong to ETSI and are read from ``$COMITY_SHARED_DIR/etsi-ts-103120`` (default: the
``shared`` folder beside the checkout), never copied into the repository.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from comity.bootstrap import Comity
from comity.domain.registry import User
from comity.law.countries import known_countries
from comity.services import identity, registry

REPO = Path(__file__).resolve().parents[1]


def etsi_dir() -> Path:
    """The standard's folder, or a test failure that says where it was looked for."""
    shared = Path(os.environ.get("COMITY_SHARED_DIR") or REPO.parent / "shared")
    folder = shared / "etsi-ts-103120"
    if not (folder / "examples").is_dir():
        pytest.fail(
            f"the ETSI TS 103 120 reference files are missing: expected {folder}/examples; set "
            "COMITY_SHARED_DIR to the folder that holds etsi-ts-103120"
        )
    return folder


def example(name: str) -> bytes:
    """One example message, ``xml/request4.xml`` or ``json/request1.json``."""
    return (etsi_dir() / "examples" / name).read_bytes()


#: The examples' sender XX/ACTOR01 is registered under the id ``xx-actor01``.
EXAMPLE_SENDER = {
    "id": "xx-actor01",
    "name": "Example Police Service",
    "country": "GB",
    "kind": "police",
    "status": "verified",
    "domains": ["police.example.gov.uk"],
    "contacts": [{"name": "Duty desk", "phone": "+442079460000", "source": "published list"}],
}


def register_example_sender(comity: Comity) -> User:
    """The examples' senders in the registry (XX/ACTOR01 sends most of them; the deliveries come
    from XX/ACTOR2 and XX/ACTOR02, the multiple-authorisation example from XX/Sender), with one
    requester of XX/ACTOR01; returns the requester."""
    for ident in ("actor01", "actor2", "actor02", "sender"):
        registry.add_authority(
            comity.intake_uow,
            comity.clock,
            {**EXAMPLE_SENDER, "id": f"xx-{ident}"},
            known_countries=known_countries(),
            actor="test",
        )
    officer = User("officer", "O", "officer@police.example.gov.uk", agency_id="xx-actor01")
    identity.create_user(comity.intake_uow, comity.clock, officer, actor="test")
    return officer


def jws_sign(doc: dict[str, Any], key: Ed25519PrivateKey, kid: str | None) -> dict[str, Any]:
    """``doc`` signed as TS 103 120 signs JSON: a detached EdDSA JWS in ``Signature``."""
    signed = copy.deepcopy(doc)
    signed["Signature"] = {"protected": "", "signature": ""}
    header = {"alg": "EdDSA", **({"kid": kid} if kid else {})}
    protected = _b64url(json.dumps(header).encode())
    payload = _b64url(json.dumps(signed, separators=(",", ":")).encode())
    signature = key.sign(f"{protected}.{payload}".encode())
    signed["Signature"] = {"protected": protected, "signature": _b64url(signature)}
    return signed


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


#: A minimal PDF: what intake accepts as legal process (sniffed by its magic bytes).
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def request_message(
    *,
    sender: str = "DEA",
    country: str = "US",
    transaction: str = "9f0c4c0e-6a43-4d40-9a55-0d2b8f0f6b11",
    legal_type: str | None = "us.warrant",
    types: tuple[str, ...] = ("SubscriberData", "StoredContentData"),
    target: str = "target@example.com",
    document: bytes | None = PDF,
    checksum: str | None = None,
) -> dict[str, Any]:
    """A JSON HI-1 request Comity can import: one authorisation, one LD task per type, a PDF."""
    auth_id = "a1a1a1a1-0000-4000-8000-000000000001"
    auth: dict[str, Any] = {
        "@xsi:type": "{http://uri.etsi.org/03120/common/2020/09/Authorisation}AuthorisationObject",
        "ObjectIdentifier": auth_id,
        "CountryCode": country,
        "OwnerIdentifier": sender,
        "auth:AuthorisationReference": "13-MAG-2814",
    }
    if legal_type is not None:
        auth["auth:AuthorisationLegalType"] = {
            "common:Owner": "Comity",
            "common:Name": "AuthorisationLegalType",
            "common:Value": legal_type,
        }
    actions: list[dict[str, Any]] = [{"ActionIdentifier": 0, "CREATE": {"HI1Object": auth}}]
    for i, request_type in enumerate(types, start=1):
        task = {
            "@xsi:type": "{http://uri.etsi.org/03120/common/2020/09/Task}LDTaskObject",
            "ObjectIdentifier": f"b2b2b2b2-0000-4000-8000-00000000000{i}",
            "CountryCode": country,
            "OwnerIdentifier": sender,
            "AssociatedObjects": {"AssociatedObject": [auth_id]},
            "task:Reference": f"{country}-{sender}-{i}",
            "task:RequestDetails": {
                "task:Type": {
                    "common:Owner": "ETSI",
                    "common:Name": "RequestType",
                    "common:Value": request_type,
                },
                "task:StartTime": "2013-01-01T00:00:00Z",
                "task:EndTime": "2013-12-04T00:00:00Z",
                "task:RequestValues": {
                    "task:RequestValue": [
                        {
                            "task:FormatType": {
                                "task:FormatOwner": "ETSI",
                                "task:FormatName": "EmailAddress",
                            },
                            "task:Value": target,
                        }
                    ]
                },
            },
        }
        actions.append({"ActionIdentifier": i, "CREATE": {"HI1Object": task}})
    if document is not None:
        body: dict[str, Any] = {
            "doc:Contents": base64.b64encode(document).decode(),
            "doc:ContentType": "application/pdf",
            "doc:Checksum": checksum or hashlib.sha256(document).hexdigest(),
            "doc:ChecksumType": "SHA-256",
        }
        actions.append(
            {
                "ActionIdentifier": len(actions),
                "CREATE": {
                    "HI1Object": {
                        "@xsi:type": "{http://uri.etsi.org/03120/common/2020/09/Document}"
                        "DocumentObject",
                        "ObjectIdentifier": "c3c3c3c3-0000-4000-8000-000000000001",
                        "CountryCode": country,
                        "OwnerIdentifier": sender,
                        "AssociatedObjects": {"AssociatedObject": [auth_id]},
                        "doc:DocumentName": "warrant.pdf",
                        "doc:DocumentType": {
                            "common:Owner": "ETSI",
                            "common:Name": "DocumentType",
                            "common:Value": "Warrant",
                        },
                        "doc:DocumentBody": body,
                    }
                },
            }
        )
    return {
        "@xmlns": "http://uri.etsi.org/03120/common/2019/10/Core",
        "Header": {
            "SenderIdentifier": {"CountryCode": country, "UniqueIdentifier": sender},
            "ReceiverIdentifier": {"CountryCode": "US", "UniqueIdentifier": "EXAMPLEMAIL"},
            "TransactionIdentifier": transaction,
            "Timestamp": "2026-11-23T12:00:00.000000Z",
            "Version": {
                "ETSIVersion": "V1.23.1",
                "NationalProfileOwner": country,
                "NationalProfileVersion": "v1.0",
            },
        },
        "Payload": {"RequestPayload": {"ActionRequests": {"ActionRequest": actions}}},
    }
