"""``GET /cases`` and ``GET /due`` a page at a time: ``limit`` and the cursor ``after`` walk the
whole list once, in order; a bad page size or cursor is a 400 naming what is wrong."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.case_support import T0, WARRANT, build
from tests.conftest import FixedClock
from tests.intake_support import serving

from comity.entrypoints.api.app import create_app
from comity.services import identity


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[httpx.Client, dict[str, dict[str, str]]]]:
    comity = build(tmp_path, FixedClock(T0))
    tokens = {
        u: {
            "Authorization": "Bearer "
            + identity.issue_token(comity.intake_uow, comity.clock, u, label="t", actor="test")
        }
        for u in ("rev", "aud", "agent", "pierre")
    }
    app = create_app(comity, assessor=comity.assessor)
    with serving(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        for n in range(5):
            doc = {
                **WARRANT,
                "reference": f"13-MAG-{n}",
                "received_at": f"2013-12-0{n + 1}T16:00:00Z",
            }
            filed = client.post("/demands", content=json.dumps(doc), headers=tokens["agent"])
            assert filed.status_code == 201, filed.text
        yield client, tokens


def _walk(client: httpx.Client, path: str, headers: dict[str, str], **params: object) -> list[str]:
    seen: list[str] = []
    after = None
    for _ in range(10):
        query = {**params, "limit": 2, **({"after": after} if after else {})}
        r = client.get(path, params=query, headers=headers)
        assert r.status_code == 200, r.text
        assert len(r.json()) <= 2
        seen += [c["id"] for c in r.json()]
        after = r.headers.get("X-Next-Cursor")
        if after is None:
            return seen
    raise AssertionError("the cursor never ended")


def test_the_queue_pages_walk_the_whole_queue(api) -> None:
    client, auth = api
    whole = [c["id"] for c in client.get("/cases", headers=auth["rev"]).json()]
    assert len(whole) == 5
    assert _walk(client, "/cases", auth["rev"]) == whole
    assert _walk(client, "/cases", auth["rev"], open="true") == whole
    assert _walk(client, "/cases", auth["agent"]) == whole  # the agency's own
    assert client.get("/cases", params={"limit": 2}, headers=auth["pierre"]).json() == []
    last = client.get("/cases", params={"limit": 5}, headers=auth["rev"])
    assert "X-Next-Cursor" not in last.headers


def test_the_due_list_pages_walk_the_whole_list(api) -> None:
    client, auth = api
    whole = client.get("/due", params={"within": "731d"}, headers=auth["aud"]).json()
    assert whole["next"] is None
    expected = whole["overdue"] + whole["due_soon"]
    assert expected
    seen: list[dict[str, object]] = []
    after = None
    for _ in range(len(expected) + 1):
        params = {"within": "731d", "limit": 2, **({"after": after} if after else {})}
        page = client.get("/due", params=params, headers=auth["aud"]).json()
        seen += page["overdue"] + page["due_soon"]
        after = page["next"]
        if after is None:
            break
    assert seen == expected


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/cases", {"limit": 0}, "limit: expected 1 to 500 cases a page, got 0"),
        ("/cases", {"limit": 10, "after": "nope"}, "after: not a cursor this list gave out"),
        ("/due", {"limit": 501}, "limit: expected 1 to 500 deadlines a page, got 501"),
        ("/due", {"after": "e30"}, "after: not a cursor this list gave out"),
    ],
)
def test_a_bad_page_is_a_400_naming_it(api, path: str, params: dict, message: str) -> None:
    client, auth = api
    r = client.get(path, params=params, headers=auth["aud"])
    assert r.status_code == 400
    assert message in r.text
