"""The console and portal in a real browser: a requester files a warrant, another agency cannot
see it, the legal team assesses it and writes back; keyboard-only sign-in; narrow screens."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web_support import PASSWORD, PDF, WebDeployment


def sign_in(page: Page, url: str, web: WebDeployment, user_id: str) -> None:
    page.goto(url + "/sign-in")
    page.get_by_label("E-mail address").fill(web.people[user_id].email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Authenticator code").fill(web.code(user_id))
    page.get_by_role("button", name="Sign in").click()


def file_demand(page: Page, url: str, warrant: Path, reference: str) -> str:
    """The requester files a warrant by the portal's form with its PDF; the demand's page URL."""
    page.get_by_role("link", name="Submit a demand").first.click()
    page.get_by_label("Legal-process file").set_input_files(str(warrant))
    page.get_by_label("Your reference").fill(reference)
    page.get_by_label("Instrument").select_option("us.warrant")
    page.get_by_label("Issued by (court or authority)").fill(
        "U.S. District Court for the Southern District of New York"
    )
    page.get_by_label("Kind of issuer").select_option("court")
    page.get_by_label("Court id").fill("us.nysd")
    page.get_by_label("subscriber").check()
    page.get_by_label("content").check()
    page.get_by_label("Targets").fill("target@msn.example")
    page.get_by_label("Offence").fill("narcotics trafficking")
    page.get_by_role("button", name="Submit the demand").click()
    expect(page.get_by_role("heading", name=reference)).to_be_visible()
    # One status in plain words: the case opened and was assessed at filing.
    expect(page.locator("#status")).to_have_text("assessed, waiting for review")
    expect(page.locator("#waits-on")).to_have_text("the provider's legal team")
    return page.url


def no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways ({overflow} px)"


def no_sideways_scroll_inside(page: Page, selector: str) -> None:
    """Nothing in ``selector`` scrolls sideways inside its own box (a table in a ``.scroll``
    box passes the page-level check while its last columns sit off to the right)."""
    hidden = page.evaluate(
        "(s) => Math.max(0, ...[...document.querySelectorAll(s + ' .scroll')]"
        ".map(e => e.scrollWidth - e.clientWidth))",
        selector,
    )
    assert hidden <= 0, f"{selector} on {page.url} scrolls sideways inside its box ({hidden} px)"


def press(page: Page, summary: str) -> None:
    """Open a disclosure widget from the keyboard: focus its summary, press Enter."""
    page.locator("summary", has_text=summary).first.focus()
    page.keyboard.press("Enter")


@pytest.mark.parametrize("width", [1280, 360])
def test_a_warrant_from_submission_to_the_legal_teams_answer(
    browser: Browser, live: tuple[WebDeployment, str], tmp_path: Path, width: int
) -> None:
    web, url = live
    size = {"width": width, "height": 900}
    warrant = tmp_path / "warrant.pdf"
    warrant.write_bytes(PDF)

    # A requester files a demand, and files and withdraws another.
    agent = browser.new_context(viewport=size).new_page()
    sign_in(agent, url, web, "dea-agent")
    expect(agent).to_have_url(url + "/portal")
    demand_url = file_demand(agent, url, warrant, "24-MAG-0001")
    expect(agent.get_by_role("link", name="warrant.pdf")).to_be_visible()
    file_demand(agent, url, warrant, "24-MAG-0002")
    # Withdrawal asks first: the demand page links to a page that says what it does.
    agent.get_by_role("link", name="Withdraw this demand").click()
    expect(agent.get_by_role("heading", name="Withdraw 24-MAG-0002?")).to_be_visible()
    agent.get_by_label("Reason (optional, the legal team reads it)").fill("Filed twice by mistake.")
    agent.get_by_role("button", name="Yes, withdraw this demand").click()
    expect(agent.locator("#status")).to_have_text("withdrawn")
    no_sideways_scroll(agent)

    other = browser.new_context(viewport=size).new_page()
    sign_in(other, url, web, "fbi-agent")
    expect(other.get_by_role("heading", name="Demands of Federal Bureau")).to_be_visible()
    expect(other.get_by_text("24-MAG-0001")).to_have_count(0)
    other.goto(demand_url)
    expect(other.get_by_text("no demand with id")).to_be_visible()
    expect(other.get_by_role("button", name="Sign out")).to_be_visible()  # signed-in header

    reviewer = browser.new_context(viewport=size).new_page()
    sign_in(reviewer, url, web, "rita")
    expect(reviewer.get_by_role("heading", name="Queue")).to_be_visible()
    no_sideways_scroll(reviewer)
    reviewer.get_by_role("link", name="24-MAG-0001").click()
    expect(reviewer.get_by_text("Assessed as of")).to_be_visible()  # when the case opened
    next_step = reviewer.locator("#next")
    expect(next_step.locator("#case-state")).to_have_text("assessed, waiting for review")
    reviewer.locator("summary", has_text="Assess again as of another date").click()
    reviewer.get_by_label("Assess as of").fill("2016-07-14")
    reviewer.get_by_role("button", name="Run the rule pack").click()
    findings = reviewer.locator("table.findings")
    expect(findings.get_by_text("redirect_mlat")).to_be_visible()
    expect(findings.get_by_text("829 F.3d 197").first).to_be_visible()
    reviewer.get_by_label("New message").fill("Received; the Dublin content needs an MLAT request.")
    reviewer.get_by_role("button", name="Send message").click()
    expect(reviewer.locator(".trail")).to_contain_text("rita ran the law engine on demand")
    reviewer.get_by_role("link", name="proof").last.click()
    expect(
        reviewer.get_by_role("heading", name="Proven: this entry is in the signed log")
    ).to_be_visible()
    expect(reviewer.get_by_text("rita posted a message on demand")).to_be_visible()
    no_sideways_scroll(reviewer)

    # The reviewer starts the review, decides each finding, records a court event and recommends.
    reviewer.goto(demand_url.replace("/portal/", "/console/"))
    next_step.get_by_role("button", name="Start the review").click()
    expect(next_step.locator("#case-state")).to_have_text("in review")
    expect(reviewer.get_by_role("button", name="Approve")).to_have_count(0)  # a reviewer cannot
    decisions = reviewer.locator("table.decisions")
    decisions.get_by_label("Decision for subscriber").select_option("produce")
    decisions.get_by_role("button", name="Record decision for subscriber").click()
    content = decisions.locator("form").filter(
        has=reviewer.get_by_role("button", name="Record decision for content")
    )
    content.get_by_label("Decision for content").select_option("withhold")
    content.get_by_label("Justification").fill("Stored only in Dublin: ask Ireland (MLAT).")
    decisions.get_by_role("button", name="Record decision for content").click()
    expect(decisions.get_by_text("withhold by rita")).to_be_visible()

    # A court event from its own form, by keyboard: open the widgets, type, press Enter.
    press(reviewer, "Record a court event")
    press(reviewer, "Other proceeding")
    reviewer.get_by_role("textbox", name="What happened").focus()
    reviewer.keyboard.type("oral argument on the motion to compel")
    reviewer.keyboard.press("Tab")
    reviewer.keyboard.type("us.nysd")  # the court; the time is left empty, so: now
    reviewer.keyboard.press("Enter")
    court = reviewer.locator(".court-events")
    expect(court).to_contain_text("Other proceeding")
    expect(court).to_contain_text("oral argument on the motion to compel")
    expect(court).to_contain_text("us.nysd")
    no_sideways_scroll(reviewer)

    next_step.get_by_label("Recommendation note").fill("Produce the US-stored subscriber records.")
    next_step.get_by_role("button", name="Recommend for approval").click()
    expect(reviewer.get_by_text("Recommended by", exact=True)).to_be_visible()
    expect(next_step).to_contain_text("waiting for approval by an approver other than rita")

    # A different person approves: the second pair of eyes, by keyboard.
    approver = browser.new_context(viewport=size).new_page()
    sign_in(approver, url, web, "alan")
    approver.goto(demand_url.replace("/portal/", "/console/"))
    approver.locator("#next").get_by_role("button", name="Approve").focus()
    approver.keyboard.press("Enter")
    expect(approver.locator("#case-state")).to_have_text("partly approved for production")
    expect(approver.get_by_text("Approved by", exact=True)).to_be_visible()

    agent.goto(demand_url)
    expect(agent.get_by_text("the Dublin content needs an MLAT request")).to_be_visible()
    expect(agent.locator("#status")).to_have_text("partly approved for production")

    # An administrator produces; the regions' keys are not there (a volume not mounted), so the
    # production fails, shows why, and is retried once they are back.
    admin = browser.new_context(viewport=size).new_page()
    sign_in(admin, url, web, "ada")
    admin.goto(demand_url.replace("/portal/", "/console/"))
    reviewer.reload()  # a reviewer may not start a production (the permission table)
    expect(reviewer.get_by_role("button", name="Produce the package")).to_have_count(0)
    keys = web.comity.home / "keys"
    regional = [keys / f"{r.id}.key" for r in web.comity.deployment.regions]
    for key in regional:
        key.rename(key.with_suffix(".away"))
    try:
        admin.get_by_role("button", name="Produce the package").click()
        alert = admin.locator("#next .alert")
        expect(alert).to_contain_text("failed")
        expect(alert).to_contain_text("is missing")
        expect(admin.locator(".production-status")).to_contain_text("failed")
        no_sideways_scroll(admin)
        reviewer.reload()
        expect(reviewer.locator("#next .alert")).to_contain_text("is missing")
        expect(reviewer.get_by_role("button", name="Retry")).to_have_count(0)
    finally:
        for key in regional:
            key.with_suffix(".away").rename(key)
    admin.locator("#next").get_by_role("button", name="Retry").click()
    expect(admin.locator(".production-status")).to_have_text("published")
    expect(admin.locator("#case-state")).to_have_text("delivered")
    expect(admin.locator("#next .alert")).to_have_count(0)

    # The requester downloads the package and checks it as the portal tells them: on its
    # "Check a package" page, in this browser, then with `comity verify`.
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
    no_sideways_scroll(agent)
    no_sideways_scroll_inside(agent, "#productions")
    button = agent.get_by_role("button", name="Download").bounding_box()
    assert button is not None
    assert button["x"] >= 0
    assert button["x"] + button["width"] <= width, f"Download button off to the right: {button}"
    agent.get_by_role("link", name="Check a package").last.click()
    agent.get_by_label("Package (.tar)").set_input_files(str(package))
    expect(agent.locator("#check-verdict")).to_have_text(re.compile(r"^Valid: prd-\w+\.tar"))
    no_sideways_scroll(agent)
    with web.comity.reader() as uow:
        actions = [uow.audit.entry(i).action for i in range(uow.audit.size())]
    for action in (
        "demand:withdrawn",
        "case:court:proceeding",
        "production:failed",
        "production:retried",
        "production:link:created",
        "production:downloaded",
    ):
        assert action in actions, action


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
