"""Issue 12: the API shows each caller what *they* may do on a case (the permission table)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.case_support import CONTENT, SUBSCRIBER, T0, TRAFFIC, WARRANT, build
from tests.conftest import FixedClock
from tests.intake_support import serving

from comity.bootstrap import Comity
from comity.entrypoints.api.app import create_app
from comity.services import identity


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[httpx.Client, dict[str, dict[str, str]], Comity]]:
    comity = build(tmp_path, FixedClock(T0))
    tokens = {
        u: {
            "Authorization": "Bearer "
            + identity.issue_token(comity.intake_uow, comity.clock, u, label="t", actor="test")
        }
        for u in ("rev", "appr", "admin", "aud", "agent")
    }
    app = create_app(comity, assessor=comity.assessor)
    with serving(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client, tokens, comity


def allowed_of(api: httpx.Client, url: str, auth: dict[str, str]) -> list[str]:
    r = api.get(url, headers=auth)
    assert r.status_code == 200, r.text
    return list(r.json()["allowed_actions"])


def test_allowed_actions_follow_the_caller(
    world: tuple[httpx.Client, dict[str, dict[str, str]], Comity],
) -> None:
    api, auth, _ = world
    filed = api.post("/demands", content=json.dumps(WARRANT), headers=auth["agent"])
    assert filed.status_code == 201, filed.text
    queue = api.get("/cases", headers=auth["rev"]).json()["items"]
    case_id = queue[0]["id"]
    # Assessed: a reviewer may start the review or object; an auditor may do nothing; Comity's
    # own re-assessment and the requester's withdrawal are not the reviewer's to take.
    assert queue[0]["allowed_actions"] == ["start_review", "object"]
    assert api.get("/cases", headers=auth["aud"]).json()["items"][0]["allowed_actions"] == []

    url = f"/cases/{case_id}"
    assert api.post(f"{url}/review", headers=auth["rev"]).status_code == 200
    for key in (SUBSCRIBER, TRAFFIC):
        api.post(
            f"{url}/decisions", json={"finding": key, "decision": "produce"}, headers=auth["rev"]
        )
    assert "approve" not in allowed_of(api, url, auth["appr"])  # nothing recommended yet
    api.post(
        f"{url}/decisions",
        json={"finding": CONTENT, "decision": "withhold", "justification": "out of reach"},
        headers=auth["rev"],
    )
    assert api.post(f"{url}/recommend", json={"note": "ok"}, headers=auth["rev"]).status_code == 200

    def allowed(user: str) -> list[str]:
        return allowed_of(api, url, auth[user])

    # Four eyes: the reviewer who recommended is never offered approval; the approver is.
    assert "approve" not in allowed("rev")
    assert "approve" in allowed("appr")
    assert allowed("aud") == []
    # Every action shown to a caller is one the API then accepts from them.
    assert api.post(f"{url}/approve", headers=auth["appr"]).status_code == 200
    assert "start_production" in allowed("appr")
    assert "start_production" not in allowed("rev")
