"""The case page over HTTP (issue 15): the next step first, typed court event forms, delayed
notice, the enterprise customer, re-assessment, the audit trail in words and error pages that
keep the signed-in header."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.intake_support import FakeAssessor
from tests.web_support import WebDeployment, copy_of, csrf_of, sign_in_client, web_deployment

from comity.entrypoints.api.app import create_app


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> WebDeployment:
    return web_deployment(tmp_path_factory.mktemp("case-page-template"))


@pytest.fixture
def web(template: WebDeployment, tmp_path: Path) -> WebDeployment:
    return copy_of(template, tmp_path / "deployment")


@pytest.fixture
def client(web: WebDeployment) -> TestClient:
    return TestClient(create_app(web.comity, assessor=FakeAssessor()))


def _actions(web: WebDeployment) -> list[str]:
    with web.comity.reader() as uow:
        return [uow.audit.entry(i).action for i in range(uow.audit.size())]


def _case_page(client: TestClient, web: WebDeployment) -> tuple[str, str, str]:
    page = client.get(f"/console/demands/{web.warrant_id}")
    assert page.status_code == 200, page.text
    case_id = re.findall(r"/console/cases/([\w-]+)/", page.text)[0]
    return page.text, case_id, csrf_of(page.text)


def _text(page: str) -> str:
    """The page's words, tags removed, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_next_step_comes_first_and_says_whom_the_case_waits_on(
    web: WebDeployment, client: TestClient
) -> None:
    sign_in_client(client, web, "rita")
    page, _, _ = _case_page(client, web)
    assert page.index('id="next"') < page.index('id="law"') < page.index('id="case"')
    assert page.index("Start the review") < page.index('id="law"')
    # The rarer steps are behind disclosure widgets, closed.
    for summary in ("Record a court event", "Notice to the user", "Preservation holds"):
        assert re.search(rf'<details class="step"[^>]*><summary>{summary}</summary>', page)
    approver = TestClient(client.app)
    sign_in_client(approver, web, "alan")
    seen = _text(approver.get(f"/console/demands/{web.warrant_id}").text)
    assert "Nothing for you to do now: waiting for a reviewer to start the review" in seen
    assert "Start the review" not in seen


def test_a_decision_already_made_is_the_one_the_form_shows(
    web: WebDeployment, client: TestClient
) -> None:
    """The per-finding list once always showed "produce", even for a finding withheld."""
    sign_in_client(client, web, "rita")
    page, case_id, token = _case_page(client, web)
    client.post(f"/console/cases/{case_id}/start_review", data={"csrf": token})
    page, _, _ = _case_page(client, web)
    key = re.findall(r'name="finding" value="([^"]+)"', page)[0]
    done = client.post(
        f"/console/cases/{case_id}/decide",
        data={"csrf": token, "finding": key, "decision": "withhold", "justification": "x"},
    )
    assert done.status_code == 200, done.text
    form = done.text[done.text.index(f'value="{key}"') :]
    select = form[: form.index("</select>")]
    assert '<option value="withhold" selected>' in select
    assert '<option value="produce" selected>' not in select


def test_a_court_event_from_its_typed_form(web: WebDeployment, client: TestClient) -> None:
    sign_in_client(client, web, "rita")
    page, case_id, token = _case_page(client, web)
    assert 'name="motion_id"' in page
    assert "Details (JSON" not in page  # no raw JSON as the way to type an event
    before = _actions(web)
    missing = client.post(
        f"/console/cases/{case_id}/court",
        data={"csrf": token, "kind": "motion_to_quash", "by": "provider"},
    )
    assert missing.status_code == 400
    assert "motion_id" in html.unescape(missing.text)
    assert "Sign out" in missing.text  # the error page keeps the signed-in header
    bad_time = client.post(
        f"/console/cases/{case_id}/court",
        data={"csrf": token, "kind": "proceeding", "what": "argument", "at": "yesterday"},
    )
    assert bad_time.status_code == 400
    assert "at: expected a time as YYYY-MM-DDTHH:MM (UTC)" in html.unescape(bad_time.text)
    assert _actions(web) == before
    filed = client.post(
        f"/console/cases/{case_id}/court",
        data={
            "csrf": token,
            "kind": "motion_to_quash",
            "motion_id": "m-7",
            "by": "provider",
            "scope_categories": ["content"],
            "scope_stored_abroad": "yes",
            "court": "us.nysd",
            "at": "2026-11-02T09:30",
        },
    )
    assert filed.status_code == 200, filed.text
    ruled = client.post(
        f"/console/cases/{case_id}/court",
        data={"csrf": token, "kind": "ruling", "outcome": "denies", "decides": "m-7"},
    )
    assert ruled.status_code == 200, ruled.text
    with web.comity.reader() as uow:
        case = uow.cases.get(case_id)
    assert case is not None
    motion, ruling = case.court.events[-2:]
    assert motion.kind == "motion_to_quash"
    assert motion.motion_id == "m-7"  # type: ignore[union-attr]
    assert motion.scope.categories[0].value == "content"  # type: ignore[union-attr]
    assert motion.scope.stored_abroad  # type: ignore[union-attr]
    assert motion.at.isoformat() == "2026-11-02T09:30:00+00:00"
    assert ruling.kind == "ruling"
    assert ruling.outcome == "denies"  # type: ignore[union-attr]
    court = [a for a in _actions(web)[len(before) :] if a.startswith("case:court:")]
    assert court == ["case:court:motion_to_quash", "case:court:ruling"]
    shown = _text(ruled.text)
    assert "2026-11-02 09:30 UTC" in shown
    assert "Motion to quash" in shown


