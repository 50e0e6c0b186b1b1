"""HI-1 end to end: a signed request imported, the case approved and produced, and the status and
delivery messages Comity sends parsed back; and each hostile or wrong message refused with one
clear error, nothing stored."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.etsi_support import jws_sign, request_message
from tests.production_support import ProductionWorld, approve, build, submit

from comity.adapters.controlplane.etsi_tables import EtsiObjectRow
from comity.adapters.controlplane.tables import AuditEntryRow
from comity.adapters.etsi import codec
from comity.entrypoints.api.app import create_app
from comity.entrypoints.cli.main import main
from comity.errors import InvalidInput, TooLarge
from comity.services.etsi.message import Element
from comity.services.intake.ports import DemandFilter

AUTH_ID = "a1a1a1a1-0000-4000-8000-000000000001"
TASKS = ("b2b2b2b2-0000-4000-8000-000000000001", "b2b2b2b2-0000-4000-8000-000000000002")


@pytest.fixture
def pw(tmp_path: Path) -> ProductionWorld:
    return build(tmp_path / "dep")


@pytest.fixture
def api(pw: ProductionWorld) -> Iterator[TestClient]:
    with TestClient(create_app(pw.comity)) as client:
        yield client


def _signed(pw: ProductionWorld, doc: dict[str, Any]) -> bytes:
    return json.dumps(jws_sign(doc, pw.world.dea_key, "dea-2026")).encode()


def _post(api: TestClient, pw: ProductionWorld, body: bytes, user: str = "jsmith") -> Any:
    media = "application/xml" if body.lstrip().startswith(b"<") else "application/json"
    return api.post("/hi1", content=body, headers={**pw.auth(user), "Content-Type": media})


def _stored(pw: ProductionWorld) -> tuple[int, int, int]:
    with pw.comity.uow() as uow:
        entries = uow.session.query(AuditEntryRow).count()
        objects = uow.session.query(EtsiObjectRow).count()
    with pw.comity.intake_uow() as iuow:
        demands = iuow.intake.count_demands(DemandFilter())
    return entries, objects, demands


def _objects(root: Element) -> dict[str, Element]:
    """Every HI1Object in a message, by its ObjectIdentifier."""
    found: dict[str, Element] = {}

    def walk(node: Element) -> None:
        if node.local == "HI1Object":
            found[node.text_at("ObjectIdentifier") or ""] = node
        for child in node.children:
            walk(child)

    walk(root)
    return found


def _statuses(notification: Element) -> dict[str, str | None]:
    listed = notification.one("StatusOfAssociatedObjects")
    assert listed is not None
    return {
        s.text_at("AssociatedObject") or "": s.text_at("Status", "Value")
        for s in listed.all("AssociatedObjectStatus")
    }


def test_signed_request_imported_approved_produced_then_status_and_delivery_parse_back(
    api: TestClient, pw: ProductionWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    response = _post(api, pw, _signed(pw, request_message()))
    assert response.status_code == 201, response.text
    created = _objects(codec.parse(response.content).root)
    demand_id = created[AUTH_ID].text_at("ExternalIdentifier")
    assert demand_id is not None
    assert created[AUTH_ID].text_at("AuthorisationStatus", "Value") == "AwaitingApproval"
    assert {created[t].text_at("Status", "Value") for t in TASKS} == {"AwaitingApproval"}
    with pw.comity.intake_uow() as uow:
        record = uow.intake.get_demand(demand_id)
        attachments = list(uow.intake.list_attachments(demand_id))
    assert record is not None
    assert record.document["categories"] == ["subscriber", "content"]
    assert record.document["instrument"] == "us.warrant"
    assert record.document["targets"] == [{"type": "email", "value": "target@example.com"}]
    assert record.document["period"] == {"start": "2013-01-01", "end": "2013-12-04"}
    (attachment,) = attachments
    assert attachment.media_type == "application/pdf"

    # GET of a task, as the authority's system polls it (signed, as this sender must).
    get = request_message(transaction="1e0c4c0e-6a43-4d40-9a55-0d2b8f0f6b12")
    get["Payload"]["RequestPayload"]["ActionRequests"]["ActionRequest"] = [
        {"ActionIdentifier": 0, "GET": {"Identifier": TASKS[1]}}
    ]
    polled = _post(api, pw, _signed(pw, get))
    assert polled.status_code == 200, polled.text
    task = _objects(codec.parse(polled.content).root)[TASKS[1]]
    assert task.text_at("Status", "Value") == "AwaitingApproval"
    assert task.text_at("ExternalIdentifier") == demand_id

    approve(pw, demand_id)
    status = api.get(f"/hi1/demands/{demand_id}/status?format=json", headers=pw.auth("jsmith"))
    assert status.status_code == 200, status.text
    (note,) = list(_objects(codec.parse(status.content).root).values())
    assert note.type == "NotificationObject"
    assert _statuses(note) == {
        AUTH_ID: "Approved",
        TASKS[0]: "AwaitingDisclosure",
        TASKS[1]: "AwaitingDisclosure",
        "c3c3c3c3-0000-4000-8000-000000000001": "Approved",
    }

    _cli(["--dir", str(pw.comity.home), "produce", demand_id, "--by", "admin"], capsys)
    with pw.comity.production_uow() as puow:
        (production,) = puow.productions.for_demand(demand_id)
    status = api.get(f"/hi1/demands/{demand_id}/status", headers=pw.auth("jsmith"))
    note = next(iter(_objects(codec.parse(status.content).root).values()))
    assert _statuses(note)[TASKS[0]] == "Disclosed"
    assert _statuses(note)[TASKS[1]] == "Disclosed"

    delivered = api.post(f"/hi1/productions/{production.id}/delivery", headers=pw.auth("dl"))
    assert delivered.status_code == 201, delivered.text
    message = codec.parse(delivered.content)
    assert message.form == "xml"
    (delivery,) = _objects(message.root).values()
    assert delivery.type == "DeliveryObject"
    assert delivery.text_at("DeliveryID") == production.id
    assert delivery.text_at("Delivery", "URL", "Checksum") == production.sha256
    assert delivery.text_at("Delivery", "URL", "ChecksumType") == "SHA-256"
    assert delivery.text_at("Delivery", "URL", "ContentLength") == str(production.size)
    associated = delivery.one("AssociatedObjects")
    assert associated is not None
    assert {a.text for a in associated.all("AssociatedObject")} == set(TASKS)
    url = delivery.text_at("Delivery", "URL", "URL")
    assert url is not None
    package = api.get(url, headers=pw.auth("dl"))
    assert package.status_code == 200
    assert hashlib.sha256(package.content).hexdigest() == production.sha256

    # The same from the command line, in JSON: the operator sends it through their exchange.
    home = str(pw.comity.home)
    out = _cli(["--dir", home, "demand", "hi1-deliver", production.id, "--format", "json"], capsys)
    (by_cli,) = _objects(codec.parse(out.encode()).root).values()
    assert by_cli.text_at("Delivery", "URL", "Checksum") == production.sha256
    assert (by_cli.text_at("Delivery", "URL", "URL") or "").startswith("http://127.0.0.1:8000/")
    out = _cli(["--dir", home, "demand", "hi1-status", demand_id], capsys)
    (note,) = _objects(codec.parse(out.encode()).root).values()
    assert _statuses(note)[AUTH_ID] == "Approved"


def test_a_production_of_a_demand_not_sent_in_hi1_gets_no_delivery_and_no_link(
    api: TestClient, pw: ProductionWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    _cli(["--dir", str(pw.comity.home), "produce", demand_id, "--by", "admin"], capsys)
    with pw.comity.production_uow() as puow:
        (production,) = puow.productions.for_demand(demand_id)
    before = _stored(pw)
    refused = api.post(f"/hi1/productions/{production.id}/delivery", headers=pw.auth("dl"))
    assert refused.status_code == 404
    assert "did not come in an HI-1 message" in refused.json()["error"]["message"]
    assert _stored(pw) == before


def test_resending_a_transaction_answers_the_same_and_files_nothing_new(
    api: TestClient, pw: ProductionWorld
) -> None:
    body = _signed(pw, request_message())
    first = _post(api, pw, body)
    assert first.status_code == 201
    before = _stored(pw)
    again = _post(api, pw, body)
    assert again.status_code == 200
    first_ids = _objects(codec.parse(first.content).root)[AUTH_ID].text_at("ExternalIdentifier")
    again_ids = _objects(codec.parse(again.content).root)[AUTH_ID].text_at("ExternalIdentifier")
    assert first_ids == again_ids
    assert _stored(pw) == before


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE HI1Message [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<HI1Message xmlns="http://uri.etsi.org/03120/common/2019/10/Core"><Header>&e;</Header></HI1Message>
"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE HI1Message [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<HI1Message xmlns="http://uri.etsi.org/03120/common/2019/10/Core"><Header>
<SenderIdentifier><CountryCode>US</CountryCode><UniqueIdentifier>&x;</UniqueIdentifier>
</SenderIdentifier></Header></HI1Message>
"""


