"""The intake API over real HTTP on loopback: roles and scope, signed demands, idempotency,
withdrawal, the emergency call-back gate, size limits and malformed input that stores nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import select
from tests.intake_support import (
    FakeAssessor,
    World,
    body,
    demand_doc,
    populate,
    serving,
    sign,
    told_verified_by,
)

from comity.adapters.controlplane.intake_tables import AttachmentRow, DemandRow, TokenRow
from comity.adapters.controlplane.tables import AuditEntryRow
from comity.bootstrap import initialise, open_deployment
from comity.domain.accounts import Account, Selector
from comity.domain.registry import StaffRole, User
from comity.entrypoints.api.app import create_app
from comity.services.accounts import create_account
from comity.services.identity import create_user, hash_password
from comity.services.intake import demands as svc
from comity.services.sign_in import enrol_totp

PDF = b"%PDF-1.7\n" + b"0" * 2000 + b"\n%%EOF\n"
MAX_BODY = 512 * 1024
MAX_FILE = 256 * 1024


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    home: Path = tmp_path_factory.mktemp("intake")
    initialise(home, demo=False)
    return populate(open_deployment(home))


@pytest.fixture(scope="module")
def api(world: World) -> Iterator[httpx.Client]:
    app = create_app(
        world.comity, assessor=FakeAssessor(), max_body_bytes=MAX_BODY, max_file_bytes=MAX_FILE
    )
    with serving(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client


def stored(world: World, reference: str) -> int:
    with world.comity.intake_uow() as uow:
        return len(
            uow.session.scalars(select(DemandRow).where(DemandRow.reference == reference)).all()
        )


def error(response: httpx.Response) -> dict[str, Any]:
    doc = response.json()
    assert set(doc) == {"error"}
    assert set(doc["error"]) == {"code", "message", "problems"}
    assert doc["error"]["problems"]
    return doc["error"]  # type: ignore[no-any-return]


def submit_signed(
    api: httpx.Client, world: World, doc: dict[str, Any], user: str = "jsmith"
) -> httpx.Response:
    raw = body(doc)
    headers = {
        **world.auth(user),
        "Content-Type": "application/json",
        "Comity-Signature": sign(world.dea_key, "dea-2026", raw),
    }
    return api.post("/demands", content=raw, headers=headers)


# -- identity ----------------------------------------------------------------------------------


def test_no_token_or_an_unknown_token_gets_401_in_the_one_error_shape(api: httpx.Client) -> None:
    assert error(api.get("/demands"))["code"] == "unauthenticated"
    bad = api.get("/demands", headers={"Authorization": "Bearer cmy_nope"})
    assert bad.status_code == 401
    assert error(bad)["message"] == "the API token is not valid"


def test_tokens_are_stored_only_as_hashes(world: World) -> None:
    with world.comity.intake_uow() as uow:
        hashes = set(uow.session.scalars(select(TokenRow.token_hash)).all())
    token = world.tokens["jsmith"]
    assert token not in hashes
    assert hashlib.sha256(token.encode()).hexdigest() in hashes


def test_whoami_shows_staff_roles_and_requester_scope(api: httpx.Client, world: World) -> None:
    assert api.get("/whoami", headers=world.auth("rev")).json()["roles"] == ["reviewer"]
    me = api.get("/whoami", headers=world.auth("jsmith")).json()
    assert (me["kind"], me["agency"], me["may_file_emergency"]) == ("requester", "us-dea", True)


def test_password_login_issues_a_working_token(api: httpx.Client, world: World) -> None:
    c = world.comity
    create_user(
        c.intake_uow,
        c.clock,
        User(
            "pw",
            "P W",
            "pw@provider.example",
            frozenset({StaffRole.AUDITOR}),
            password_hash=hash_password("correct horse battery"),
        ),
        actor="test",
    )
    secret = enrol_totp(c.console_uow, c.clock, "pw", actor="test")
    login = {"email": "pw@provider.example", "password": "correct horse battery"}
    wrong = api.post("/auth/token", json={**login, "password": "nope"})
    assert wrong.status_code == 401
    code = pyotp.TOTP(secret).at(c.clock.now())
    token = api.post("/auth/token", json={**login, "code": code}).json()["token"]
    assert api.get("/whoami", headers={"Authorization": f"Bearer {token}"}).json()["id"] == "pw"


def test_staff_endpoints_refuse_requesters_and_the_wrong_roles(
    api: httpx.Client, world: World
) -> None:
    assert api.get("/authorities", headers=world.auth("jsmith")).status_code == 403
    assert api.get("/authorities", headers=world.auth("aud")).status_code == 200
    new = {"id": "de-bka", "name": "BKA", "country": "DE", "kind": "police"}
    assert api.post("/authorities", json=new, headers=world.auth("rev")).status_code == 403
    created = api.post("/authorities", json=new, headers=world.auth("admin"))
    assert created.status_code == 201
    assert created.json()["status"] == "pending"
    lookup = "/accounts/lookup?type=email&value=target@example.com"
    assert api.get(lookup, headers=world.auth("jsmith")).status_code == 403


def test_staff_look_up_an_account_by_selector(api: httpx.Client, world: World) -> None:
    c = world.comity
    create_account(
        c.uow,
        Account("acct-1", (Selector("email", "who@example.com"),), "us-west"),
        actor="t",
        clock=c.clock,
    )
    found = api.get(
        "/accounts/lookup",
        params={"type": "email", "value": "WHO@example.com"},
        headers=world.auth("rev"),
    )
    assert found.json()["id"] == "acct-1"
    missing = api.get(
        "/accounts/lookup",
        params={"type": "email", "value": "no@example.com"},
        headers=world.auth("rev"),
    )
    assert missing.status_code == 404


# -- submission --------------------------------------------------------------------------------


def test_a_signed_demand_is_verified_and_logged(api: httpx.Client, world: World) -> None:
    r = submit_signed(api, world, demand_doc("SIGNED-1"))
    assert r.status_code == 201, r.text
    d = r.json()
    assert (d["verification"], d["signature_key_id"], d["agency"]) == (
        "signature",
        "dea-2026",
        "us-dea",
    )
    assert d["disclosure_blocked"] is False
    assert d["fraud_signs"] == []
    with world.comity.intake_uow() as uow:
        actions = uow.session.scalars(
            select(AuditEntryRow.action).where(AuditEntryRow.subject == f"demand/{d['id']}")
        ).all()
    # With a law engine configured, the case opens right after intake (docs/workflow.md).
    assert actions == ["demand:received", "demand:assessment:created"]


def test_a_signature_over_other_bytes_is_refused_and_nothing_is_stored(
    api: httpx.Client, world: World
) -> None:
    raw = body(demand_doc("FORGED-1"))
    sig = sign(world.dea_key, "dea-2026", raw)
    tampered = raw.replace(b"target@example.com", b"victim@example.com")
    r = api.post(
        "/demands",
        content=tampered,
        headers={
            **world.auth("jsmith"),
            "Content-Type": "application/json",
            "Comity-Signature": sig,
        },
    )
    assert r.status_code == 403
    assert "does not verify" in error(r)["message"]
    unknown = api.post(
        "/demands",
        content=raw,
        headers={
            **world.auth("jsmith"),
            "Content-Type": "application/json",
            "Comity-Signature": sig.replace("dea-2026", "dea-1999"),
        },
    )
    assert unknown.status_code == 403
    assert stored(world, "FORGED-1") == 0


def test_multipart_with_a_signed_pdf_keeps_the_file_and_its_sha256(
    api: httpx.Client, world: World
) -> None:
    raw = body(demand_doc("FILE-1"))
    headers = {
        **world.auth("jsmith"),
        "Comity-Signature": sign(world.dea_key, "dea-2026", raw, PDF),
    }
    r = api.post(
        "/demands",
        files={
            "demand": ("d.json", raw, "application/json"),
            "file": ("warrant.pdf", PDF, "application/pdf"),
        },
        headers=headers,
    )
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["verification"] == "signature"
    [att] = d["attachments"]
    assert att["sha256"] == "sha256:" + hashlib.sha256(PDF).hexdigest()
    assert att["media_type"] == "application/pdf"
    download = api.get(f"/demands/{d['id']}/attachments/{att['id']}", headers=world.auth("jdoe"))
    assert download.content == PDF
    assert (
        api.get(
            f"/demands/{d['id']}/attachments/{att['id']}", headers=world.auth("pierre")
        ).status_code
        == 404
    )


def test_a_file_that_is_not_pdf_or_image_is_refused(api: httpx.Client, world: World) -> None:
    r = api.post(
        "/demands",
        files={
            "demand": ("d.json", body(demand_doc("EXE-1"))),
            "file": ("x.pdf", b"MZ\x90\x00 not a pdf"),
        },
        headers=world.auth("jsmith"),
    )
    assert r.status_code == 400
    assert error(r)["message"].startswith("file: expected a PDF, PNG, JPEG or TIFF file")
    assert stored(world, "EXE-1") == 0


def test_the_same_reference_from_the_same_agency_is_one_demand(
    api: httpx.Client, world: World
) -> None:
    first = submit_signed(api, world, demand_doc("IDEM-1"))
    again = api.post("/demands", json=demand_doc("IDEM-1"), headers=world.auth("jdoe"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    other_agency = api.post("/demands", json=demand_doc("IDEM-1"), headers=world.auth("pierre"))
    assert other_agency.status_code == 201
    assert other_agency.json()["id"] != first.json()["id"]
    assert stored(world, "IDEM-1") == 2


def test_a_requester_never_sees_another_agencys_demand(api: httpx.Client, world: World) -> None:
    dea = submit_signed(api, world, demand_doc("ISO-1")).json()
    as_pierre = api.get(f"/demands/{dea['id']}", headers=world.auth("pierre"))
    nonexistent = api.get("/demands/dem-0000000000000000", headers=world.auth("pierre"))
    assert as_pierre.status_code == nonexistent.status_code == 404
    assert error(as_pierre)["message"] == f"no demand with id {dea['id']!r}"
    assert api.get(f"/demands/{dea['id']}/status", headers=world.auth("pierre")).status_code == 404
    assert (
        api.post(f"/demands/{dea['id']}/withdraw", headers=world.auth("pierre")).status_code == 404
    )
    listed = api.get(
        "/demands", params={"limit": 200, "agency": "us-dea"}, headers=world.auth("pierre")
    ).json()
    assert all(item["agency"] == "fr-police" for item in listed["items"])
    assert dea["id"] not in {item["id"] for item in listed["items"]}
    assert api.get(f"/demands/{dea['id']}", headers=world.auth("jdoe")).status_code == 200


def test_listing_filters_and_paginates(api: httpx.Client, world: World) -> None:
    for i in range(3):
        submit_signed(api, world, demand_doc(f"PAGE-{i}"))
    page = api.get("/demands", params={"limit": 2}, headers=world.auth("rev")).json()
    assert len(page["items"]) == 2
    assert page["next"] is not None
    rest = api.get(
        "/demands", params={"limit": 500, "cursor": page["next"]}, headers=world.auth("rev")
    ).json()
    assert rest["next"] is None
    seen = [d["id"] for d in page["items"] + rest["items"]]
    assert len(seen) == len(set(seen)) >= 3
    one = api.get("/demands", params={"reference": "PAGE-1"}, headers=world.auth("rev")).json()
    assert [d["reference"] for d in one["items"]] == ["PAGE-1"]
    bad = api.get("/demands", params={"limit": 0}, headers=world.auth("rev"))
    assert bad.status_code == 400
    assert error(bad)["problems"][0] == "limit: expected 1 to 500 demands a page, got 0"


def test_the_requester_who_filed_withdraws_and_others_cannot(
    api: httpx.Client, world: World
) -> None:
    d = submit_signed(api, world, demand_doc("WD-1")).json()
    assert api.post(f"/demands/{d['id']}/withdraw", headers=world.auth("jdoe")).status_code == 403
    assert api.post(f"/demands/{d['id']}/withdraw", headers=world.auth("rev")).status_code == 403
    r = api.post(
        f"/demands/{d['id']}/withdraw", json={"reason": "case closed"}, headers=world.auth("jsmith")
    )
    assert r.json()["status"] == "withdrawn"
    status = api.get(f"/demands/{d['id']}/status", headers=world.auth("jsmith")).json()
    assert status["disclosure_blocked"] is True
    assert "withdrew" in status["disclosure_blocked_reason"]


# -- verification and fraud --------------------------------------------------------------------


def test_an_emergency_request_is_blocked_until_a_registry_callback_confirms_it(
    api: httpx.Client, world: World
) -> None:
    doc = demand_doc(
        "EMERG-1",
        instrument="us.emergency_request",
        emergency={"threat": "kidnapping in progress", "verified_by": "callback"},
    )
    assert (
        api.post("/demands", json=doc, headers=world.auth("jdoe")).status_code == 403
    )  # not permitted
    d = submit_signed(api, world, doc).json()
    assert d["disclosure_blocked"] is True
    assert "call-back" in d["disclosure_blocked_reason"]
    url = f"/demands/{d['id']}/callback"
    assert (
        api.post(
            url,
            json={"contact": "DEA watch desk", "outcome": "confirmed"},
            headers=world.auth("jsmith"),
        ).status_code
        == 403
    )
    assert (
        api.post(
            url,
            json={"contact": "DEA watch desk", "outcome": "confirmed"},
            headers=world.auth("aud"),
        ).status_code
        == 403
    )
    from_request = api.post(
        url,
        json={"contact": "the agent who wrote", "outcome": "confirmed"},
        headers=world.auth("rev"),
    )
    assert from_request.status_code == 404  # well formed; it names no contact in the registry
    assert "not a registry contact" in error(from_request)["message"]
    unreachable = api.post(
        url, json={"contact": "DEA watch desk", "outcome": "unreachable"}, headers=world.auth("rev")
    ).json()
    assert unreachable["disclosure_blocked"] is True
    assert "call-back" in (svc.disclosure_blocked_reason(world.comity.intake_uow, d["id"]) or "")
    ok = api.post(
        url,
        json={
            "contact": "DEA watch desk",
            "outcome": "confirmed",
            "note": "duty officer confirmed",
        },
        headers=world.auth("rev"),
    ).json()
    assert ok["disclosure_blocked"] is False
    assert [c["outcome"] for c in ok["callbacks"]] == ["unreachable", "confirmed"]
    assert svc.disclosure_blocked_reason(world.comity.intake_uow, d["id"]) is None


def test_the_law_engine_sees_only_verification_comity_recorded(
    api: httpx.Client, world: World
) -> None:
    claim = {"threat": "imminent harm", "verified_by": "callback"}  # the request's own claim
    d = api.post(
        "/demands", json=demand_doc("EMERG-CLAIM", emergency=claim), headers=world.auth("jsmith")
    ).json()
    url = f"/demands/{d['id']}/assessments"
    before = api.post(url, json={"as_of": "2026-11-23"}, headers=world.auth("rev")).json()
    assert before["assessment"]["findings"][0]["explanation"] == told_verified_by(None)
    api.post(
        f"/demands/{d['id']}/callback",
        json={"contact": "DEA watch desk", "outcome": "confirmed"},
        headers=world.auth("rev"),
    )
    after = api.post(url, json={"as_of": "2026-11-23"}, headers=world.auth("rev")).json()
    assert after["assessment"]["findings"][0]["explanation"] == told_verified_by("callback")


def test_a_denied_callback_refuses_the_demand_for_good(api: httpx.Client, world: World) -> None:
    doc = demand_doc("EMERG-2", emergency={"threat": "imminent harm"})
    d = submit_signed(api, world, doc).json()
    denied = api.post(
        f"/demands/{d['id']}/callback",
        json={"contact": "DEA watch desk", "outcome": "denied"},
        headers=world.auth("rev"),
    ).json()
    assert denied["status"] == "refused"
    assert denied["disclosure_blocked"] is True
    assert "callback_denied" in {s["code"] for s in denied["fraud_signs"]}


def test_unsigned_from_an_unverified_domain_is_blocked_until_staff_verify(
    api: httpx.Client, world: World
) -> None:
    d = api.post("/demands", json=demand_doc("UNVER-1"), headers=world.auth("newcop")).json()
    assert d["verification"] == "unverified"
    assert "unverified requester" in d["disclosure_blocked_reason"]
    assert "agency_pending" in {s["code"] for s in d["fraud_signs"]}
    assert (
        api.post(
            f"/demands/{d['id']}/verify",
            json={"note": "called the desk"},
            headers=world.auth("rev"),
        ).status_code
        == 403
    )
    v = api.post(
        f"/demands/{d['id']}/verify",
        json={"note": "called the city switchboard"},
        headers=world.auth("appr"),
    ).json()
    assert (v["verification"], v["verified_by"], v["disclosure_blocked"]) == (
        "staff",
        "appr",
        False,
    )


def test_unsigned_from_a_verified_domain_of_a_verified_agency_passes(
    api: httpx.Client, world: World
) -> None:
    d = api.post("/demands", json=demand_doc("DOMAIN-1"), headers=world.auth("jdoe")).json()
    assert (d["verification"], d["disclosure_blocked"]) == ("domain", False)


def test_lookalike_domains_and_unknown_contacts_are_flagged(
    api: httpx.Client, world: World
) -> None:
    agency = {
        "name": "DEA",
        "country": "US",
        "contact": {"name": "Agent", "email": "agent@dea.gov.us", "phone": "+1 202 555 9999"},
    }
    d = api.post(
        "/demands",
        json=demand_doc("FRAUD-1", requesting_agency=agency),
        headers=world.auth("lookalike"),
    ).json()
    codes = [s["code"] for s in d["fraud_signs"]]
    assert codes.count("lookalike_domain") == 2  # the requester's own address and the contact's
    assert codes.count("contact_not_in_registry") == 2  # e-mail and phone
    assert d["verification"] == "unverified"
    assert "fraud signs not cleared" in d["disclosure_blocked_reason"]
    messages = " ".join(s["message"] for s in d["fraud_signs"])
    assert "dea-gov.com resembles dea.gov" in messages


def test_a_suspended_requester_is_flagged_and_a_blocklisted_agency_refused(
    api: httpx.Client, world: World
) -> None:
    d = api.post("/demands", json=demand_doc("SUSP-1"), headers=world.auth("sus")).json()
    assert "requester_suspended" in {s["code"] for s in d["fraud_signs"]}
    assert d["disclosure_blocked"] is True
    r = api.post("/demands", json=demand_doc("BLOCK-1"), headers=world.auth("sheriff"))
    assert r.status_code == 403
    assert "blocklisted" in error(r)["message"]
    assert stored(world, "BLOCK-1") == 0


# -- malformed and oversized -------------------------------------------------------------------


def test_malformed_json_gets_a_clear_4xx_and_stores_nothing(
    api: httpx.Client, world: World
) -> None:
    before = _counts(world)
    r = api.post(
        "/demands",
        content=b'{"reference": "BAD-1",',
        headers={**world.auth("jsmith"), "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert error(r)["message"].startswith("the demand is not valid JSON: Expecting")
    nan = api.post(
        "/demands",
        content=b'{"reference": NaN}',
        headers={**world.auth("jsmith"), "Content-Type": "application/json"},
    )
    assert "NaN is not a JSON number" in error(nan)["message"]
    wrong = api.post(
        "/demands",
        json=demand_doc("BAD-2", categories=["contnet"], received_at="yesterday", targets=[]),
        headers=world.auth("jsmith"),
    )
    assert wrong.status_code == 400
    problems = error(wrong)["problems"]
    assert len(problems) == 3
    assert any(p.startswith("received_at: expected a date and time") for p in problems)
    assert any(p.startswith("targets: expected a non-empty list") for p in problems)
    assert any(p.startswith("categories[0]:") for p in problems)
    assert api.post("/demands", json=[1, 2], headers=world.auth("jsmith")).status_code == 400
    assert _counts(world) == before


def test_oversized_bodies_and_files_get_413_and_store_nothing(
    api: httpx.Client, world: World
) -> None:
    before = _counts(world)
    huge = api.post(
        "/demands",
        content=b"x" * (MAX_BODY + 1),
        headers={**world.auth("jsmith"), "Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    assert error(huge)["code"] == "too_large"
    big_file = b"%PDF-1.4\n" + b"0" * MAX_FILE
    r = api.post(
        "/demands",
        files={"demand": ("d.json", body(demand_doc("BIG-1"))), "file": ("w.pdf", big_file)},
        headers=world.auth("jsmith"),
    )
    assert r.status_code == 413
    assert error(r)["message"].startswith("file: the legal-process file is")
    assert _counts(world) == before


def test_unknown_routes_get_the_one_error_shape(api: httpx.Client, world: World) -> None:
    r = api.get("/nowhere", headers=world.auth("rev"))
    assert r.status_code == 404
    assert error(r)["code"] == "not_found"


# -- assessments -------------------------------------------------------------------------------


def test_staff_run_an_assessment_and_it_is_stored_with_the_rule_pack_digest(
    api: httpx.Client, world: World
) -> None:
    d = submit_signed(api, world, demand_doc("ASSESS-1")).json()
    assert (
        api.post(
            f"/demands/{d['id']}/assessments",
            json={"as_of": "2016-07-14"},
            headers=world.auth("jsmith"),
        ).status_code
        == 403
    )
    r = api.post(
        f"/demands/{d['id']}/assessments", json={"as_of": "2016-07-14"}, headers=world.auth("rev")
    )
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["rule_pack_digest"] == "sha256:" + "ab" * 32
    assert len(a["assessment"]["findings"]) == 2
    got = api.get(f"/assessments/{a['id']}", headers=world.auth("aud")).json()
    assert got == a
    # The first is the one the demand's case opened with on receipt (docs/workflow.md).
    assert [
        x["id"]
        for x in api.get(f"/demands/{d['id']}/assessments", headers=world.auth("aud")).json()[
            "items"
        ]
    ][1:] == [a["id"]]


def _counts(world: World) -> tuple[int, int, int]:
    with world.comity.intake_uow() as uow:
        s = uow.session
        return (
            len(s.scalars(select(DemandRow.id)).all()),
            len(s.scalars(select(AttachmentRow.id)).all()),
            len(s.scalars(select(AuditEntryRow.idx)).all()),
        )
