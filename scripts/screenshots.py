"""Take the screenshots in docs/screenshots/ of the console's main pages.

    [PORT=N] .venv/bin/python scripts/screenshots.py [OUT_DIR]

Builds a demo deployment in a temporary directory, gives the demo people a known password and
TOTP secret, serves it on a free loopback port, and drives Debian's Chromium through the pages
with Playwright, the way the browser tests do.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyotp
import uvicorn
from playwright.sync_api import Page, sync_playwright

from comity.bootstrap import Comity, initialise, open_deployment
from comity.demo.answer import answer_the_warrant
from comity.domain.registry import User
from comity.entrypoints.api.app import create_app
from comity.law.countries import known_countries
from comity.services import messages, sign_in
from comity.services.cases import actions as cases
from comity.services.intake import demands

PASSWORD = "screenshots only, not a real password"  # noqa: S105
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _file_another(comity: Comity, agent: User) -> str:
    """A second demand of the requester's, filed as the portal does (its case opens at once)."""
    doc = {
        "reference": "24-MAG-0002",
        "received_at": "2026-11-23T10:00:00Z",
        "issuing_authority": {"country": "US", "kind": "court", "forum": "us.nysd",
                              "name": "U.S. District Court for the Southern District of New York"},
        "instrument": "us.warrant",
        "categories": ["subscriber"],
        "targets": [{"type": "email", "value": "target@msn.example"}],
    }  # fmt: skip
    law = cases.LawContext(comity.assessor, comity.deployment, known_countries())
    record, _ = cases.file_demand(
        comity.intake_uow,
        comity.clock,
        agent,
        demands.Submission(json.dumps(doc).encode(), demands.LegalProcessFile("warrant.pdf", PDF)),
        known_countries=known_countries(),
        vocabulary=demands.vocabulary_of(comity.law_engine),
        law=law,
    )
    return record.id


