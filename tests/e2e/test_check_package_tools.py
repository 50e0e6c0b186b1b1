"""The "Check a package" page's standard-tools instructions, followed literally (issue 15).

A requester downloads a real package from the portal, and every command the page shows is run as
shown, in order, in one shell, with the real ``curl``, ``openssl``, ``tar``, ``sha256sum``,
``sha512sum`` and the Library of Congress ``bagit.py``: on the package they pass, and on a
package with one byte changed (in a record, or in the signed list) they stop with the failure
the page says to look for. The same commands serve every package Comity makes: the second
format with its default options (SHA-256 only, ``tagmanifest-sha256.txt`` signed), the second
format with SHA-512 and the mbox copy (``tagmanifest-sha512.txt`` signed), and the first format.
Only the page's one-time ``pip install bagit`` is not run (the test environment has it).
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests import packaging
from tests.intake_support import FakeAssessor, serving
from tests.portal_support import deliver_demo_warrant
from tests.web_support import PASSWORD, WebDeployment, csrf_of, web_deployment

from comity.adapters.package.writer import produce_package
from comity.domain.authorization import PackageOptions
from comity.entrypoints.api.app import create_app
from comity.services.productions.ports import Production

TOOLS_PATH = f"{Path(sys.executable).parent}:/usr/bin:/bin"


#: The deployment, its production, the requester's client and the tag manifest that is signed.
Delivered = tuple[WebDeployment, Production, httpx.Client, str]

#: The package options of each delivery, and the tag manifest the provider signs under them.
OPTIONS = {
    "default": (PackageOptions(), "tagmanifest-sha256.txt"),
    "sha512-mbox": (PackageOptions(mbox=True, sha512=True), "tagmanifest-sha512.txt"),
}


@pytest.fixture(scope="module", params=sorted(OPTIONS))
def delivered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Delivered]:
    """The demo warrant delivered with each package's options, and its requester signed in
    (once per deployment: a TOTP code is spent)."""
    web = web_deployment(tmp_path_factory.mktemp("check-tools"))
    production = deliver_demo_warrant(web, OPTIONS[request.param][0])
    with serving(create_app(web.comity, assessor=FakeAssessor())) as url:
        client = signed_in(url, web, "dea-agent")
        try:
            yield web, production, client, OPTIONS[request.param][1]
        finally:
            client.close()


def signed_in(url: str, web: WebDeployment, user_id: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    token = csrf_of(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={
            "email": web.people[user_id].email,
            "password": PASSWORD,
            "code": web.code(user_id),
            "csrf": token,
        },
    )
    assert response.status_code == 303, response.text
    return client


def download(client: httpx.Client, web: WebDeployment, production: Production, to: Path) -> Path:
    """The package as the requester's browser saves it: under the name the server gives."""
    page = client.get(f"/portal/demands/{web.warrant_id}").text
    got = client.post(f"/portal/productions/{production.id}/download", data={"csrf": csrf_of(page)})
    assert got.status_code == 200
    name = re.search(r'filename="([^"]+)"', got.headers["content-disposition"])
    assert name is not None
    to.mkdir()
    path = to / name[1]
    path.write_bytes(got.content)
    return path


def page_commands(client: httpx.Client) -> str:
    """The page's commands, in order, as one shell script that stops at the first failure."""
    page = client.get("/check-a-package").text
    commands = [
        html.unescape(c) for c in re.findall(r'<code class="command">(.*?)</code>', page, re.S)
    ]
    assert len(commands) == 8
    return "set -euo pipefail\n" + "\n".join(commands) + "\n"


def run(script: str, folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script],
        cwd=folder,
        capture_output=True,
        text=True,
        env={"PATH": TOOLS_PATH, "LC_ALL": "C.UTF-8"},
        check=False,
        timeout=120,
    )


def flip_byte(package: Path, member_name: str) -> None:
    """Change one byte of ``member_name``'s content; the tar headers stay valid."""
    with tarfile.open(package) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(member_name))
        offset = member.offset_data
    data = bytearray(package.read_bytes())
    data[offset] ^= 0x01
    package.write_bytes(bytes(data))


def test_the_pages_commands_check_a_real_package(delivered: Delivered, tmp_path: Path) -> None:
    web, production, client, signed = delivered
    package = download(client, web, production, tmp_path / "good")
    script = page_commands(client)
    done = run(script, package.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    fingerprint = web.comity.provider_key.public.fingerprint
    assert f"{fingerprint}  -" in done.stdout  # step 2: the key's fingerprint, as the page shows
    assert f"{production.sha256}  {production.id}.tar" in done.stdout  # step 3
    assert f"the signed list is {signed}" in done.stdout
    assert "Signature Verified Successfully" in done.stdout
    assert "every file matches its SHA-256" in done.stdout
    sha512_checked = "every file matches its SHA-512" in done.stdout
    assert sha512_checked == (signed == "tagmanifest-sha512.txt")
    assert signed_list(package) == signed
    assert "signed with the published key" in done.stdout
    assert "is valid" in done.stderr  # bagit.py logs its verdict


def test_the_pages_commands_check_a_first_format_package(
    delivered: Delivered, tmp_path: Path
) -> None:
    """A package made before package options (no ``package`` in its authorization) still has
    both algorithms' manifests and tagmanifest-sha512.txt signed: the same commands check it."""
    web, _, client, _ = delivered
    folder = tmp_path / "first"
    folder.mkdir()
    package = folder / "prd-first.tar"
    produce_package(
        package,
        packaging.request(packaging.sample_authorization(package=None)),
        packaging.sample_records(),
        signing_key=web.comity.provider_key,
        control_plane_keys=[packaging.CONTROL_PLANE_KEY.public],
    )
    with tarfile.open(package) as tar:
        info = tar.extractfile(tar.getmember("package-auth-0001/bag-info.txt"))
        assert info is not None
        assert b"Comity-Package-Format" not in info.read()  # the first format
    done = run(page_commands(client), folder)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the signed list is tagmanifest-sha512.txt" in done.stdout
    assert "Signature Verified Successfully" in done.stdout
    assert "every file matches its SHA-256" in done.stdout
    assert "every file matches its SHA-512" in done.stdout
    assert "signed with the published key" in done.stdout
    assert "is valid" in done.stderr


def test_the_pages_commands_stop_at_a_changed_record(delivered: Delivered, tmp_path: Path) -> None:
    web, production, client, _ = delivered
    package = download(client, web, production, tmp_path / "record")
    script = page_commands(client)
    flip_byte(package, "data/index.csv")
    done = run(script, package.parent)
    assert done.returncode != 0
    assert "Signature Verified Successfully" in done.stdout  # the signed list is intact...
    assert "data/index.csv: FAILED" in done.stdout  # ...but the record does not match it
    assert "every file matches" not in done.stdout


def test_the_pages_commands_stop_at_a_changed_signed_list(
    delivered: Delivered, tmp_path: Path
) -> None:
    web, production, client, signed = delivered
    package = download(client, web, production, tmp_path / "list")
    script = page_commands(client)
    assert signed_list(package) == signed
    flip_byte(package, "/" + signed)
    done = run(script, package.parent)
    assert done.returncode != 0
    assert "Signature Verification Failure" in done.stdout + done.stderr
    assert "every file matches" not in done.stdout


def signed_list(package: Path) -> str:
    """The tag manifest the provider signed: SHA-512's when the package has one."""
    with tarfile.open(package) as tar:
        names = {Path(m.name).name for m in tar.getmembers()}
    [signature] = [n for n in names if n.startswith("tagmanifest-") and n.endswith(".sig")]
    return signature.removesuffix(".sig")
