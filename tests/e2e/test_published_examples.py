"""The input documents the OpenAPI description publishes, with examples the API accepts.

A client reading ``/openapi.json`` finds the demand document (contract section 4) and each case
input with an example; each example, sent as is, is accepted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.intake_support import World, microsoft_world, serving

from comity.domain.demand_schema import DEMAND_FIELDS, DemandDocument
from comity.entrypoints.api.app import create_app


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[httpx.Client, World]]:
    world = microsoft_world(tmp_path)
    app = create_app(world.comity, assessor=world.comity.assessor)
    with serving(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client, world


def examples(spec: dict[str, Any], component: str) -> list[dict[str, Any]]:
    found = spec["components"]["schemas"][component].get("examples")
    assert found, f"{component} publishes no example"
    return list(found)


def body_ref(spec: dict[str, Any], path: str) -> str:
    content = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    return str(content["schema"]["$ref"]).rsplit("/", 1)[-1]


def test_the_published_demand_has_the_parsers_fields() -> None:
    """A field the parser takes (or a field added to it) must be published too."""
    assert set(DemandDocument.model_fields) == set(DEMAND_FIELDS)


def test_every_published_example_is_accepted(world: tuple[httpx.Client, World]) -> None:
    api, w = world
    spec = api.get("/openapi.json").json()
    assert body_ref(spec, "/demands") == "Demand"
    [demand] = examples(spec, "Demand")
    filed = api.post("/demands", json=demand, headers=w.auth("jdoe"))
    assert filed.status_code == 201, filed.text
    assert filed.json()["document"]["dated"] == demand["dated"]
    [case] = api.get("/cases", headers=w.auth("admin")).json()["items"]
    url = f"/cases/{case['id']}"
    assert api.post(f"{url}/review", headers=w.auth("rev")).status_code == 200

    assert body_ref(spec, "/cases/{case_id}/decisions") == "DecisionIn"
    for decision in examples(spec, "DecisionIn"):
        r = api.post(f"{url}/decisions", json=decision, headers=w.auth("rev"))
        assert r.status_code == 200, r.text
    assert body_ref(spec, "/cases/{case_id}/holds") == "HoldIn"
    for hold in examples(spec, "HoldIn"):
        r = api.post(f"{url}/holds", json=hold, headers=w.auth("rev"))
        assert r.status_code == 201, r.text
    assert body_ref(spec, "/cases/{case_id}/notice/delay") == "DelayIn"
    for delay in examples(spec, "DelayIn"):
        r = api.post(f"{url}/notice/delay", json=delay, headers=w.auth("rev"))
        assert r.status_code == 200, r.text
    assert body_ref(spec, "/cases/{case_id}/notice/non-disclosure") == "NonDisclosureIn"
    for order in examples(spec, "NonDisclosureIn"):
        r = api.post(f"{url}/notice/non-disclosure", json=order, headers=w.auth("rev"))
        assert r.status_code == 200, r.text
    assert body_ref(spec, "/cases/{case_id}/reject") == "ReasonIn"
    [reason] = examples(spec, "ReasonIn")
    traffic = {"finding": "target@example.com|traffic|us-west", "decision": "produce"}
    assert api.post(f"{url}/decisions", json=traffic, headers=w.auth("rev")).status_code == 200
    r = api.post(f"{url}/recommend", json={"note": "as decided"}, headers=w.auth("rev"))
    assert r.status_code == 200, r.text
    r = api.post(f"{url}/reject", json=reason, headers=w.auth("appr"))
    assert r.status_code == 200, r.text
    assert r.json()["case"]["state"] == "rejected"


def test_the_published_court_events_are_accepted(world: tuple[httpx.Client, World]) -> None:
    api, w = world
    spec = api.get("/openapi.json").json()
    assert body_ref(spec, "/cases/{case_id}/court") == "CourtEvent"
    ruling = spec["components"]["schemas"]["CourtEventRuling"]
    assert "at" not in ruling["required"]
    [demand] = examples(spec, "Demand")
    assert api.post("/demands", json=demand, headers=w.auth("jdoe")).status_code == 201
    [case] = api.get("/cases", headers=w.auth("admin")).json()["items"]
    for event in examples(spec, "CourtEvent"):
        r = api.post(f"/cases/{case['id']}/court", json=event, headers=w.auth("rev"))
        assert r.status_code == 200, (event, r.text)


def _published_examples(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (method, path, example) the OpenAPI description publishes for a JSON body."""
    components = spec["components"]["schemas"]
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            schema = content.get("application/json", {}).get("schema", {})
            ref = str(schema.get("$ref", "")).rsplit("/", 1)[-1]
            for example in schema.get("examples") or components.get(ref, {}).get("examples") or []:
                found.append((method.upper(), path, example))
    return found


#: Who sends each operation's examples (the rest: the reviewer), and the operations whose
#: example is accepted only in a case state the walk below does not reach (their answer may be
#: 409, "conflicts with what is stored", never 400).
_SENDER = {
    "/demands": "jdoe",
    "/authorities": "admin",
    "/authorities/{authority_id}/status": "admin",
    "/users/{user_id}/status": "admin",
}
_STATE_BOUND = {
    "/cases/{case_id}/redirect",
    "/cases/{case_id}/object",
    "/cases/{case_id}/resume",
    "/cases/{case_id}/close",
    "/cases/{case_id}/reject",
}


def test_every_example_the_schema_publishes_is_accepted(
    world: tuple[httpx.Client, World],
) -> None:
    """Issue 12 item 3: each published example, posted as it is, is accepted (never a 400),
    whichever operation publishes it; a new example on a new operation is covered at once."""
    api, w = world
    spec = api.get("/openapi.json").json()
    published = _published_examples(spec)
    assert {path for _, path, _ in published} >= {"/demands", "/cases/{case_id}/court"}
    ids: dict[str, str] = {"user_id": "sus"}
    # the demand (and its case) first, the steps that end the case last
    order = sorted(published, key=lambda item: (item[1] != "/demands", item[1] in _STATE_BOUND))
    for method, path, example in order:
        if "{case_id}" in path and "case_id" not in ids:
            [case] = api.get("/cases", headers=w.auth("admin")).json()["items"]
            ids["case_id"] = case["id"]
            assert api.post(f"/cases/{case['id']}/review", headers=w.auth("rev")).is_success
        if "{hold_id}" in path and "hold_id" not in ids:
            case = api.get(f"/cases/{ids['case_id']}", headers=w.auth("rev")).json()
            ids["hold_id"] = case["active_holds"][0]
        if "{authority_id}" in path:
            ids["authority_id"] = "us-usms"
        url = path.format(**ids)
        sender = "appr" if path in _STATE_BOUND else _SENDER.get(path, "rev")
        answer = api.request(method, url, json=example, headers=w.auth(sender))
        assert answer.status_code != 400, (method, path, example, answer.text)
        if path not in _STATE_BOUND:
            assert answer.is_success, (method, path, example, answer.text)
