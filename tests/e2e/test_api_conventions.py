"""One API convention (issue 15): a 405 lists the methods the path takes, on the API, the pages
and the static files alike; a hold that does not exist, named by its short id, is a 404."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from tests.case_support import T0, WARRANT, build
from tests.conftest import FixedClock

from comity.entrypoints.api.app import create_app
from comity.services import identity


def test_every_405_lists_the_methods_the_path_takes(tmp_path: Path) -> None:
    comity = build(tmp_path, FixedClock(T0))
    client = TestClient(create_app(comity, assessor=comity.assessor))
    for method, path, allowed in (
        ("DELETE", "/demands", "GET, POST"),
        ("DELETE", "/portal", "GET"),  # a page: an HTML error, still with Allow
        ("PUT", "/sign-in", "GET, POST"),
        ("POST", "/check-a-package", "GET"),
        ("POST", "/static/console.css", "GET, HEAD"),  # static files answer HEAD too
    ):
        response = client.request(method, path)
        assert response.status_code == 405, (method, path)
        assert response.headers["allow"] == allowed, (method, path)
        if path.startswith(("/portal", "/sign-in", "/check")):
            assert f"this page takes {allowed}" in response.text
        else:
            assert response.json()["error"]["message"].endswith(f"this path takes {allowed}")


def test_a_holds_short_id_is_not_found(tmp_path: Path) -> None:
    comity = build(tmp_path, FixedClock(T0))
    client = TestClient(create_app(comity, assessor=comity.assessor))
    auth = {
        u: {
            "Authorization": "Bearer "
            + identity.issue_token(comity.intake_uow, comity.clock, u, label="t", actor="test")
        }
        for u in ("rev", "agent")
    }
    filed = client.post("/demands", content=json.dumps(WARRANT), headers=auth["agent"])
    assert filed.status_code == 201, filed.text
    case_id = client.get("/cases", headers=auth["rev"]).json()["items"][0]["id"]
    placed = client.post(
        f"/cases/{case_id}/holds",
        json={
            "account": "msn-1",
            "categories": ["content"],
            "region": "eu-ie",
            "basis": "us.2703f",
        },
        headers=auth["rev"],
    )
    assert placed.status_code == 201, placed.text
    assert placed.json()["active_holds"] == [f"{case_id}/hold-1"]
    for op, body in (("extend", None), ("confirm", None), ("release", {"reason": "x"})):
        response = client.post(
            f"/cases/{case_id}/holds/hold-1/{op}", json=body, headers=auth["rev"]
        )
        assert response.status_code == 404, (op, response.text)
        assert response.json()["error"]["message"] == (f"hold: no hold 'hold-1' in case {case_id}")
