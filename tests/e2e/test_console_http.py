"""The console and portal over HTTP: sign-in with TOTP, CSRF, headers, agency scoping, audit."""

from __future__ import annotations

import hashlib
import html
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
import sqlalchemy
from fastapi.testclient import TestClient
from tests.intake_support import FakeAssessor, demand_doc
from tests.web_support import (
    PASSWORD,
    PDF,
    WebDeployment,
    copy_of,
    csrf_of,
    sign_in_client,
    web_deployment,
)
from typer.testing import CliRunner

from comity.bootstrap import initialise
from comity.entrypoints.api.app import create_app
from comity.entrypoints.cli.main import app
from comity.law.countries import known_countries
from comity.services.cases import actions as cases
from comity.services.intake import demands


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> WebDeployment:
    return web_deployment(tmp_path_factory.mktemp("web-template"))


@pytest.fixture
def web(template: WebDeployment, tmp_path: Path) -> WebDeployment:
    return copy_of(template, tmp_path / "deployment")


@pytest.fixture
def client(web: WebDeployment) -> TestClient:
    return TestClient(create_app(web.comity, assessor=FakeAssessor()))


def _post_sign_in(client: TestClient, email: str, code: str, password: str = PASSWORD) -> object:
    token = csrf_of(client.get("/sign-in").text)
    return client.post(
        "/sign-in",
        data={"email": email, "password": password, "code": code, "csrf": token},
        follow_redirects=False,
    )


def _actions(web: WebDeployment, prefix: str) -> list[str]:
    with web.comity.reader() as uow:
        size = uow.audit.size()
        return [
            e.action
            for e in (uow.audit.entry(i) for i in range(size))
            if e.action.startswith(prefix)
        ]


def test_staff_sign_in_needs_the_right_totp_code(web: WebDeployment, client: TestClient) -> None:
    wrong = "000000" if web.code("rita") != "000000" else "111111"
    response = _post_sign_in(client, "rita@provider.example", wrong)
    assert response.status_code == 401
    assert "comity_session" not in response.headers.get("set-cookie", "")
    assert "the e-mail address, password or code is not right" in response.text
    assert client.get("/console", follow_redirects=False).headers["location"].startswith("/sign-in")
    ok = _post_sign_in(client, "rita@provider.example", web.code("rita"))
    assert ok.status_code == 303
    assert ok.headers["location"] == "/console"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert client.get("/console").status_code == 200
    assert _actions(web, "user:signed-in") == ["user:signed-in"]


def test_a_totp_code_cannot_be_replayed(web: WebDeployment, client: TestClient) -> None:
    code = web.code("alan")
    assert _post_sign_in(client, "alan@provider.example", code).status_code == 303
    other = TestClient(client.app)
    assert _post_sign_in(other, "alan@provider.example", code).status_code == 401


def test_wrong_password_and_unknown_email_read_the_same(
    web: WebDeployment, client: TestClient
) -> None:
    a = _post_sign_in(client, "rita@provider.example", web.code("rita"), password="x" * 12)
    b = _post_sign_in(client, "nobody@provider.example", "123456")
    assert a.status_code == b.status_code == 401  # type: ignore[attr-defined]


def test_staff_without_a_second_factor_cannot_sign_in(
    web: WebDeployment, client: TestClient
) -> None:
    with web.comity.console_uow() as uow:
        uow.session.execute(sqlalchemy.text("DELETE FROM console_totp"))
        uow.commit()
    response = _post_sign_in(client, "rita@provider.example", "")
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert "comity users totp rita" in response.text  # type: ignore[attr-defined]


def test_sign_in_is_locked_after_five_failures(web: WebDeployment, client: TestClient) -> None:
    for _ in range(5):
        assert _post_sign_in(client, "rita@provider.example", "000000", "x" * 12).status_code == 401  # type: ignore[attr-defined]
    locked = _post_sign_in(client, "rita@provider.example", web.code("rita"))
    assert locked.status_code == 429  # type: ignore[attr-defined]
    assert "too many failed sign-ins" in locked.text  # type: ignore[attr-defined]