def _decide_and_produce(comity: Comity, warrant: str) -> None:
    """The 2013 answer (US records produced, the Dublin mail withheld, approved, the user told
    before disclosure: ``comity.demo.answer``), then a production that fails once."""
    with comity.reader() as uow:
        ada = uow.intake.get_user("ada")
    assert ada is not None
    answer_the_warrant(comity.intake_uow, comity.clock, warrant)
    # The regions' keys are not there (a volume not mounted): the production fails, for a retry.
    keys = [comity.home / "keys" / f"{r.id}.key" for r in comity.deployment.regions]
    for key in keys:
        key.rename(key.with_suffix(".away"))
    try:
        comity.productions.produce(ada, warrant)
    except Exception as exc:
        print(f"production failed, as intended: {exc}")
    finally:
        for key in keys:
            key.with_suffix(".away").rename(key)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="comity-shots-"))
    lines = initialise(home, demo=True)
    warrant = next(line.rsplit(" ", 1)[1] for line in lines if "as demand" in line)
    comity = open_deployment(home)
    secrets = {}
    for user in ("dea-agent", "rita", "ada"):
        sign_in.set_password(comity.console_uow, comity.clock, user, PASSWORD, actor="screenshots")
        secrets[user] = sign_in.enrol_totp(comity.console_uow, comity.clock, user, actor="demo")
    with comity.intake_uow() as uow:
        agent = uow.intake.get_user("dea-agent")
    assert agent is not None
    messages.post_message(
        comity.console_uow, comity.clock, agent, warrant, "Is the Dublin mail included?"
    )
    _decide_and_produce(comity, warrant)
    another = _file_another(comity, agent)  # one still open, to show withdrawal's confirmation
    sock = socket.socket()
    sock.bind(("127.0.0.1", int(os.environ.get("PORT", "0"))))  # 0: any free port
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_app(comity, assessor=comity.assessor)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    emails = {
        "dea-agent": "agent@dea.gov",
        "rita": "rita@provider.example",
        "ada": "ada@provider.example",
    }

    def enter(page: Page, user: str) -> None:
        page.goto(url + "/sign-in")
        page.get_by_label("E-mail address").fill(emails[user])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Authenticator code").fill(pyotp.TOTP(secrets[user]).now())
        page.get_by_role("button", name="Sign in").click()

    def shot(page: Page, name: str, full: bool = False) -> None:
        page.screenshot(path=str(out / f"{name}.png"), full_page=full)
        print(out / f"{name}.png")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 820})
        page.goto(url + "/sign-in")
        shot(page, "sign-in")
        enter(page, "rita")
        page.goto(f"{url}/console/demands/{warrant}")
        page.locator("summary", has_text="Assess again as of another date").click()
        page.get_by_label("Assess as of").fill("2016-07-14")
        page.get_by_role("button", name="Run the rule pack").click()
        admin = browser.new_page(viewport={"width": 1280, "height": 900})
        enter(admin, "ada")
        admin.goto(url + "/console")
        shot(admin, "queue")
        admin.goto(f"{url}/console/demands/{warrant}")
        shot(admin, "demand")  # the first screen: the next step, a failed production, Retry
        shot(admin, "demand-full", full=True)
        admin.locator("summary", has_text="Record a court event").click()
        admin.locator("summary", has_text="Motion to quash").click()
        admin.locator("#court").screenshot(path=str(out / "court-event.png"))
        print(out / "court-event.png")
        admin.locator("#next").get_by_role("button", name="Retry").click()
        admin.locator(".production-status").get_by_text("published").wait_for()
        admin.goto(f"{url}/console/demands/{warrant}#trail")
        admin.locator("#trail").screenshot(path=str(out / "audit-trail.png"))
        print(out / "audit-trail.png")
        decided = admin.locator(".trail li", has_text="decided a finding").last
        decided.get_by_role("link").click()
        shot(admin, "audit-proof", full=True)
        admin.goto(f"{url}/console/demands/dem-does-not-exist")
        shot(admin, "error-signed-in")
        narrow = page  # rita's session again: a TOTP step is spent once used
        narrow.set_viewport_size({"width": 360, "height": 780})
        narrow.goto(url + "/console")
        shot(narrow, "narrow-queue", full=True)
        narrow.goto(f"{url}/console/demands/{warrant}")
        shot(narrow, "narrow-demand", full=True)
        narrow.locator(".trail li", has_text="decided a finding").last.get_by_role("link").click()
        shot(narrow, "narrow-audit-proof", full=True)
        page.set_viewport_size({"width": 1200, "height": 820})
        page.goto(url + "/microsoft-ireland")
        shot(page, "microsoft-ireland")
        page.set_viewport_size({"width": 1200, "height": 2400})
        shot(page, "microsoft-ireland-timeline")
        requester = browser.new_context(viewport={"width": 1200, "height": 820}).new_page()
        enter(requester, "dea-agent")
        requester.goto(url + "/portal/submit")
        shot(requester, "portal-submit", full=True)
        requester.goto(f"{url}/portal/demands/{warrant}")
        shot(requester, "portal-demand", full=True)
        requester.goto(url + "/portal")
        shot(requester, "portal-list")
        requester.goto(f"{url}/portal/demands/{another}/withdraw")
        shot(requester, "portal-withdraw")
        with comity.reader() as uow:
            ada = uow.intake.get_user("ada")
        assert ada is not None
        published = [
            p for p in comity.productions.list_productions(ada, warrant) if p.status == "published"
        ]
        package = published[-1].path  # the retry's package, from the console above
        requester.goto(url + "/check-a-package")
        requester.get_by_label("Package (.tar)").set_input_files(package)
        requester.locator("#check-verdict").filter(has_text="Valid").wait_for()
        shot(requester, "check-a-package", full=True)
        narrow = browser.new_context(viewport={"width": 380, "height": 800}).new_page()
        narrow.goto(url + "/microsoft-ireland")
        shot(narrow, "narrow-microsoft-ireland")
        requester.set_viewport_size({"width": 380, "height": 800})  # signed in: a code is spent
        requester.goto(f"{url}/portal/demands/{warrant}")
        shot(requester, "narrow-portal-demand", full=True)
        browser.close()
    server.should_exit = True


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots"))