def test_delayed_notice_customer_and_reassessment_from_their_forms(
    web: WebDeployment, client: TestClient
) -> None:
    sign_in_client(client, web, "rita")
    _, case_id, token = _case_page(client, web)
    before = _actions(web)
    for path, data, why in (
        ("notice/delay", {"start": "2026-11-30", "periods": "41"}, "periods:"),
        ("notice/delay", {"start": "someday"}, "start:"),
        ("notice/customer", {"customer": " "}, "customer:"),
        ("reassess", {"reason": "", "as_of": "2026-11-30"}, "reason:"),
        ("reassess", {"reason": "new pack", "as_of": "2026-13-01"}, "as_of:"),
    ):
        bad = client.post(f"/console/cases/{case_id}/{path}", data={"csrf": token, **data})
        assert bad.status_code == 400, (path, data, bad.text[:300])
        assert why in html.unescape(bad.text), (path, data)
    assert _actions(web) == before
    delayed = client.post(
        f"/console/cases/{case_id}/notice/delay",
        data={"csrf": token, "start": "2026-11-30", "periods": "2"},
    )
    assert delayed.status_code == 200, delayed.text
    named = client.post(
        f"/console/cases/{case_id}/notice/customer",
        data={"csrf": token, "customer": "Contoso Ltd"},
    )
    assert named.status_code == 200, named.text
    notice = _text(named.text)
    assert "to customer Contoso Ltd" in notice
    assert "delayed 2 × 90 days from 2026-11-30 00:00 UTC" in notice
    again = client.post(
        f"/console/cases/{case_id}/reassess",
        data={"csrf": token, "reason": "the CLOUD Act is in force", "as_of": "2018-03-24"},
    )
    assert again.status_code == 200, again.text
    steps = [a for a in _actions(web)[len(before) :] if a.startswith("case:")]
    assert steps == ["case:notice:delayed", "case:notice:customer", "case:reassess"]
    with web.comity.reader() as uow:
        records = uow.intake.list_assessments(web.warrant_id)
    assert max(records, key=lambda r: r.created_at).as_of == "2018-03-24"


def test_the_trail_and_the_proof_page_say_what_happened(
    web: WebDeployment, client: TestClient
) -> None:
    sign_in_client(client, web, "rita")
    page, case_id, token = _case_page(client, web)
    client.post(f"/console/cases/{case_id}/start_review", data={"csrf": token})
    page, _, _ = _case_page(client, web)
    key = re.findall(r'name="finding" value="([^"]+)"', page)[0]
    decided = client.post(
        f"/console/cases/{case_id}/decide",
        data={
            "csrf": token,
            "finding": key,
            "decision": "withhold",
            "justification": "stored only in Dublin",
        },
    )
    words = _text(decided.text)
    assert f"rita started the review of case {case_id}" in words
    entry = re.findall(r'href="/console/audit/(\d+)">#\d+ proof', decided.text)[-1]
    proof = client.get(f"/console/audit/{entry}")
    seen = _text(proof.text)
    assert f"rita decided a finding of case {case_id}" in seen
    assert "withhold; justification: stored only in Dublin" in seen
    assert "Proven: this entry is in the signed log" in seen
    review = re.findall(r'href="/console/audit/(\d+)">#\d+ proof', decided.text)[-2]
    review_page = _text(client.get(f"/console/audit/{review}").text)
    assert "start_review: assessed → in_review" in review_page


def test_error_pages_keep_the_signed_in_header(web: WebDeployment, client: TestClient) -> None:
    sign_in_client(client, web, "rita")
    missing = client.get("/console/demands/dem-nothing-here")
    assert missing.status_code == 404
    assert "Sign out" in missing.text
    assert 'href="/sign-in"' not in missing.text
    assert 'href="/console">Back to the queue' in missing.text
    bad_query = client.get("/console?cursor=not%20a%20cursor")
    assert bad_query.status_code == 400
    assert "Sign out" in bad_query.text
    stranger = TestClient(client.app)
    assert 'href="/sign-in"' in stranger.get("/microsoft-ireland/nothing").text
