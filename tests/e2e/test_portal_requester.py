"""What a requester meets in the portal (issue 15): one plain status, a withdrawal that asks to
confirm first, the provider's published key, and file names that survive the download."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from tests.intake_support import FakeAssessor
from tests.portal_support import deliver_demo_warrant
from tests.web_support import PDF, WebDeployment, copy_of, csrf_of, sign_in_client, web_deployment
from typer.testing import CliRunner

from comity.entrypoints.api.app import create_app
from comity.entrypoints.cli.main import app as cli
from comity.entrypoints.downloads import content_disposition

DOC = (
    b'{"reference": "FBI-7", "received_at": "2026-11-23T10:00:00Z", "issuing_authority": '
    b'{"country": "US", "kind": "court", "name": "U.S. District Court", "forum": "us.nysd"}, '
    b'"instrument": "us.warrant", "categories": ["content"], '
    b'"targets": [{"type": "email", "value": "x@example.com"}]}'
)
NAME = "résumé-☃.pdf"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> WebDeployment:
    return web_deployment(tmp_path_factory.mktemp("portal-template"))


@pytest.fixture
def web(template: WebDeployment, tmp_path: Path) -> WebDeployment:
    return copy_of(template, tmp_path / "deployment")


@pytest.fixture
def client(web: WebDeployment) -> TestClient:
    return TestClient(create_app(web.comity, assessor=FakeAssessor()))


def file_demand(client: TestClient, filename: str = "w.pdf") -> str:
    """File a demand from the portal as the signed-in requester; its page's URL."""
    token = csrf_of(client.get("/portal/submit").text)
    response = client.post(
        "/portal/submit",
        data={"csrf": token},
        files={"demand_json": ("d.json", DOC, "application/json"), "file": (filename, PDF)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def text_of(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', page)
    assert found is not None, f"no #{element_id} on the page"
    return html.unescape(found[1])


def filename_from(header: str) -> str:
    """The name a client reads from ``Content-Disposition``: ``filename*`` first (RFC 6266 4.3)."""
    extended = re.search(r"filename\*=UTF-8''([^;\s]+)", header)
    if extended:
        return unquote(extended[1], encoding="utf-8", errors="strict")
    plain = re.search(r'filename="([^"]*)"', header)
    assert plain is not None, header
    return plain[1]


def test_the_portal_gives_one_status_in_plain_words(web: WebDeployment, client: TestClient) -> None:
    sign_in_client(client, web, "fbi-agent")
    url = file_demand(client)
    page = client.get(url).text
    assert page.count('id="status"') == 1
    assert "Where it stands" not in page
    assert text_of(page, "status") == "assessed, waiting for review"
    assert text_of(page, "waits-on") == "the provider's legal team"
    assert "reviewer will decide" in text_of(page, "next-step")
    listing = client.get("/portal").text
    assert "Where it stands" not in listing
    assert listing.count('<th scope="col">Status</th>') == 1
    assert "assessed, waiting for review<br><small>waiting on the provider&#39;s legal team" in (
        listing
    )


def test_a_delivered_demand_waits_on_the_requester_and_shows_the_key(
    web: WebDeployment, client: TestClient
) -> None:
    production = deliver_demo_warrant(web)
    sign_in_client(client, web, "dea-agent")
    page = client.get(f"/portal/demands/{web.warrant_id}").text
    assert text_of(page, "status") == "delivered"
    assert text_of(page, "waits-on") == "you"
    assert production.id in page
    fingerprint = web.comity.provider_key.public.fingerprint
    assert text_of(page, "provider-fingerprint") == fingerprint
    assert 'href="/check-a-package"' in page
    assert 'href="/keys/provider.pub.pem"' in page
    # Delivered is past withdrawal: neither offered nor confirmed.
    assert f"/portal/demands/{web.warrant_id}/withdraw" not in page
    assert client.get(f"/portal/demands/{web.warrant_id}/withdraw").status_code == 409


def test_withdrawal_asks_to_confirm_and_says_what_it_does(
    web: WebDeployment, client: TestClient
) -> None:
    sign_in_client(client, web, "fbi-agent")
    url = file_demand(client)
    page = client.get(url).text
    assert f'action="{url}/withdraw"' not in page  # no one-click withdrawal on the demand page
    assert f'href="{url}/withdraw"' in page
    confirm = client.get(url + "/withdraw")
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.text
    assert "nothing from it will be disclosed" in confirm.text
    assert text_of(client.get(url).text, "status") == "assessed, waiting for review"  # unchanged
    gone = client.post(
        url + "/withdraw", data={"csrf": csrf_of(confirm.text), "reason": "solved otherwise"}
    )
    assert gone.status_code == 200
    assert text_of(gone.text, "status") == "withdrawn"
    assert text_of(gone.text, "waits-on") == "nobody: this demand is finished"
    assert f'href="{url}/withdraw"' not in gone.text
    again = client.get(url + "/withdraw")
    assert again.status_code == 409
    assert "cannot be withdrawn by you now" in again.text


def test_another_agency_is_not_asked_to_confirm_a_withdrawal(
    web: WebDeployment, client: TestClient
) -> None:
    sign_in_client(client, web, "fbi-agent")
    url = file_demand(client)
    other = TestClient(client.app)
    sign_in_client(other, web, "dea-agent")  # another agency: the demand does not exist for them
    assert other.get(url + "/withdraw").status_code == 404


def test_the_provider_key_is_published_without_sign_in(
    web: WebDeployment, client: TestClient
) -> None:
    published = (web.comity.home / "keys" / "provider.pub.pem").read_bytes()
    key = web.comity.provider_key.public
    response = client.get("/keys/provider.pub.pem")
    assert response.status_code == 200
    assert response.content == published
    assert response.headers["content-type"] == "application/x-pem-file"
    assert response.headers["comity-key-fingerprint"] == "sha256:" + key.fingerprint
    assert response.headers["comity-key-id"] == key.key_id
    assert key.key_id == "ed25519:" + key.fingerprint[:16]
    check = client.get("/check-a-package")
    assert check.status_code == 200
    assert text_of(check.text, "key-fingerprint") == key.fingerprint
    assert text_of(check.text, "key-id") == key.key_id
    assert '<script src="/static/check-package.js" defer></script>' in check.text
    assert "script-src 'self'" in check.headers["content-security-policy"]
    assert client.post("/keys/provider.pub.pem").headers["allow"] == "GET"
    shown = CliRunner().invoke(cli, ["keys", "provider", "--dir", str(web.comity.home)])
    assert shown.exit_code == 0, shown.output
    assert f"sha-256 fingerprint: {key.fingerprint}" in shown.output
    pem = CliRunner().invoke(cli, ["keys", "provider", "--pem", "--dir", str(web.comity.home)])
    assert pem.output.encode() == published


def test_a_non_ascii_file_name_survives_the_portal_and_the_api(
    web: WebDeployment, client: TestClient
) -> None:
    sign_in_client(client, web, "fbi-agent")
    url = file_demand(client, NAME)
    page = client.get(url).text
    attachment = re.findall(r"/files/(att-\w+)", page)[0]
    got = client.get(f"{url}/files/{attachment}")
    header = got.headers["content-disposition"]
    assert got.content == PDF
    assert filename_from(header) == NAME
    assert header.startswith('attachment; filename="resume-_.pdf"; ')
    demand_id = url.rsplit("/", 1)[1]
    from comity.services import identity  # noqa: PLC0415 - only this test issues a token

    token = identity.issue_token(
        web.comity.intake_uow, web.comity.clock, "fbi-agent", label="t", actor="test"
    )
    api = client.get(
        f"/demands/{demand_id}/attachments/{attachment}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 200
    assert filename_from(api.headers["content-disposition"]) == NAME


def test_a_package_download_names_its_file(web: WebDeployment, client: TestClient) -> None:
    production = deliver_demo_warrant(web)
    sign_in_client(client, web, "dea-agent")
    page = client.get(f"/portal/demands/{web.warrant_id}").text
    got = client.post(f"/portal/productions/{production.id}/download", data={"csrf": csrf_of(page)})
    assert got.status_code == 200
    assert got.headers["content-disposition"] == f'attachment; filename="{production.id}.tar"'


@given(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40))
def test_any_file_name_round_trips_through_the_header(name: str) -> None:
    header = content_disposition(name)
    assert header.isascii()
    assert "\r" not in header
    assert "\n" not in header
    assert filename_from(header) == name
    fallback = re.match(r'attachment; filename="([^"]*)"', header)
    assert fallback is not None
    assert "\\" not in fallback[1]
