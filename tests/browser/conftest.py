"""Playwright driving Debian's Chromium (``make test`` installs it) against a live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from comity.entrypoints.api.app import create_app
from tests.intake_support import serving
from tests.web_support import WebDeployment, copy_of, web_deployment

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing; `make test` installs it")
        pytest.skip("needs Debian's chromium: run through `make test`")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> WebDeployment:
    return web_deployment(tmp_path_factory.mktemp("browser-template"))


@pytest.fixture
def live(template: WebDeployment, tmp_path: Path) -> Iterator[tuple[WebDeployment, str]]:
    """A copy of the deployment served by uvicorn on a free port, with the real law engine."""
    web = copy_of(template, tmp_path / "deployment")
    with serving(create_app(web.comity, assessor=web.comity.assessor)) as url:
        yield web, url
