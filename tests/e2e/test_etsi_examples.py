"""Every request example of ETSI TS 103 120 v1.23.1, through ``POST /hi1`` and ``comity demand
import``: it imports into a demand whose fields match the message, is answered (GET,
GETCSPCONFIG), or is refused with a sentence naming what Comity does not support."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.etsi_support import etsi_dir, example, register_example_sender
from tests.production_support import ProductionWorld, build

from comity.adapters.etsi import codec
from comity.entrypoints.api.app import create_app
from comity.entrypoints.cli.main import main
from comity.services.etsi.message import Element
from comity.services.intake.ports import DemandFilter

INSTRUMENT = "xx.domestic_order"

#: Examples that import: one AuthorisationObject with one LDTaskObject for SubscriberData of an
#: E.164 number (request10 also creates an LDDestinationObject, which is listed as not kept).
IMPORTS = [
    "xml/request4.xml",
    "xml/request10_LDDestinationObject.xml",
    "json/request10_LDDestinationObject.json",
]
#: Examples that ask rather than create: answered, nothing imported.
ANSWERED = {
    "xml/request2.xml": "GETResponse",
    "json/request2.json": "GETResponse",
    "xml/request_config.xml": "GETCSPCONFIGResponse",
    "json/request_config.json": "GETCSPCONFIGResponse",
    "xml/request_ee_config.xml": "GETCSPCONFIGResponse",
    "json/request_ee_config.json": "GETCSPCONFIGResponse",
}
#: Refused, and why: the words the one sentence must contain.
REFUSED = {
    # Lawful interception of live traffic: Comity discloses and preserves stored data only.
    "xml/request1.xml": "LITaskObject 2b36a78b-b628-416d-bd22-404e68a0cd36 is an LI task",
    "json/request1.json": "LITaskObject 2b36a78b-b628-416d-bd22-404e68a0cd36 is an LI task",
    "json/request1_signed.json": "the JWS uses 'HS256'",
    "xml/request6_signed.xml": "cannot verify XML signatures",
    "xml/mutliple-auth-example-request.xml": "is an LI task",
    "xml/request11_LIDestinationObject.xml": "LIDestinationObject",
    "json/request11_LIDestinationObject.json": "LIDestinationObject",
    # A document attached by UPDATE to an authorisation filed earlier: demands are not amended.
    "xml/request3.xml": "UPDATE is not supported",
    "json/request3.json": "UPDATE is not supported",
    # Traffic policies steer interception.
    "xml/request7_TrafficPolicyObject.xml": "TrafficPolicyObject",
    "json/request7-TrafficPolicyObject.json": "TrafficPolicyObject",
    # A delivery to the provider: Comity delivers, it does not receive.
    "xml/request5-Binary-Delivery.xml": "DELIVER to the provider is not supported",
    "xml/request5-XML-Delivery.xml": "DELIVER to the provider is not supported",
    "json/request5-Binary-Delivery.json": "DELIVER to the provider is not supported",
    "json/request5-JSON-Delivery.json": "DELIVER to the provider is not supported",
    # A takedown is neither disclosure nor preservation.
    "xml/request_takedown.xml": "is a takedown task",
    # A preservation task with no authorisation: a demand needs its legal basis.
    "xml/request8_LPTaskObject.xml": "associated with no AuthorisationObject",
    "json/request8_LPTaskObject.json": "associated with no AuthorisationObject",
    # An authorisation alone names no data and no target.
    "xml/request9_contact_details.xml": "no LDTaskObject or LPTaskObject is associated",
    # The JSON twin of request4 leaves out RequestDetails.Type: no category to assess.
    "json/request4.json": "RequestDetails.Type is missing",
    # request4-Preservation-Link asks for no RequestType either.
    "xml/request4-Preservation-Link.xml": "RequestDetails.Type is missing",
    "json/request4-Preservation-Link.json": "RequestDetails.Type is missing",
    # Service access identifiers and IP addresses do not name an account in Comity.
    "xml/request4-TargetIdentifierSubtype.xml": "target format ETSI/ServiceAccessIdentifier",
    "json/request4-TargetIdentifierSubtype.json": "target format ETSI/ServiceAccessIdentifier",
    "xml/request6.xml": "target format ETSI/IPv4Address",
}


@pytest.fixture
def pw(tmp_path: Path) -> ProductionWorld:
    world = build(tmp_path / "dep")
    register_example_sender(world.comity)
    return world


@pytest.fixture
def api(pw: ProductionWorld) -> Iterator[TestClient]:
    with TestClient(create_app(pw.comity)) as client:
        yield client


def _post(api: TestClient, pw: ProductionWorld, name: str) -> tuple[int, bytes, dict[str, str]]:
    media = "application/xml" if name.endswith(".xml") else "application/json"
    response = api.post(
        f"/hi1?instrument={INSTRUMENT}",
        content=example(name),
        headers={**pw.auth("admin"), "Content-Type": media},
    )
    return response.status_code, response.content, dict(response.headers)


def _stored(pw: ProductionWorld) -> tuple[int, int]:
    from comity.adapters.controlplane.etsi_tables import EtsiObjectRow  # noqa: PLC0415
    from comity.adapters.controlplane.tables import AuditEntryRow  # noqa: PLC0415

    with pw.comity.uow() as uow:
        entries = uow.session.query(AuditEntryRow).count()
        objects = uow.session.query(EtsiObjectRow).count()
    with pw.comity.intake_uow() as iuow:
        demands = iuow.intake.count_demands(DemandFilter())
    return entries + objects, demands


def test_every_request_example_is_accounted_for() -> None:
    folder = etsi_dir() / "examples"
    names = {
        f"{p.parent.name}/{p.name}"
        for p in folder.glob("*/*")
        if p.name.startswith(("request", "mutliple")) and p.suffix in (".xml", ".json")
    }
    assert names == set(IMPORTS) | set(ANSWERED) | set(REFUSED)


@pytest.mark.parametrize("name", IMPORTS)
def test_importable_example_becomes_a_demand_matching_the_message(
    api: TestClient, pw: ProductionWorld, name: str
) -> None:
    code, body, headers = _post(api, pw, name)
    assert code == 201, body
    answer = codec.parse(body).root
    responses = answer.at("Payload", "ResponsePayload", "ActionResponses")
    assert responses is not None
    created = {
        r.text_at("CREATEResponse", "Identifier"): r.at("CREATEResponse", "HI1Object")
        for r in responses.all("ActionResponse")
    }
    auth = created["7dbbc880-8750-4d3c-abe7-ea4a17646045"]
    task = created["2b36a78b-b628-416d-bd22-404e68a0cd36"]
    assert auth is not None
    assert task is not None
    demand_id = auth.text_at("ExternalIdentifier")
    assert demand_id is not None
    assert demand_id == task.text_at("ExternalIdentifier")
    assert auth.text_at("AuthorisationStatus", "Value") == "AwaitingApproval"
    assert task.text_at("Status", "Value") == "AwaitingApproval"
    assert task.text_at("Reference") == "XX-ACTOR01-1234"
    with pw.comity.intake_uow() as uow:
        record = uow.intake.get_demand(demand_id)
    assert record is not None
    assert record.agency_id == "xx-actor01"
    doc = record.document
    assert doc["reference"] == "W000001"
    assert doc["instrument"] == INSTRUMENT
    assert doc["categories"] == ["subscriber"]
    assert doc["targets"] == [{"type": "phone", "value": "+442079460223"}]
    assert doc["period"] == {"start": "2019-09-30", "end": "2019-12-30"}
    assert doc["issuing_authority"] == {
        "country": "GB",
        "kind": "police",
        "name": "Example Police Service",
    }
    assert doc["emergency"] is None
    warnings = headers.get("comity-warning", "")
    assert "DeliveryDetails is not kept" in warnings
    assert "kept as the whole days 2019-09-30 to 2019-12-30" in warnings


@pytest.mark.parametrize("name", sorted(ANSWERED))
def test_get_and_config_examples_are_answered_and_import_nothing(
    api: TestClient, pw: ProductionWorld, name: str
) -> None:
    before = _stored(pw)
    code, body, _ = _post(api, pw, name)
    assert code == 200, body
    answer = codec.parse(body).root
    responses = answer.at("Payload", "ResponsePayload", "ActionResponses")
    assert responses is not None
    kinds = {c.local for r in responses.all("ActionResponse") for c in r.children} - {
        "ActionIdentifier"
    }
    if ANSWERED[name] == "GETResponse":
        # Nothing was imported under these identifiers: each GET says so, in HI-1's own terms.
        assert kinds == {"ErrorInformation"}
        error = responses.all("ActionResponse")[0].one("ErrorInformation")
        assert error is not None
        assert "no object 2b36a78b-b628-416d-bd22-404e68a0cd36" in (
            error.text_at("ErrorDescription") or ""
        )
    else:
        assert kinds == {"GETCSPCONFIGResponse"}
        config = responses.all("ActionResponse")[0].one("GETCSPCONFIGResponse")
        assert config is not None
        _assert_config(config)
    assert _stored(pw) == before


def _assert_config(config: Element) -> None:
    targeting = config.one("TargetingConfigurations")
    assert targeting is not None
    entries = targeting.all("TargetingConfiguration")
    # Two regions (us-west, eu-ie) times four target formats.
    assert len(entries) == 8
    guidance = " ".join(e.text_at("Guidance") or "" for e in entries)
    assert "Region us-west (US)" in guidance
    assert "Region eu-ie (IE)" in guidance
    formats = {(e.text_at("FormatOwner"), e.text_at("FormatName")) for e in entries}
    assert ("ETSI", "EmailAddress") in formats
    assert ("ETSI", "InternationalE164") in formats
    ld = entries[0].one("AssociatedLDRequestTypes")
    assert ld is not None
    assert {d.text_at("Value") for d in ld.all("DictionaryEntry")} >= {
        "SubscriberData",
        "UserIdentifyingData",
        "TrafficData",
        "StoredContentData",
    }


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_unsupported_example_is_refused_with_a_sentence_and_stores_nothing(
    api: TestClient, pw: ProductionWorld, name: str
) -> None:
    before = _stored(pw)
    code, body, _ = _post(api, pw, name)
    assert 400 <= code < 500, body
    error = json.loads(body)
    assert any(REFUSED[name] in p for p in error["error"]["problems"]), error
    assert _stored(pw) == before


def test_cli_imports_an_example_prints_the_demand_and_writes_the_answer(
    pw: ProductionWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = tmp_path / "request4.xml"
    message.write_bytes(example("xml/request4.xml"))
    answer = tmp_path / "answer.xml"
    code, out, err = _cli(
        [
            "--dir",
            str(pw.comity.home),
            "demand",
            "import",
            str(message),
            "--instrument",
            INSTRUMENT,
            "--answer",
            str(answer),
            "--no-case",
        ],
        capsys,
    )
    assert code == 0, err
    demand_id = out.strip()
    assert demand_id.startswith("dem-")
    assert "warning:" in err
    assert "DeliveryDetails is not kept" in err
    parsed = codec.parse(answer.read_bytes())
    assert parsed.form == "xml"
    ids = [o.text_at("ExternalIdentifier") for o in _all(parsed.root, "HI1Object")]
    assert ids == [demand_id, demand_id]
    # The same transaction again is answered from what was stored: no second demand.
    code, out2, err = _cli(
        [
            "--dir",
            str(pw.comity.home),
            "demand",
            "import",
            str(message),
            "--instrument",
            INSTRUMENT,
            "--no-case",
        ],
        capsys,
    )
    assert code == 0, err
    assert out2.strip() == demand_id


def test_cli_refuses_an_li_example_with_one_sentence_per_problem(
    pw: ProductionWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = tmp_path / "request1.json"
    message.write_bytes(example("json/request1.json"))
    code, out, err = _cli(
        [
            "--dir",
            str(pw.comity.home),
            "demand",
            "import",
            str(message),
            "--instrument",
            INSTRUMENT,
        ],
        capsys,
    )
    assert code == 2
    assert out == ""
    assert f"{message}: ActionRequest 1: LITaskObject" in err
    assert "Comity does not support it" in err


def _all(node: Element, name: str) -> list[Element]:
    found = [node] if node.local == name else []
    for child in node.children:
        found += _all(child, name)
    return found


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
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
    return code, out.out, out.err


def test_the_hi1_service_opens_each_case_in_the_call_that_files_the_demand(
    pw: ProductionWorld,
) -> None:
    """Issue 12: entry points opened the imported demands' cases with a second call after
    ``hi1.handle`` returned; the service now files each demand and opens its case in one call."""
    from comity.adapters.controlplane.etsi_repo import etsi_uow_factory  # noqa: PLC0415
    from comity.entrypoints.cli.demand_cmd import OPERATOR  # noqa: PLC0415
    from comity.law.countries import known_countries  # noqa: PLC0415
    from comity.services.cases.actions import LawContext  # noqa: PLC0415
    from comity.services.etsi import hi1  # noqa: PLC0415

    comity = pw.comity
    answer = hi1.handle(
        etsi_uow_factory(comity.engine, comity.clock.now, comity.audit_signer),
        comity.clock,
        OPERATOR,
        codec.parse(example("xml/request4.xml")),
        known_countries=known_countries(),
        regions=[(r.id, r.country) for r in comity.deployment.regions],
        instrument=INSTRUMENT,
        law=LawContext(comity.assessor, comity.deployment, known_countries()),
    )
    [imported] = answer.demands
    with comity.intake_uow() as uow:
        case = uow.cases.for_demand(imported.record.id)
    assert case is not None
