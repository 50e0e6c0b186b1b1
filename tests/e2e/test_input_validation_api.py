"""The hostile-user walkthrough of issue 12, over real HTTP and the command line.

Each test is one reproduced defect: it gets one clean 400 (or 409) naming the field, in the one
error body, and nothing stored is damaged: the lists that read every case keep answering, and
``comity audit verify`` passes afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.case_support import T0, WARRANT, build
from tests.conftest import FixedClock
from tests.intake_support import serving
from typer.testing import CliRunner

from comity.bootstrap import Comity
from comity.entrypoints.api.app import create_app
from comity.entrypoints.cli.main import app as cli
from comity.errors import ComityError
from comity.services import identity

Auth = dict[str, dict[str, str]]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[httpx.Client, Auth, Comity, Path]]:
    comity = build(tmp_path, FixedClock(T0))
    tokens = {
        u: {
            "Authorization": "Bearer "
            + identity.issue_token(comity.intake_uow, comity.clock, u, label="t", actor="test")
        }
        for u in ("rev", "appr", "admin", "agent", "pierre")
    }
    app = create_app(comity, assessor=comity.assessor)
    with serving(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client, tokens, comity, tmp_path


def error(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    doc = response.json()
    assert set(doc) == {"error"}
    assert set(doc["error"]) == {"code", "message", "problems"}
    return doc["error"]  # type: ignore[no-any-return]


def file(api: httpx.Client, auth: Auth, who: str = "agent", **changes: Any) -> httpx.Response:
    return api.post("/demands", content=json.dumps({**WARRANT, **changes}), headers=auth[who])


def still_readable(api: httpx.Client, auth: Auth) -> None:
    """Every list that reads all the cases answers, and the audit log verifies."""
    for path in ("/cases", "/due", "/reports/transparency?start=2013-01-01&end=2013-12-31"):
        r = api.get(path, headers=auth["admin"])
        assert r.status_code == 200, (path, r.text)
    assert api.get("/cases", headers=auth["agent"]).status_code == 200


def audit_verifies(home: Path) -> None:
    result = CliRunner().invoke(cli, ["--dir", str(home), "audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "ok:" in result.output


def case_of(api: httpx.Client, auth: Auth) -> str:
    filed = file(api, auth)
    assert filed.status_code == 201, filed.text
    cases = api.get("/cases", headers=auth["admin"]).json()["items"]
    return str(cases[0]["id"])


def test_a_naive_delay_start_is_a_400_and_every_list_keeps_answering(
    world: tuple[httpx.Client, Auth, Comity, Path],
) -> None:
    api, auth, _, home = world
    case_id = case_of(api, auth)
    before = api.get(f"/cases/{case_id}", headers=auth["admin"]).json()
    r = api.post(
        f"/cases/{case_id}/notice/delay", json={"start": "2026-11-30T00:00:00"}, headers=auth["rev"]
    )
    err = error(r)
    assert err["code"] == "invalid_input"
    assert err["message"] == "start: needs a time zone offset, e.g. 2026-11-30T00:00:00Z"
    year_one = {"start": "0001-01-01T00:00:00Z"}
    r = api.post(f"/cases/{case_id}/notice/delay", json=year_one, headers=auth["rev"])
    assert error(r)["message"].startswith("start: the date 0001-01-01 is implausible")
    assert api.get(f"/cases/{case_id}", headers=auth["admin"]).json() == before
    still_readable(api, auth)
    ok = api.post(
        f"/cases/{case_id}/notice/delay",
        json={"start": "2013-12-06T00:00:00-05:00", "periods": 1},
        headers=auth["rev"],
    )
    assert ok.status_code == 200, ok.text
    still_readable(api, auth)
    audit_verifies(home)


def test_a_non_disclosure_order_both_dated_and_indefinite_is_refused(
    world: tuple[httpx.Client, Auth, Comity, Path],
) -> None:
    api, auth, _, _ = world
    case_id = case_of(api, auth)
    r = api.post(
        f"/cases/{case_id}/notice/non-disclosure",
        json={"until": "2027-01-01", "indefinite": True},
        headers=auth["rev"],
    )
    assert error(r)["message"].startswith("until: an order cannot both end on a day and be")
    r = file(api, auth, reference="ND-BOTH", non_disclosure={"until": "2027-01-01",
                                                            "indefinite": True})  # fmt: skip
    assert error(r)["message"].startswith("non_disclosure: an order cannot both end on a day")


def test_unbounded_query_inputs_are_a_400_naming_the_parameter(
    world: tuple[httpx.Client, Auth, Comity, Path],
) -> None:
    api, auth, _, _ = world
    err = error(api.get("/due", params={"within": "99999999999d"}, headers=auth["admin"]))
    assert err["message"].startswith("within: 99999999999d is longer than the longest window")
    r = api.get(
        "/reports/transparency",
        params={"start": "0001-01-01", "end": "9999-12-31"},
        headers=auth["admin"],
    )
    err = error(r)
    assert err["problems"][0].startswith(
        "query parameter start: the date 0001-01-01 is implausible"
    )
    assert err["problems"][1].startswith("query parameter end: the date 9999-12-31 is implausible")


def test_a_deeply_nested_court_event_is_a_400(
    world: tuple[httpx.Client, Auth, Comity, Path],
) -> None:
    api, auth, _, home = world
    case_id = case_of(api, auth)
    deep = '{"kind": "ruling", "outcome": "denies", "x": ' + '{"a": ' * 20_000 + "1"
    deep += "}" * 20_001
    r = api.post(
        f"/cases/{case_id}/court",
        content=deep,
        headers={**auth["rev"], "Content-Type": "application/json"},
    )
    assert error(r)["message"].startswith("the request body is not valid JSON")
    nested: Any = 1
    for _ in range(50):
        nested = {"a": nested}
    r = api.post(
        f"/cases/{case_id}/court",
        json={"kind": "ruling", "outcome": "denies", "x": nested},
        headers=auth["rev"],
    )
    assert error(r)["message"] == "event: nested more than 8 levels deep"
    still_readable(api, auth)
    audit_verifies(home)


def test_validation_errors_are_one_status_and_one_body(
    world: tuple[httpx.Client, Auth, Comity, Path],
) -> None:
    api, auth, _, _ = world
    case_id = case_of(api, auth)
    r = api.post(
        f"/cases/{case_id}/reject",
        content=b"{not json",
        headers={**auth["appr"], "Content-Type": "application/json"},
    )
    err = error(r)
    assert err["code"] == "invalid_input"
    assert err["message"].startswith("the request body is not valid JSON: ")
    assert "JSON decode error" not in err["message"]
    err = error(api.post(f"/cases/{case_id}/reject", json={}, headers=auth["appr"]))
    assert err["message"] == "reason: is required"
    err = error(api.get("/demands", params={"limit": 0}, headers=auth["rev"]))
    assert err["message"] == "limit: expected 1 to 500 demands a page, got 0"


def test_received_at_is_the_servers_and_the_requesters_value_is_kept_as_dated(
    world: tuple[httpx.Client, Auth, Comity, Path],
) -> None:
    api, auth, comity, _ = world
    for reference, sent in (("Y-1", "0001-01-01T00:00:00Z"), ("Y-9999", "9999-12-31T00:00:00Z")):
        err = error(file(api, auth, reference=reference, received_at=sent))
        assert err["message"].startswith("received_at: expected a plausible time")
    naive = error(file(api, auth, reference="NAIVE", received_at="2013-12-04T16:00:00"))
    assert naive["message"].startswith("received_at: expected a date and time with a time zone")
    r = file(api, auth, reference="STAMPED", received_at="2013-01-02T10:00:00Z")
    assert r.status_code == 201, r.text
    demand = r.json()
    assert demand["received_at"] == T0.isoformat()
    assert demand["document"]["received_at"] == T0.isoformat()
    assert demand["document"]["dated"] == "2013-01-02T10:00:00Z"
    # Staff recording a demand that came by post give its past arrival; never a future one.
    staff = {**WARRANT, "reference": "BY-POST", "received_at": "2013-12-01T09:00:00Z"}
    path = Path(comity.home) / "by-post.json"
    path.write_text(json.dumps(staff))
    result = CliRunner().invoke(
        cli, ["--dir", str(comity.home), "demand", "submit", str(path), "--agency", "us-dea"]
    )
    assert result.exit_code == 0, result.output
    listed = api.get("/demands", params={"reference": "BY-POST"}, headers=auth["admin"]).json()
    assert listed["items"][0]["received_at"] == "2013-12-01T09:00:00+00:00"
    # The command line runs on the machine's clock: a year ahead of it is in the future.
    future = (datetime.now(UTC) + timedelta(days=365)).replace(microsecond=0)
    path.write_text(json.dumps({**staff, "reference": "FUTURE", "received_at": future.isoformat()}))
    result = CliRunner().invoke(cli, ["--dir", str(comity.home), "demand", "submit", str(path)])
    assert isinstance(result.exception, ComityError)
    assert f"received_at: {future.isoformat()} is in the future" in result.exception.message
    assert api.get("/demands", params={"reference": "FUTURE"}, headers=auth["admin"]).json() == {
        "items": [],
        "next": None,
    }


def test_a_changed_resubmission_is_a_conflict_and_an_identical_one_is_idempotent(
    world: tuple[httpx.Client, Auth, Comity, Path],
) -> None:
    api, auth, _, _ = world
    first = file(api, auth, reference="RESUB-1")
    assert first.status_code == 201, first.text
    again = file(api, auth, reference="RESUB-1")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    targets = [*WARRANT["targets"], {"type": "email", "value": "second@msn.example"}]
    err = error(file(api, auth, reference="RESUB-1", targets=targets), 409)
    assert err["code"] == "conflict"
    assert err["message"].startswith("reference: RESUB-1 was already filed")
    stored = api.get("/demands", params={"reference": "RESUB-1"}, headers=auth["admin"]).json()
    assert len(stored["items"]) == 1
    assert stored["items"][0]["document"]["targets"] == WARRANT["targets"]


def test_a_document_naming_another_agency_is_blocked_until_staff_verify(
    world: tuple[httpx.Client, Auth, Comity, Path],
) -> None:
    api, auth, _, _ = world
    own = file(api, auth, reference="OWN-AGENCY").json()
    assert "agency_mismatch" not in {s["code"] for s in own["fraud_signs"]}
    # pierre belongs to the French police; the document says the DEA sent it.
    r = file(api, auth, "pierre", reference="OTHER-AGENCY")
    assert r.status_code == 201, r.text
    demand = r.json()
    assert "agency_mismatch" in {s["code"] for s in demand["fraud_signs"]}
    assert demand["disclosure_blocked"]
    assert (
        "fraud signs not cleared by staff: agency_mismatch" in (demand["disclosure_blocked_reason"])
    )
    verified = api.post(
        f"/demands/{demand['id']}/verify",
        json={"note": "called the Police nationale desk from the registry"},
        headers=auth["appr"],
    )
    assert verified.status_code == 200, verified.text
    assert "agency_mismatch" not in (verified.json()["disclosure_blocked_reason"] or "")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"instrument": "us.telepathy"}, "instrument: the rule pack knows no instrument"),
        (
            {"issuing_authority": {**WARRANT["issuing_authority"], "forum": "us.nyzz"}},
            "issuing_authority.forum: 'us.nyzz' is not a US district court",
        ),
        ({"reference": "13-MAG\u00002814"}, "reference: contains a NUL byte at position 6"),
        (
            {"reference": "13-MAG-\u202e4182"},
            "reference: contains the Unicode bidirectional control U+202E",
        ),
    ],
)
def test_intake_refuses_what_the_law_engine_could_never_assess(
    world: tuple[httpx.Client, Auth, Comity, Path], changes: dict[str, Any], message: str
) -> None:
    api, auth, _, _ = world
    err = error(file(api, auth, **{"reference": "REFUSED", **changes}))
    assert err["message"].startswith(message)
    assert api.get("/demands", headers=auth["admin"]).json()["items"] == []


def test_the_cli_refuses_a_naive_delay_and_a_double_order(
    world: tuple[httpx.Client, Auth, Comity, Path],
) -> None:
    api, auth, _, home = world
    case_id = case_of(api, auth)
    before = api.get(f"/cases/{case_id}", headers=auth["admin"]).json()
    runner = CliRunner()
    base = ["--dir", str(home), "case", "notice"]
    result = runner.invoke(
        cli, [*base, "delay", case_id, "--as", "rev", "--start", "2026-11-30T00:00:00"]
    )
    assert isinstance(result.exception, ComityError)
    assert result.exception.message == (
        "--start: needs a time zone offset, e.g. 2026-11-30T00:00:00Z"
    )
    result = runner.invoke(
        cli, [*base, "gag", case_id, "--as", "rev", "--until", "2027-01-01", "--indefinite"]
    )
    assert isinstance(result.exception, ComityError)
    assert result.exception.message.startswith("--until: an order cannot both end on a day")
    decide = ["--dir", str(home), "case", "decide", case_id, "x|content|eu-ie", "narrow"]
    result = runner.invoke(
        cli, [*decide, "--as", "rev", "--from", "2013-12-04", "--to", "2013-01-01"]
    )
    assert isinstance(result.exception, ComityError)
    assert result.exception.message == (
        "--from/--to: the start 2013-12-04 is after the end 2013-01-01"
    )
    assert api.get(f"/cases/{case_id}", headers=auth["admin"]).json() == before
    still_readable(api, auth)
    audit_verifies(home)