def test_forms_without_the_csrf_token_are_refused(web: WebDeployment, client: TestClient) -> None:
    # Sign-in without the double-submit cookie's token.
    response = client.post(
        "/sign-in",
        data={"email": "rita@provider.example", "password": PASSWORD, "code": web.code("rita")},
        follow_redirects=False,
    )
    assert response.status_code == 403
    sign_in_client(client, web, "dea-agent")
    page = client.get(f"/portal/demands/{web.warrant_id}")
    assert page.status_code == 200
    for token in ("", "forged"):
        refused = client.post(
            f"/portal/demands/{web.warrant_id}/messages",
            data={"csrf": token, "body": "hello"},
            follow_redirects=False,
        )
        assert refused.status_code == 403
        assert "stale or did not come from Comity" in refused.text
    assert _actions(web, "demand:message") == []
    sent = client.post(
        f"/portal/demands/{web.warrant_id}/messages",
        data={"csrf": csrf_of(page.text), "body": "Any news?"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert _actions(web, "demand:message") == ["demand:message:posted"]
    assert "Any news?" in client.get(f"/portal/demands/{web.warrant_id}").text


def test_pages_carry_the_security_headers(web: WebDeployment, client: TestClient) -> None:
    for path in ("/sign-in", "/microsoft-ireland", "/static/console.css"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
    assert client.get("/sign-in").headers["cache-control"] == "no-store"


def test_the_cookie_is_secure_over_https(web: WebDeployment) -> None:
    client = TestClient(create_app(web.comity), base_url="https://comity.example")
    token = csrf_of(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={
            "email": "rita@provider.example",
            "password": PASSWORD,
            "code": web.code("rita"),
            "csrf": token,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


def test_a_requester_sees_only_their_agencys_demands(
    web: WebDeployment, client: TestClient
) -> None:
    sign_in_client(client, web, "fbi-agent")
    assert web.warrant_id not in client.get("/portal").text
    other = client.get(f"/portal/demands/{web.warrant_id}")
    assert other.status_code == 404
    assert f"no demand with id {web.warrant_id!r}" in html.unescape(other.text)
    assert client.get(f"/portal/demands/{web.warrant_id}/files/x").status_code == 404
    page = client.get("/portal")
    post = client.post(
        f"/portal/demands/{web.warrant_id}/messages",
        data={"csrf": csrf_of(page.text), "body": "let me in"},
    )
    assert post.status_code == 404
    # A requester is sent away from the staff console.
    assert client.get("/console", follow_redirects=False).headers["location"] == "/portal"


def test_a_requester_files_a_demand_by_json_upload_and_withdraws_it(
    web: WebDeployment, client: TestClient
) -> None:
    sign_in_client(client, web, "fbi-agent")
    token = csrf_of(client.get("/portal/submit").text)
    doc = (
        b'{"reference": "FBI-1", "received_at": "2026-11-23T10:00:00Z", "issuing_authority": '
        b'{"country": "US", "kind": "court", "name": "U.S. District Court", "forum": "us.nysd"}, '
        b'"instrument": "us.warrant", "categories": ["content"], '
        b'"targets": [{"type": "email", "value": "x@example.com"}]}'
    )
    response = client.post(
        "/portal/submit",
        data={"csrf": token},
        files={"demand_json": ("d.json", doc, "application/json"), "file": ("w.pdf", PDF)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    url = response.headers["location"]
    page = client.get(url)
    assert "FBI-1" in page.text
    assert "w.pdf" in page.text
    assert (
        client.get(url + "/files/" + re.findall(r"/files/(att-\w+)", page.text)[0]).content == PDF
    )
    gone = client.post(url + "/withdraw", data={"csrf": csrf_of(page.text), "reason": "solved"})
    assert gone.status_code == 200
    assert 'id="status">withdrawn' in gone.text


def test_a_bad_form_names_each_problem_and_files_nothing(
    web: WebDeployment, client: TestClient
) -> None:
    sign_in_client(client, web, "fbi-agent")
    token = csrf_of(client.get("/portal/submit").text)
    response = client.post(
        "/portal/submit",
        data={"csrf": token, "reference": "", "instrument": "us.warrant", "issuer_kind": "court"},
    )
    assert response.status_code == 400
    assert "reference: expected a non-empty string" in response.text
    assert "categories: expected a non-empty list" in response.text
    assert _actions(web, "demand:received") == ["demand:received"]  # the demo warrant only


def test_staff_assess_and_prove_an_audit_entry(web: WebDeployment, client: TestClient) -> None:
    sign_in_client(client, web, "rita")
    queue = client.get("/console?agency=us-dea")
    assert "13-MAG-2814" in queue.text
    page = client.get(f"/console/demands/{web.warrant_id}")
    done = client.post(
        f"/console/demands/{web.warrant_id}/assess",
        data={"csrf": csrf_of(page.text), "as_of": "2016-07-14"},
    )
    assert done.status_code == 200
    assert "no_data" in done.text
    index = re.findall(r"/console/audit/(\d+)", done.text)[-1]
    proof = client.get(f"/console/audit/{index}")
    assert "Proven: this entry is in the signed log" in proof.text
    assert "demand:assessment:created" in proof.text
    assert proof.text.count(">pass<") == 3


def test_sign_out_ends_the_session(web: WebDeployment, client: TestClient) -> None:
    sign_in_client(client, web, "rita")
    page = client.get("/console")
    client.post("/sign-out", data={"csrf": csrf_of(page.text)})
    assert client.get("/console", follow_redirects=False).status_code == 303
    assert _actions(web, "user:signed-out") == ["user:signed-out"]


def test_the_sign_in_never_redirects_off_site(web: WebDeployment, client: TestClient) -> None:
    token = csrf_of(client.get("/sign-in?next=//evil.example/").text)
    response = client.post(
        "/sign-in",
        data={
            "email": "rita@provider.example",
            "password": PASSWORD,
            "code": web.code("rita"),
            "csrf": token,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/console"


def test_a_bad_filter_is_a_page_and_the_api_keeps_json(
    web: WebDeployment, client: TestClient
) -> None:
    sign_in_client(client, web, "rita")
    page = client.get("/console?status=bogus")
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert "status" in page.text
    api = client.get("/demands?status=bogus")
    assert api.status_code in (401, 400)
    assert api.headers["content-type"].startswith("application/json")


def test_the_cli_enrols_totp_and_the_new_secret_signs_in(
    web: WebDeployment, client: TestClient
) -> None:
    result = CliRunner().invoke(
        app, ["--dir", str(web.comity.home), "users", "totp", "rita"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("otpauth://totp/Comity:rita%40provider.example?secret=")
    secret = result.output.split("secret: ")[1].strip()
    old = _post_sign_in(client, "rita@provider.example", web.code("rita"))
    assert old.status_code == 401  # type: ignore[attr-defined]
    new = _post_sign_in(client, "rita@provider.example", pyotp.TOTP(secret).now())
    assert new.status_code == 303  # type: ignore[attr-defined]
    assert _actions(web, "user:totp:enrolled")[-1] == "user:totp:enrolled"
    missing = CliRunner().invoke(app, ["--dir", str(web.comity.home), "users", "totp", "nobody"])
    assert missing.exit_code == 1


def test_demo_init_prints_a_console_sign_in_for_every_person(tmp_path: Path) -> None:
    lines = initialise(tmp_path, demo=True)
    sign_ins = [line for line in lines if " password " in line and " totp " in line]
    assert len(sign_ins) == 5
    assert any("agent@dea.gov" in line for line in sign_ins)


def test_case_actions_keep_four_eyes_and_their_forms(web: WebDeployment) -> None:
    app = create_app(web.comity, assessor=FakeAssessor())
    rita, agent = TestClient(app), TestClient(app)
    with web.comity.reader() as uow:
        fbi = uow.intake.get_user("fbi-agent")
    assert fbi is not None
    record, _ = demands.submit_demand(  # filed through the service: no case opened yet
        web.comity.intake_uow,
        web.comity.clock,
        fbi,
        demands.Submission(json.dumps(demand_doc("FBI-CASE")).encode()),
        known_countries=known_countries(),
    )
    sign_in_client(rita, web, "rita")
    page = rita.get(f"/console/demands/{record.id}")
    assert "Open the case" in page.text
    opened = rita.post(f"/console/demands/{record.id}/case", data={"csrf": csrf_of(page.text)})
    assert opened.status_code == 200
    assert 'id="case-state">assessed, waiting for review' in opened.text
    case_id = re.findall(r"/console/cases/([\w-]+)/start_review", opened.text)[0]
    token = csrf_of(opened.text)
    assert (
        rita.post(f"/console/cases/{case_id}/start_review", data={"csrf": "x"}).status_code == 403
    )
    started = rita.post(f"/console/cases/{case_id}/start_review", data={"csrf": token})
    assert 'id="case-state">in review' in started.text
    assert f"/console/cases/{case_id}/approve" not in started.text  # not offered to a reviewer
    refused = rita.post(f"/console/cases/{case_id}/approve", data={"csrf": token})
    assert refused.status_code == 403
    assert rita.post(f"/console/cases/{case_id}/fly", data={"csrf": token}).status_code == 404
    no_reason = rita.post(f"/console/cases/{case_id}/reject", data={"csrf": token, "reason": ""})
    assert no_reason.status_code in (400, 409)
    sign_in_client(agent, web, "fbi-agent")
    portal = agent.get("/portal")
    sneak = agent.post(
        f"/console/cases/{case_id}/reject",
        data={"csrf": csrf_of(portal.text), "reason": "x"},
        follow_redirects=False,
    )
    assert sneak.headers["location"] == "/portal"
    with web.comity.reader() as uow:
        case = uow.cases.get(case_id)
    assert case is not None
    assert case.state.value == "in_review"


def test_only_the_demands_agency_downloads_its_production(web: WebDeployment) -> None:
    comity = web.comity
    with comity.reader() as uow:
        rita, alan, ada = (uow.intake.get_user(u) for u in ("rita", "alan", "ada"))
    assert rita is not None
    assert alan is not None
    assert ada is not None
    with comity.reader() as uow:
        case = uow.cases.for_demand(web.warrant_id)  # `init --demo` opened it
    assert case is not None
    cases.start_review(comity.intake_uow, comity.clock, rita, case.case_id)
    for finding in case.findings:
        kind = "withhold" if finding.category.value == "content" else "produce"
        cases.decide(
            comity.intake_uow,
            comity.clock,
            rita,
            case.case_id,
            finding=finding.key,
            decision=kind,
            justification="stored in Dublin" if kind == "withhold" else None,
        )
    cases.recommend(comity.intake_uow, comity.clock, rita, case.case_id)
    cases.approve(comity.intake_uow, comity.clock, alan, case.case_id)
    production = comity.productions.produce(ada, web.warrant_id)

    app = create_app(comity, assessor=FakeAssessor())
    other = TestClient(app)
    sign_in_client(other, web, "fbi-agent")
    token = csrf_of(other.get("/portal").text)
    refused = other.post(f"/portal/productions/{production.id}/download", data={"csrf": token})
    assert refused.status_code == 404
    agent = TestClient(app)
    sign_in_client(agent, web, "dea-agent")
    page = agent.get(f"/portal/demands/{web.warrant_id}")
    assert production.id in page.text
    forged = agent.post(f"/portal/productions/{production.id}/download", data={"csrf": "x"})
    assert forged.status_code == 403
    got = agent.post(
        f"/portal/productions/{production.id}/download", data={"csrf": csrf_of(page.text)}
    )
    assert got.status_code == 200
    assert got.headers["comity-package-sha256"] == production.sha256
    assert hashlib.sha256(got.content).hexdigest() in (production.sha256 or "")
    staff = TestClient(app)
    sign_in_client(staff, web, "alan")
    console = staff.get(f"/console/demands/{web.warrant_id}")
    assert "Produce the package" not in console.text  # delivered already, and alan is no admin
    assert f"/console/productions/{production.id}/download" in console.text
    assert re.search(r"production:(link:created|downloaded)", console.text)
    admin = TestClient(app)
    sign_in_client(admin, web, "ada")
    page = admin.get(f"/console/demands/{web.warrant_id}")
    closed = admin.post(
        f"/console/cases/{case.case_id}/close",
        data={"csrf": csrf_of(page.text), "reason": "US records produced; content withheld"},
    )
    assert closed.status_code == 200, closed.text
    assert 'id="case-state">closed' in closed.text
    assert "Place the hold" not in closed.text


def test_a_tampered_entry_is_not_proven(web: WebDeployment, client: TestClient) -> None:
    sign_in_client(client, web, "rita")
    with web.comity.console_uow() as uow:
        uow.session.execute(
            sqlalchemy.text("UPDATE audit_entries SET entry = replace(entry, 'dea', 'xyz')")
        )
        uow.commit()
    index = re.findall(
        r"/console/audit/(\d+)", client.get(f"/console/demands/{web.warrant_id}").text
    )
    page = client.get(f"/console/audit/{index[0]}")
    assert page.status_code == 200
    assert "Not proven" in page.text
    assert ">fail<" in page.text


def test_holds_court_events_and_notices_from_the_case_page(
    web: WebDeployment, client: TestClient
) -> None:
    sign_in_client(client, web, "rita")
    page = client.get(f"/console/demands/{web.warrant_id}")
    assert "Place the hold" in page.text
    case_id = re.findall(r"/console/cases/([\w-]+)/holds", page.text)[0]
    account = re.findall(r'<select id="hold-account" name="account"><option>([^<]+)<', page.text)[0]
    token = csrf_of(page.text)
    held = client.post(
        f"/console/cases/{case_id}/holds",
        data={
            "csrf": token,
            "account": account,
            "region": "eu-ie",
            "categories": ["content"],
            "basis": "us.2703f",
        },
    )
    assert held.status_code == 200, held.text
    hold_id = re.findall(r"Release hold ([^:]+):", held.text)[0]
    bad = client.post(
        f"/console/cases/{case_id}/court",
        data={"csrf": token, "kind": "proceeding", "details": "{what"},
    )
    assert bad.status_code == 400
    assert "details: not JSON" in html.unescape(bad.text)
    court = client.post(
        f"/console/cases/{case_id}/court",
        data={"csrf": token, "kind": "proceeding", "details": '{"what": "oral argument"}'},
    )
    assert court.status_code == 200, court.text
    notice = client.post(
        f"/console/cases/{case_id}/notice/non-disclosure",
        data={"csrf": token, "until": "2027-01-01"},
    )
    assert notice.status_code == 200, notice.text
    released = client.post(
        f"/console/cases/{case_id}/holds/{hold_id}/release",
        data={"csrf": token, "reason": "the warrant was answered"},
    )
    assert released.status_code == 200, released.text
    assert f"Release hold {hold_id}" not in released.text
    trail = released.text
    for action in ("case:hold:placed", "case:court:proceeding", "case:hold:released"):
        assert action in trail


def test_a_court_event_nested_deep_or_a_double_order_is_a_400_page(
    web: WebDeployment, client: TestClient
) -> None:
    sign_in_client(client, web, "rita")
    page = client.get(f"/console/demands/{web.warrant_id}")
    case_id = re.findall(r"/console/cases/([\w-]+)/holds", page.text)[0]
    token = csrf_of(page.text)
    before = _actions(web, "case:")
    for details, why in (
        ('{"what": ' + '{"a": ' * 20_000 + "1" + "}" * 20_001, "details: more than 20000"),
        ('{"what": ' + "[" * 5_000 + "]" * 5_000 + "}", "details: nested more than 8 levels"),
        ('{"what": ' + '{"a": ' * 30 + "1" + "}" * 31, "details: nested more than 8 levels"),
    ):
        bad = client.post(
            f"/console/cases/{case_id}/court",
            data={"csrf": token, "kind": "proceeding", "details": details},
        )
        assert bad.status_code == 400, bad.text[:300]
        assert bad.headers["content-type"].startswith("text/html")
        assert why in html.unescape(bad.text)
    both = client.post(
        f"/console/cases/{case_id}/notice/non-disclosure",
        data={"csrf": token, "until": "2027-01-01", "indefinite": "yes"},
    )
    assert both.status_code == 400
    assert "until: an order cannot both end on a day and be indefinite" in html.unescape(both.text)
    assert _actions(web, "case:") == before
    assert client.get("/console").status_code == 200


def test_a_demand_filed_from_the_portal_form_is_received_when_intake_says(
    web: WebDeployment, client: TestClient
) -> None:
    """The form sets no ``received_at``: intake stamps it, and no ``dated`` is invented."""
    sign_in_client(client, web, "fbi-agent")
    token = csrf_of(client.get("/portal/submit").text)
    form = {
        "csrf": token,
        "reference": "FBI-FORM-1",
        "issuer_country": "US",
        "issuer_kind": "court",
        "issuer_name": "U.S. District Court",
        "issuer_forum": "us.nysd",
        "instrument": "us.warrant",
        "categories": ["subscriber"],
        "targets": "x@example.com",
    }
    response = client.post("/portal/submit", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    with web.comity.reader() as uow:
        [(record, _)] = uow.intake.page_demands(demands.DemandFilter(reference="FBI-FORM-1"), 10)
    assert "dated" not in record.document
    stamped = datetime.fromisoformat(record.document["received_at"])
    assert stamped == record.received_at
    assert abs(stamped - datetime.now(UTC)) < timedelta(minutes=5)


def test_a_failed_production_shows_its_reason_and_an_administrator_retries_it(
    web: WebDeployment,
) -> None:
    """Issue 14: the console's production section shows a failed production, why, and a retry."""
    comity = web.comity
    with comity.reader() as uow:
        rita, alan, ada = (uow.intake.get_user(u) for u in ("rita", "alan", "ada"))
        case = uow.cases.for_demand(web.warrant_id)
    assert rita is not None
    assert alan is not None
    assert ada is not None
    assert case is not None
    cases.start_review(comity.intake_uow, comity.clock, rita, case.case_id)
    for finding in case.findings:
        cases.decide(
            comity.intake_uow,
            comity.clock,
            rita,
            case.case_id,
            finding=finding.key,
            decision="withhold" if finding.category.value == "content" else "produce",
            justification="stored in Dublin" if finding.category.value == "content" else None,
        )
    cases.recommend(comity.intake_uow, comity.clock, rita, case.case_id)
    cases.approve(comity.intake_uow, comity.clock, alan, case.case_id)

    def broken(region: str, records: int, size: int) -> None:
        raise OSError(5, "Input/output error")

    with pytest.raises(OSError, match="Input/output error"):
        comity.productions.produce(ada, web.warrant_id, progress=broken)
    app = create_app(comity, assessor=FakeAssessor())
    staff = TestClient(app)
    sign_in_client(staff, web, "ada")
    page = staff.get(f"/console/demands/{web.warrant_id}")
    assert "OSError: [Errno 5] Input/output error" in page.text
    match = re.search(r'action="/console/productions/(prd-[0-9a-f]+)/retry"', page.text)
    assert match is not None
    done = staff.post(
        f"/console/productions/{match.group(1)}/retry",
        data={"csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    with comity.production_uow() as tx:
        production = tx.productions.get(match.group(1))
    assert production is not None
    assert production.status == "published"
    reader = TestClient(app)
    sign_in_client(reader, web, "rita")  # a reviewer may not start a production (the table)
    assert "/retry" not in reader.get(f"/console/demands/{web.warrant_id}").text


def test_the_queue_shows_and_filters_whom_each_case_waits_on(web: WebDeployment) -> None:
    app = create_app(web.comity, assessor=FakeAssessor())
    rita = TestClient(app)
    with web.comity.reader() as uow:
        fbi = uow.intake.get_user("fbi-agent")
    assert fbi is not None
    filed = [
        demands.submit_demand(
            web.comity.intake_uow,
            web.comity.clock,
            fbi,
            demands.Submission(json.dumps(demand_doc(reference)).encode()),
            known_countries=known_countries(),
        )[0]
        for reference in ("FBI-WAIT-1", "FBI-WAIT-2")
    ]
    sign_in_client(rita, web, "rita")

    def waiting_count(party: str) -> int:
        found = re.search(rf"{party} <b>(\d+)</b>", rita.get("/console").text)
        assert found is not None, party
        return int(found.group(1))

    in_review = waiting_count("Legal review")
    for_approval = waiting_count("Approval by a second person")
    page = rita.get(f"/console/demands/{filed[0].id}")
    opened = rita.post(f"/console/demands/{filed[0].id}/case", data={"csrf": csrf_of(page.text)})
    assert opened.status_code == 200
    assert waiting_count("Legal review") == in_review + 1
    assert waiting_count("Approval by a second person") == for_approval
    queue = rita.get("/console")
    assert "Deadline <small>(UTC, and the issuing court's zone)</small>" in queue.text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", queue.text)
    waiting = rita.get("/console", params={"waiting": "review"})
    assert "FBI-WAIT-1" in waiting.text
    assert "FBI-WAIT-2" not in waiting.text  # no case yet: it waits on nobody's list
    assert "FBI-WAIT-1" not in rita.get("/console", params={"waiting": "approval"}).text
    assert rita.get("/console", params={"waiting": "lunch"}).status_code == 400
    assert rita.get("/console", params={"cursor": "not a cursor"}).status_code == 400
    # ADR 0011: a well-formed cursor that is not a key of the queue is its start, not a 400
    foreign = rita.get("/console", params={"cursor": "WyJ4Il0"})
    assert foreign.status_code == 200
    assert "FBI-WAIT-1" in foreign.text


def test_a_recommended_case_reads_waiting_for_approval_everywhere(web: WebDeployment) -> None:
    """Four eyes keeps the state in_review after a recommendation; every page says what changed."""
    comity = web.comity
    with comity.reader() as uow:
        rita = uow.intake.get_user("rita")
        case = uow.cases.for_demand(web.warrant_id)  # `init --demo` opened it
    assert rita is not None
    assert case is not None
    cases.start_review(comity.intake_uow, comity.clock, rita, case.case_id)
    for finding in case.findings:
        cases.decide(
            comity.intake_uow,
            comity.clock,
            rita,
            case.case_id,
            finding=finding.key,
            decision="produce",
        )
    cases.recommend(comity.intake_uow, comity.clock, rita, case.case_id)

    app = create_app(comity, assessor=FakeAssessor())
    staff = TestClient(app)
    sign_in_client(staff, web, "ada")
    queue = html.unescape(staff.get("/console").text)
    assert "recommended, waiting for approval" in queue
    page = html.unescape(staff.get(f"/console/demands/{web.warrant_id}").text)
    state = re.search(r'<b id="case-state">([^<]*)</b>', page)
    assert state is not None
    assert state.group(1) == "recommended, waiting for approval"
    assert "waiting for approval by an approver other than rita" in page
    assert "rita: recommended the decisions (still in review; now waiting for approval)" in page
    assert "in_review → in_review" not in page

    agent = TestClient(app)
    sign_in_client(agent, web, "dea-agent")
    portal = html.unescape(agent.get(f"/portal/demands/{web.warrant_id}").text)
    assert "in review, waiting for approval" in portal
    listed = html.unescape(agent.get("/portal").text)
    assert "in review, waiting for approval" in listed
