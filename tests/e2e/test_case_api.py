"""``/cases`` and ``/due`` over HTTP: staff act within their roles, four eyes hold,
requesters see only their agency's cases without the internal review, errors are 4xx."""

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
        for u in ("rev", "appr", "admin", "aud", "agent", "pierre")
    }
    app = create_app(comity, assessor=comity.assessor)
    with serving(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client, tokens, comity


def test_a_case_over_http(world: tuple[httpx.Client, dict[str, dict[str, str]], Comity]) -> None:
    api, auth, _ = world
    filed = api.post("/demands", content=json.dumps(WARRANT), headers=auth["agent"])
    assert filed.status_code == 201, filed.text
    demand_id = filed.json()["id"]
    queue = api.get("/cases", headers=auth["rev"]).json()["items"]
    assert [(q["demand"], q["state"]) for q in queue] == [(demand_id, "assessed")]
    assert queue[0]["waiting_on"] == "review"
    case_id = queue[0]["id"]
    url = f"/cases/{case_id}"

    r = api.post(f"{url}/approve", headers=auth["appr"])
    assert r.status_code == 409
    assert (
        "allowed actions: reassess, start_review, object, withdraw" in r.json()["error"]["message"]
    )
    assert api.post(f"{url}/review", headers=auth["aud"]).status_code == 403
    assert api.post(f"{url}/review", headers=auth["rev"]).json()["case"]["state"] == "in_review"
    for key in (SUBSCRIBER, TRAFFIC):
        r = api.post(
            f"{url}/decisions", json={"finding": key, "decision": "produce"}, headers=auth["rev"]
        )
        assert r.status_code == 200, r.text
    r = api.post(
        f"{url}/decisions", json={"finding": CONTENT, "decision": "withhold"}, headers=auth["rev"]
    )
    assert r.status_code == 400
    assert r.json()["error"]["message"].startswith("justification:")
    secret = "internal: the Dublin content is out of reach of the warrant"
    r = api.post(
        f"{url}/decisions",
        json={"finding": CONTENT, "decision": "withhold", "justification": secret},
        headers=auth["rev"],
    )
    assert r.json()["statuses"][CONTENT] == "withhold"
    api.post(f"{url}/recommend", json={"note": "US records"}, headers=auth["rev"])
    r = api.post(f"{url}/approve", headers=auth["rev"])
    assert r.status_code == 403
    r = api.post(f"{url}/approve", headers=auth["appr"])
    assert r.json()["case"]["state"] == "partly_approved"
    r = api.post(f"{url}/reject", json={"reason": ""}, headers=auth["rev"])
    assert r.status_code == 400

    # Requesters: their agency's case without the review; another agency's is a 404.
    mine = api.get(url, headers=auth["agent"])
    assert mine.status_code == 200
    assert set(mine.json()) == {
        "id",
        "demand",
        "reference",
        "instrument",
        "state",
        "received_at",
        "history",
    }
    assert secret not in mine.text
    assert '"rev"' not in mine.text
    assert [h["to"] for h in mine.json()["history"]] == ["assessed", "in_review", "partly_approved"]
    assert api.get(url, headers=auth["pierre"]).status_code == 404
    assert api.post(f"{url}/withdraw", headers=auth["pierre"]).status_code == 404
    assert api.get("/cases", headers=auth["pierre"]).json() == {"items": [], "next": None}
    assert api.post(f"{url}/approve", headers=auth["agent"]).status_code == 403
    assert api.get("/due", headers=auth["agent"]).status_code == 403

    # Holds, the due list and the court.
    r = api.post(
        f"{url}/holds",
        json={
            "account": "msn-1",
            "categories": ["content"],
            "region": "eu-ie",
            "basis": "us.2703f",
        },
        headers=auth["rev"],
    )
    assert r.status_code == 201, r.text
    hold_id = r.json()["active_holds"][0]
    r = api.post(f"{url}/holds/{hold_id}/extend", headers=auth["rev"])
    assert r.status_code == 200, r.text
    assert api.post(f"{url}/holds/{hold_id}/extend", headers=auth["rev"]).status_code == 409
    due = api.get("/due", params={"within": "400d"}, headers=auth["aud"]).json()
    kinds = {d["kind"] for d in due["items"]}
    assert {"hold_expiry", "user_notice"} <= kinds
    assert api.get("/due", params={"within": "x"}, headers=auth["aud"]).status_code == 400
    r = api.post(
        f"{url}/court",
        json={"kind": "motion_2703h", "motion_id": "m-1", "scope": {"categories": ["content"]}},
        headers=auth["rev"],
    )
    assert r.json()["case"]["state"] == "objected"
    assert api.post(f"{url}/court", json={"kind": "duel"}, headers=auth["rev"]).status_code == 400
    r = api.post(
        f"{url}/reassess",
        json={"reason": "829 F.3d 197", "as_of": "2016-07-14"},
        headers=auth["rev"],
    )
    assert r.status_code == 200, r.text
    assert r.json()["reassessment"]["diff"]
    r = api.post(f"{url}/withdraw", json={"reason": "moot"}, headers=auth["agent"])
    assert r.json()["state"] == "withdrawn"
    demand = api.get(f"/demands/{demand_id}", headers=auth["agent"]).json()
    assert demand["status"] == "withdrawn"
    assert api.get("/cases/case-nope", headers=auth["rev"]).status_code == 404
