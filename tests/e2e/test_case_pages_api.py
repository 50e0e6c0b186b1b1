"""``GET /cases``, ``GET /demands`` and ``GET /due`` a page at a time, all the same way:
``{"items", "next"}``, with ``limit`` and the cursor ``next`` given back as ``cursor``, walk the
whole list once, in order; a bad page size, cursor or filter is a 400 naming what is wrong."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.case_support import T0, WARRANT, build
from tests.conftest import FixedClock
from tests.intake_support import serving

from comity.entrypoints.api.app import create_app
from comity.entrypoints.api.paging import Page
from comity.entrypoints.api.schemas import CaseLineOut, DemandOut, DueItemOut
from comity.services import identity
from comity.services.cases import actions as cases


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
        # Approved cases owe the user notice before disclosure: the due list has items to page.
        with comity.reader() as uow:
            rev, appr = uow.intake.get_user("rev"), uow.intake.get_user("appr")
        assert rev is not None
        assert appr is not None
        for line in cases.list_cases(comity.intake_uow, comity.clock, rev)[:3]:
            case_id = line.case.case_id
            cases.start_review(comity.intake_uow, comity.clock, rev, case_id)
            for finding in line.case.findings:
                cases.decide(
                    comity.intake_uow,
                    comity.clock,
                    rev,
                    case_id,
                    finding=finding.key,
                    decision="produce",
                )
            cases.recommend(comity.intake_uow, comity.clock, rev, case_id, "produce")
            cases.approve(comity.intake_uow, comity.clock, appr, case_id)
        yield client, tokens


def _walk(
    client: httpx.Client, path: str, headers: dict[str, str], limit: int = 2, **params: object
) -> list[dict[str, object]]:
    """Every item of a list, a page at a time, following ``next`` until it is null."""
    seen: list[dict[str, object]] = []
    cursor = None
    for _ in range(50):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        r = client.get(path, params=query, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        assert set(page) == {"items", "next"}
        assert len(page["items"]) <= limit
        seen += page["items"]
        cursor = page["next"]
        if cursor is None:
            return seen
    raise AssertionError("the cursor never ended")


def _ids(items: list[dict[str, object]]) -> list[object]:
    return [i["id"] for i in items]


def test_the_queue_pages_walk_the_whole_queue(api) -> None:
    client, auth = api
    whole = _ids(client.get("/cases", params={"limit": 500}, headers=auth["rev"]).json()["items"])
    assert len(whole) == 5
    assert _ids(_walk(client, "/cases", auth["rev"])) == whole
    assert _ids(_walk(client, "/cases", auth["rev"], open="true")) == whole
    assert _ids(_walk(client, "/cases", auth["agent"])) == whole  # the agency's own
    assert client.get("/cases", params={"limit": 2}, headers=auth["pierre"]).json() == {
        "items": [],
        "next": None,
    }
    last = client.get("/cases", params={"limit": 5}, headers=auth["rev"]).json()
    assert last["next"] is None


def test_the_queue_filters_by_whom_each_case_waits_on(api) -> None:
    client, auth = api
    every = _walk(client, "/cases", auth["rev"], limit=500)
    # Two filed and assessed wait on legal review; three approved (the fixture) on production.
    parties = [c["waiting_on"] for c in every]
    assert sorted(parties) == ["production"] * 3 + ["review"] * 2
    review = [c for c in every if c["waiting_on"] == "review"]
    assert _ids(_walk(client, "/cases", auth["rev"], waiting_on="review")) == _ids(review)
    assert _walk(client, "/cases", auth["rev"], waiting_on="approval") == []
    both = _walk(client, "/cases", auth["rev"], waiting_on=["production", "review"])
    assert _ids(both) == _ids(every)
    # A requester sees their cases but not the internal fields.
    theirs = _walk(client, "/cases", auth["agent"])
    assert theirs
    assert all("waiting_on" not in c for c in theirs)
    assert all("allowed_actions" not in c for c in theirs)


def test_the_demand_list_pages_walk_every_demand_in_filing_order(api) -> None:
    client, auth = api
    whole = _walk(client, "/demands", auth["rev"], limit=500)
    assert [d["reference"] for d in whole] == [f"13-MAG-{n}" for n in range(5)]
    assert _ids(_walk(client, "/demands", auth["rev"])) == _ids(whole)
    assert _ids(_walk(client, "/demands", auth["agent"], limit=1)) == _ids(whole)
    assert _walk(client, "/demands", auth["pierre"]) == []


def test_the_due_list_pages_walk_the_whole_list(api) -> None:
    client, auth = api
    whole = client.get("/due", params={"within": "731d", "limit": 500}, headers=auth["aud"]).json()
    assert whole["next"] is None
    expected = whole["items"]
    assert expected
    assert all(isinstance(i["overdue"], bool) for i in expected)
    assert _walk(client, "/due", auth["aud"], within="731d") == expected


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/cases", {"limit": 0}, "limit: expected 1 to 500 cases a page, got 0"),
        ("/cases", {"waiting_on": "lunch"}, "waiting_on: unknown party lunch"),
        ("/due", {"limit": 501}, "limit: expected 1 to 500 deadlines a page, got 501"),
        ("/demands", {"limit": 0}, "limit: expected 1 to 500 demands a page, got 0"),
        ("/demands", {"cursor": "a+b"}, "cursor"),
    ],
)
def test_a_bad_page_is_a_400_naming_it(api, path: str, params: dict, message: str) -> None:
    client, auth = api
    r = client.get(path, params=params, headers=auth["aud"])
    assert r.status_code == 400
    assert message in r.text


@pytest.mark.parametrize(
    ("path", "cursor"),
    [("/cases", "nope"), ("/due", "e30"), ("/demands", "WyJ4Il0"), ("/demands", "A")],
)
def test_a_well_formed_cursor_the_server_did_not_give_out_is_the_first_page(
    api, path: str, cursor: str
) -> None:
    """ADR 0011: every cursor the published pattern allows is a position, so Schemathesis's
    schema-valid requests are accepted; one that is not a key of the list is its start."""
    client, auth = api
    first = client.get(path, params={"limit": 2}, headers=auth["aud"])
    again = client.get(path, params={"limit": 2, "cursor": cursor}, headers=auth["aud"])
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()


def test_a_cursor_from_one_list_given_to_another_is_its_start(api) -> None:
    client, auth = api
    page = client.get("/cases", params={"limit": 1}, headers=auth["rev"]).json()
    first = client.get("/due", headers=auth["aud"])
    r = client.get("/due", params={"cursor": page["next"]}, headers=auth["aud"])
    assert r.status_code == 200
    assert r.json() == first.json()


def test_a_cursor_longer_than_published_is_a_400(api) -> None:
    client, auth = api
    r = client.get("/cases", params={"cursor": "a" * 2001}, headers=auth["aud"])
    assert r.status_code == 400
    assert "cursor" in r.text


def test_every_other_list_pages_the_same_way(api) -> None:
    client, auth = api
    [first, *_] = _walk(client, "/demands", auth["rev"], limit=500)
    lists = [
        ("/authorities", auth["rev"]),
        ("/requesters", auth["rev"]),
        (f"/demands/{first['id']}/assessments", auth["rev"]),
        (f"/demands/{first['id']}/productions", auth["rev"]),
        (f"/demands/{first['id']}/attachments", auth["rev"]),
    ]
    for path, headers in lists:
        whole = _walk(client, path, headers, limit=500)
        assert _walk(client, path, headers, limit=1) == whole, path
        foreign = client.get(path, params={"cursor": "WyJ4IiwieSIsInoiXQ"}, headers=headers)
        assert foreign.status_code == 200, path  # not a key of this list: its start
        assert foreign.json()["items"] == whole[: len(foreign.json()["items"])], path
    assert _walk(client, "/authorities", auth["rev"], limit=500)
    assert _walk(client, "/requesters", auth["rev"], limit=500)
    assert _walk(client, f"/demands/{first['id']}/assessments", auth["rev"], limit=500)


def test_the_published_schema_says_how_every_list_pages(api) -> None:
    client, _ = api
    spec = client.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        get = item.get("get")
        if get is None:
            continue
        answer = get["responses"]["200"].get("content", {}).get("application/json", {})
        ref = answer.get("schema", {}).get("$ref", "")
        if not ref.split("/")[-1].startswith("Page"):
            assert answer.get("schema", {}).get("type") != "array", f"{path} answers a bare list"
            continue
        params = {p["name"]: p for p in get["parameters"]}
        assert params["limit"]["schema"]["maximum"] == 500, path
        cursor = params["cursor"]["schema"]
        pattern = next(s["pattern"] for s in cursor.get("anyOf", [cursor]) if "pattern" in s)
        assert pattern == "^[A-Za-z0-9_-]{1,2000}$", path


_PAGES = [
    ("/cases", "rev", {"limit": 3}, CaseLineOut, True),
    ("/cases", "agent", {"limit": 3}, CaseLineOut, True),
    ("/due", "aud", {"within": "731d", "limit": 3}, DueItemOut, False),
    ("/demands", "agent", {"limit": 3}, DemandOut, False),
]


@pytest.mark.parametrize(("path", "who", "params", "model", "exclude_unset"), _PAGES)
def test_a_page_is_the_bytes_its_response_model_gives(
    api, path: str, who: str, params: dict, model: type, exclude_unset: bool
) -> None:
    """The queue, the due list and the demand list serialise their page in the endpoint
    (``page_answer``); the bytes are those FastAPI makes from the route's response model."""
    client, tokens = api
    answer = client.get(path, params=params, headers=tokens[who])
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["items"]
    page = Page[model].model_validate_json(answer.content)  # type: ignore[valid-type]
    reference = FastAPI()

    @reference.get("/page", response_model=Page[model], response_model_exclude_unset=exclude_unset)  # type: ignore[valid-type]
    def _page() -> Any:
        return page

    with TestClient(reference) as fastapi_client:
        assert fastapi_client.get("/page").content == answer.content


@pytest.mark.parametrize(("path", "who", "params", "model", "exclude_unset"), _PAGES)
def test_a_page_takes_one_trip_to_the_thread_pool_after_the_caller_is_known(
    api,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    who: str,
    params: dict,
    model: type,
    exclude_unset: bool,
) -> None:
    """Two trips per page (the caller's token, then the page), not three: under load each trip
    waits for a thread and for the event loop (docs/benchmarks.md, issue 20, fourth pass)."""
    client, tokens = api
    trips: list[str] = []
    plain = anyio.to_thread.run_sync

    async def counted(func: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(func, "__name__", repr(func)))
        return await plain(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    answer = client.get(path, params=params, headers=tokens[who])
    assert answer.status_code == 200, answer.text
    assert len(trips) == 2, trips