@pytest.mark.parametrize(
    ("body", "user", "status", "sentence"),
    [
        pytest.param(BOMB, "jsmith", 400, "declares a DOCTYPE", id="xml-bomb"),
        pytest.param(EXTERNAL, "jsmith", 400, "declares a DOCTYPE", id="external-entity"),
        pytest.param(
            "wrong-checksum", "jsmith", 400, "checksum " + "0" * 64 + " does not match",
            id="wrong-document-checksum",
        ),
        pytest.param("unknown-sender", "admin", 403, "the sender XX/NOBODY is not in the "
                     "authority registry (an authority with id 'xx-nobody'", id="unknown-sender"),
        pytest.param("unsigned", "jsmith", 403, "must be signed; this one is not", id="unsigned"),
        pytest.param("tampered", "jsmith", 403, "the JWS does not verify", id="tampered"),
        pytest.param("other-agency", "pierre", 403, "but pierre acts for fr-police",
                     id="requester-of-another-agency"),
        pytest.param("no-instrument", "jsmith", 400, "does not say which legal instrument",
                     id="no-instrument"),
    ],
)  # fmt: skip
def test_bad_message_gets_one_clear_error_and_stores_nothing(
    api: TestClient, pw: ProductionWorld, body: bytes | str, user: str, status: int, sentence: str
) -> None:
    if body == "wrong-checksum":
        body = _signed(pw, request_message(checksum="0" * 64))
    elif body == "unknown-sender":
        body = json.dumps(request_message(sender="NOBODY", country="XX")).encode()
    elif body == "unsigned":
        body = json.dumps(request_message()).encode()
    elif body == "tampered":
        doc = jws_sign(request_message(), pw.world.dea_key, "dea-2026")
        doc["Payload"]["RequestPayload"]["ActionRequests"]["ActionRequest"][1]["CREATE"][
            "HI1Object"
        ]["task:RequestDetails"]["task:RequestValues"]["task:RequestValue"][0][
            "task:Value"
        ] = "someone.else@example.com"
        body = json.dumps(doc).encode()
    elif body == "other-agency":
        body = _signed(pw, request_message())
    elif body == "no-instrument":
        body = _signed(pw, request_message(legal_type=None))
    assert isinstance(body, bytes)
    before = _stored(pw)
    response = _post(api, pw, body, user)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert len(error["problems"]) == 1, error
    assert sentence in error["problems"][0]
    assert _stored(pw) == before


