"""The requester's side in Chromium (issue 15): the in-browser package check on a real package,
good and tampered, and a non-ASCII file name as the browser saves it, from the portal and the API.
"""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Error, Page, expect

from comity.law.countries import known_countries
from comity.services import identity
from comity.services.intake import demands
from tests.browser.test_console_browser import sign_in
from tests.intake_support import demand_doc
from tests.portal_support import deliver_demo_warrant
from tests.web_support import PDF, WebDeployment

NAME = "résumé-☃.pdf"


def tampered(package: Path, member_suffix: str, to: Path) -> Path:
    """A copy of ``package`` with one byte of one member's content changed."""
    with tarfile.open(package) as tar:
        offset = next(m for m in tar.getmembers() if m.name.endswith(member_suffix)).offset_data
    data = bytearray(package.read_bytes())
    data[offset] ^= 0x01
    to.write_bytes(bytes(data))
    return to


def check(page: Page, package: Path) -> None:
    page.get_by_label("Package (.tar)").set_input_files(str(package))


def test_the_browser_checks_a_package_without_installing_anything(
    browser: Browser, live: tuple[WebDeployment, str], tmp_path: Path
) -> None:
    web, url = live
    production = deliver_demo_warrant(web)
    assert production.path is not None
    package = Path(production.path)
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url + "/check-a-package")  # public: no sign-in needed
    expect(page.locator("#key-fingerprint")).to_have_text(
        web.comity.provider_key.public.fingerprint
    )
    loaded = len(requests)

    check(page, package)
    verdict = page.locator("#check-verdict")
    expect(verdict).to_have_text(re.compile(r"^Valid: prd-\w+\.tar is the package"))
    steps = page.locator("#check-steps li")
    expect(steps.first).to_contain_text(str(production.sha256))
    expect(steps.nth(1)).to_have_text("Signature: valid under the provider's published key.")
    expect(steps.last).to_contain_text("none added or missing")

    check(page, tampered(package, "data/index.csv", tmp_path / "record.tar"))
    expect(verdict).to_have_text(
        "Not valid: data/index.csv does not match its SHA-512 in manifest-sha512.txt."
    )
    check(page, tampered(package, "/tagmanifest-sha512.txt", tmp_path / "list.tar"))
    expect(verdict).to_have_text(
        "Not valid: the signature over tagmanifest-sha512.txt is not valid under the published key."
    )
    truncated = tmp_path / "cut.tar"
    truncated.write_bytes(package.read_bytes()[:5000])
    check(page, truncated)
    expect(verdict).to_have_text(re.compile(r"^Not valid: .*(cut short|end-of-archive)"))
    assert len(requests) == loaded  # the package never left the browser


def test_a_non_ascii_file_name_is_saved_intact(
    browser: Browser, live: tuple[WebDeployment, str]
) -> None:
    web, url = live
    comity = web.comity
    with comity.reader() as uow:
        fbi = uow.intake.get_user("fbi-agent")
    assert fbi is not None
    record, _ = demands.submit_demand(
        comity.intake_uow,
        comity.clock,
        fbi,
        demands.Submission(
            json.dumps(demand_doc("FBI-NAMES")).encode(), demands.LegalProcessFile(NAME, PDF)
        ),
        known_countries=known_countries(),
    )
    page = browser.new_context().new_page()
    sign_in(page, url, web, "fbi-agent")
    page.goto(f"{url}/portal/demands/{record.id}")
    with page.expect_download() as portal_download:
        page.get_by_role("link", name=NAME).click()
    assert portal_download.value.suggested_filename == NAME

    [attachment] = demands.list_attachments(comity.reader, fbi, record.id)
    token = identity.issue_token(comity.intake_uow, comity.clock, "fbi-agent", label="t", actor="t")
    api = browser.new_context(extra_http_headers={"Authorization": f"Bearer {token}"}).new_page()
    with api.expect_download() as api_download, pytest.raises(Error, match="Download is starting"):
        api.goto(f"{url}/demands/{record.id}/attachments/{attachment.id}")  # a download, no page
    assert api_download.value.suggested_filename == NAME
