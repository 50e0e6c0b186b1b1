"""The requester's side in Chromium (issue 15): the in-browser package check on real packages of
every kind Comity makes (the second format with its default options and with SHA-512 and the mbox
copy, and the first format), good and tampered, and a non-ASCII file name as the browser saves
it, from the portal and the API.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import tarfile
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Error, Page, expect

from comity.adapters.package.writer import produce_package
from comity.adapters.signing.ed25519 import SigningKey
from comity.domain.authorization import PackageOptions
from comity.law.countries import known_countries
from comity.services import identity
from comity.services.intake import demands
from tests import packaging
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


def made(to: Path, key: SigningKey, package: PackageOptions | None) -> Path:
    """A package of the sample records (messages too) signed with ``key``: the second format
    with ``package`` options, or the first format when None."""
    produce_package(
        to,
        packaging.request(packaging.sample_authorization(package)),
        packaging.sample_records(),
        signing_key=key,
        control_plane_keys=[packaging.CONTROL_PLANE_KEY.public],
    )
    return to


def member_bytes(package: Path, suffix: str) -> bytes:
    with tarfile.open(package) as tar:
        found = tar.extractfile(next(m for m in tar.getmembers() if m.name.endswith(suffix)))
        assert found is not None
        return found.read()


def sorted_by_name(package: Path, to: Path) -> Path:
    """A copy of ``package`` with the same members, sorted by name: in the second format,
    messages no longer first; in the first, a file before a directory its name extends."""
    with tarfile.open(package) as tar, tarfile.open(to, "w", format=tarfile.PAX_FORMAT) as out:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            out.addfile(member, tar.extractfile(member))
    return to


def edited_and_resigned(package: Path, bag_info: bytes, key: SigningKey, to: Path) -> Path:
    """A copy of a SHA-256-only package whose bag-info.txt is ``bag_info``, its
    tagmanifest-sha256.txt and signature made anew: what a provider holding its key could build."""
    with tarfile.open(package) as tar:
        members = [(m, tar.extractfile(m)) for m in tar.getmembers()]
        contents = {m.name: f.read() for m, f in members if f is not None}
    root = next(iter(contents)).split("/")[0]
    contents[f"{root}/bag-info.txt"] = bag_info
    listed = contents[f"{root}/tagmanifest-sha256.txt"].decode().splitlines()
    names = [line.split("  ", 1)[1] for line in listed]
    manifest = "".join(
        f"{hashlib.sha256(contents[f'{root}/{n}']).hexdigest()}  {n}\n" for n in names
    ).encode()
    contents[f"{root}/tagmanifest-sha256.txt"] = manifest
    signature = base64.b64encode(key.sign(manifest)) + b"\n"
    contents[f"{root}/tagmanifest-sha256.txt.sig"] = signature
    with tarfile.open(to, "w", format=tarfile.PAX_FORMAT) as out:
        for member, _ in members:
            data = contents[member.name]
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return to


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

    check(page, package)  # the second format, default options: SHA-256 only
    verdict = page.locator("#check-verdict")
    expect(verdict).to_have_text(re.compile(r"^Valid: prd-\w+\.tar is the package"))
    steps = page.locator("#check-steps li")
    expect(steps.first).to_contain_text(str(production.sha256))
    expect(steps.nth(1)).to_have_text("Signature: valid under the provider's published key.")
    expect(steps.nth(3)).to_have_text(
        re.compile(r"^Tag files: all \d+ match tagmanifest-sha256\.txt\.$")
    )
    expect(steps.nth(4)).to_have_text(
        "Package format 2 (mbox=no sha512=no), as bag-info.txt names it."
    )
    expect(steps.last).to_contain_text("match manifest-sha256.txt; none added or missing")

    check(page, tampered(package, "data/index.csv", tmp_path / "record.tar"))
    expect(verdict).to_have_text(
        "Not valid: data/index.csv does not match its SHA-256 in manifest-sha256.txt."
    )
    check(page, tampered(package, "/tagmanifest-sha256.txt", tmp_path / "list.tar"))
    expect(verdict).to_have_text(
        "Not valid: the signature over tagmanifest-sha256.txt is not valid under the published key."
    )
    truncated = tmp_path / "cut.tar"
    truncated.write_bytes(package.read_bytes()[:5000])
    check(page, truncated)
    expect(verdict).to_have_text(re.compile(r"^Not valid: .*(cut short|end-of-archive)"))

    key = web.comity.provider_key
    full = made(tmp_path / "prd-sha512.tar", key, PackageOptions(mbox=True, sha512=True))
    check(page, full)
    expect(verdict).to_have_text(
        "Valid: prd-sha512.tar is the package the provider signed, unchanged."
    )
    expect(steps.nth(3)).to_contain_text("match tagmanifest-sha256.txt and tagmanifest-sha512.txt")
    expect(steps.nth(4)).to_have_text(
        "Package format 2 (mbox=yes sha512=yes), as bag-info.txt names it."
    )
    expect(steps.last).to_contain_text("match manifest-sha256.txt and manifest-sha512.txt")
    check(page, tampered(full, "/content.mbox", tmp_path / "mbox.tar"))
    expect(verdict).to_have_text(
        re.compile(
            r"^Not valid: data/.*/content\.mbox does not match its SHA-256 in manifest-sha256"
        )
    )
    check(page, tampered(full, "/tagmanifest-sha512.txt", tmp_path / "list512.tar"))
    expect(verdict).to_have_text(
        "Not valid: the signature over tagmanifest-sha512.txt is not valid under the published key."
    )

    first = made(tmp_path / "prd-first.tar", key, None)
    check(page, first)
    expect(verdict).to_have_text(
        "Valid: prd-first.tar is the package the provider signed, unchanged."
    )
    expect(steps.nth(4)).to_have_text(
        "Package format 1 (SHA-256 and SHA-512 manifests), as bag-info.txt names it."
    )
    check(page, tampered(first, "/tagmanifest-sha512.txt", tmp_path / "list-first.tar"))
    expect(verdict).to_have_text(
        "Not valid: the signature over tagmanifest-sha512.txt is not valid under the published key."
    )

    # A package whose signer named options its manifests do not follow, or reordered it.
    original = member_bytes(package, "/bag-info.txt")
    assert b"Comity-Package-Options: mbox=no sha512=no\n" in original
    claims = original.replace(b"sha512=no", b"sha512=yes")
    check(page, edited_and_resigned(package, claims, key, tmp_path / "claims.tar"))
    expect(verdict).to_have_text(
        "Not valid: the package's manifests (sha256) are not the ones its options "
        "(mbox=no sha512=yes) call for."
    )
    check(page, sorted_by_name(full, tmp_path / "sorted.tar"))
    expect(verdict).to_have_text(
        re.compile(
            r"^Not valid: archive entry 1 is authorization\.json, "
            r"where the canonical order has data/\S+\.eml\.$"
        )
    )
    check(page, sorted_by_name(first, tmp_path / "sorted-first.tar"))
    expect(verdict).to_have_text(  # by name, "content.mbox" comes before "content/..."
        "Not valid: archive entry package-auth-0001/data/eu-ie/acct-0001/content/"
        "00000001-msg-acct-0001-0.eml is out of canonical order."
    )
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