def test_oversized_or_non_hi1_input_is_refused_before_parsing() -> None:
    with pytest.raises(TooLarge, match="the limit is"):
        codec.parse(b"<" + b" " * codec.MAX_MESSAGE_BYTES)
    with pytest.raises(InvalidInput, match="neither XML nor JSON"):
        codec.parse(b"HI1Message")
    with pytest.raises(InvalidInput, match="not an HI1Message"):
        codec.parse(b"<Other/>")


def test_an_emergency_flag_reaches_the_demand_and_is_named_in_a_warning(
    api: TestClient, pw: ProductionWorld
) -> None:
    doc = request_message(types=("SubscriberData",))
    auth = doc["Payload"]["RequestPayload"]["ActionRequests"]["ActionRequest"][0]["CREATE"][
        "HI1Object"
    ]
    auth["auth:AuthorisationFlags"] = {
        "auth:AuthorisationFlag": {
            "common:Owner": "ETSI",
            "common:Name": "AuthorisationFlag",
            "common:Value": "IsEmergency",
        }
    }
    response = _post(api, pw, _signed(pw, doc))
    assert response.status_code == 201, response.text
    assert "flagged IsEmergency" in response.headers["comity-warning"]
    demand_id = _objects(codec.parse(response.content).root)[AUTH_ID].text_at("ExternalIdentifier")
    assert demand_id is not None
    with pw.comity.intake_uow() as uow:
        record = uow.intake.get_demand(demand_id)
    assert record is not None
    assert record.emergency
    assert "call-back" in (record.disclosure_blocked_reason or "")


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the CLI; it must succeed; its standard output."""
    saved = sys.argv
    sys.argv = ["comity", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = saved
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out
