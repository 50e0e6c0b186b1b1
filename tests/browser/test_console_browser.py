"""The console and portal in a real browser: a requester files a warrant, another agency cannot
see it, the legal team assesses it and writes back; keyboard-only sign-in; narrow screens."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.web_support import PASSWORD, PDF, WebDeployment


def sign_in(page: Page, url: str, web: WebDeployment, user_id: str) -> None:
    page.goto(url + "/sign-in")
    page.get_by_label("E-mail address").fill(web.people[user_id].email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Authenticator code").fill(web.code(user_id))
    page.get_by_role("button", name="Sign in").click()


def test_a_warrant_from_submission_to_the_legal_teams_answer(
    browser: Browser, live: tuple[WebDeployment, str], tmp_path: Path
) -> None:
    web, url = live
    warrant = tmp_path / "warrant.pdf"
    warrant.write_bytes(PDF)

    agent = browser.new_page()
    sign_in(agent, url, web, "dea-agent")
    expect(agent).to_have_url(url + "/portal")
    agent.get_by_role("link", name="Submit a demand").first.click()
    agent.get_by_label("Legal-process file").set_input_files(str(warrant))
    agent.get_by_label("Your reference").fill("24-MAG-0001")
    agent.get_by_label("Instrument").select_option("us.warrant")
    agent.get_by_label("Issued by (court or authority)").fill(
        "U.S. District Court for the Southern District of New York"
    )
    agent.get_by_label("Kind of issuer").select_option("court")
    agent.get_by_label("Court id").fill("us.nysd")
    agent.get_by_label("subscriber").check()
    agent.get_by_label("content").check()
    agent.get_by_label("Targets").fill("target@msn.example")
    agent.get_by_label("Offence").fill("narcotics trafficking")
    agent.get_by_role("button", name="Submit the demand").click()
    expect(agent.get_by_role("heading", name="24-MAG-0001")).to_be_visible()
    # One status in plain words: the case opened and was assessed at filing.
    expect(agent.locator("#status")).to_have_text("assessed, waiting for review")
    expect(agent.locator("#waits-on")).to_have_text("the provider's legal team")
    expect(agent.get_by_role("link", name="warrant.pdf")).to_be_visible()
    demand_url = agent.url

    other = browser.new_context().new_page()
    sign_in(other, url, web, "fbi-agent")
    expect(other.get_by_role("heading", name="Demands of Federal Bureau")).to_be_visible()
    expect(other.get_by_text("24-MAG-0001")).to_have_count(0)
    other.goto(demand_url)
    expect(other.get_by_text("no demand with id")).to_be_visible()

    reviewer = browser.new_context().new_page()
    sign_in(reviewer, url, web, "rita")
    expect(reviewer.get_by_role("heading", name="Queue")).to_be_visible()
    reviewer.get_by_role("link", name="24-MAG-0001").click()
    expect(reviewer.get_by_text("Assessed as of")).to_be_visible()  # when the case opened
    reviewer.get_by_label("Assess as of").fill("2016-07-14")
    reviewer.get_by_role("button", name="Run the rule pack").click()
    findings = reviewer.locator("table.findings")
    expect(findings.get_by_text("redirect_mlat")).to_be_visible()
    expect(findings.get_by_text("829 F.3d 197").first).to_be_visible()
    reviewer.get_by_label("New message").fill("Received; the Dublin content needs an MLAT request.")
    reviewer.get_by_role("button", name="Send message").click()
    reviewer.get_by_role("link", name="proof").last.click()
    expect(
        reviewer.get_by_role("heading", name="Proven: this entry is in the signed log")
    ).to_be_visible()

    # The case opened at submission; the reviewer decides each finding and recommends.
    reviewer.goto(demand_url.replace("/portal/", "/console/"))
    case = reviewer.locator("#case")
    expect(case.locator("#case-state")).to_have_text("assessed, waiting for review")
    case.get_by_role("button", name="Start the review").click()
    expect(case.locator("#case-state")).to_have_text("in review")
    expect(case.get_by_role("button", name="Approve")).to_have_count(0)  # a reviewer cannot
    case.get_by_label("Decision for subscriber").select_option("produce")
    case.get_by_role("button", name="Record decision for subscriber").click()
    content = case.locator("form").filter(
        has=reviewer.get_by_role("button", name="Record decision for content")
    )
    content.get_by_label("Decision for content").select_option("withhold")
    content.get_by_label("Justification").fill("Stored only in Dublin: ask Ireland (MLAT).")
    case.get_by_role("button", name="Record decision for content").click()
    case.get_by_label("Recommendation note").fill("Produce the US-stored subscriber records.")
    case.get_by_role("button", name="Recommend for approval").click()
    expect(case.get_by_text("Recommended by")).to_be_visible()

    approver = browser.new_context().new_page()
    sign_in(approver, url, web, "alan")
    approver.goto(demand_url.replace("/portal/", "/console/"))
    approver.locator("#case").get_by_role("button", name="Approve").click()
    expect(approver.locator("#case-state")).to_have_text("partly approved for production")
    expect(approver.get_by_text("Approved by")).to_be_visible()

    agent.reload()
    expect(agent.get_by_text("the Dublin content needs an MLAT request")).to_be_visible()
    expect(agent.locator("#status")).to_have_text("partly approved for production")

    # An administrator produces; the requester downloads the package and verifies it.
    admin = browser.new_context().new_page()
    sign_in(admin, url, web, "ada")
    admin.goto(demand_url.replace("/portal/", "/console/"))
    reviewer.reload()  # a reviewer may not start a production (the permission table)
    expect(reviewer.get_by_role("button", name="Produce the package")).to_have_count(0)
    admin.get_by_role("button", name="Produce the package").click()
    expect(admin.locator(".production-status")).to_have_text("published")
    expect(admin.locator("#case-state")).to_have_text("delivered")

    agent.reload()
    expect(agent.locator("#status")).to_have_text("delivered")
    expect(agent.locator("#waits-on")).to_have_text("you")
    with agent.expect_download() as download:
        agent.get_by_role("button", name="Download").click()
    package = tmp_path / download.value.suggested_filename
    download.value.save_as(package)
    key = web.comity.home / "keys" / "provider.pub.pem"
    comity = Path(sys.executable).parent / "comity"
    checked = subprocess.run(
        [str(comity), "verify", str(package), "--key", str(key)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    shown = agent.locator("td.hash").first.inner_text()
    assert hashlib.sha256(package.read_bytes()).hexdigest() in shown
    with web.comity.reader() as uow:
        actions = [uow.audit.entry(i).action for i in range(uow.audit.size())]
    assert "production:link:created" in actions
    assert "production:downloaded" in actions


def test_keyboard_sign_in_and_a_narrow_screen(
    browser: Browser, live: tuple[WebDeployment, str]
) -> None:
    web, url = live
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(url + "/sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.get_by_label("E-mail address").focus()
    page.keyboard.type(web.people["alan"].email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(web.code("alan"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    for path in ("/console", f"/console/demands/{web.warrant_id}", "/microsoft-ireland"):
        page.goto(url + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways at 360 px ({overflow} px)"
    requester = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    sign_in(requester, url, web, "dea-agent")
    for path in ("/portal", "/portal/submit", f"/portal/demands/{web.warrant_id}"):
        requester.goto(url + path)
        overflow = requester.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways at 360 px ({overflow} px)"
