"""The HI-1 to demand mapping's refusals: each one sentence naming what Comity cannot represent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tests.etsi_support import request_message

from comity.adapters.etsi import codec
from comity.domain.registry import Authority
from comity.services.etsi.mapping import Plan, plan

SENDER = Authority("us-dea", "Drug Enforcement Administration", "US", "agency")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _plan(doc: dict[str, Any]) -> Plan:
    return plan(codec.parse(json.dumps(doc).encode()).root, SENDER, now=NOW)


def _actions(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["Payload"]["RequestPayload"]["ActionRequests"]["ActionRequest"]  # type: ignore[no-any-return]


def _task(doc: dict[str, Any], i: int) -> dict[str, Any]:
    return _actions(doc)[i]["CREATE"]["HI1Object"]  # type: ignore[no-any-return]


def test_the_message_maps_to_one_demand_with_the_union_of_its_tasks_categories() -> None:
    result = _plan(request_message(types=("SubscriberDataAndUserIdentifyingData", "TrafficData")))
    assert result.problems == []
    (demand,) = result.demands
    assert demand.document["categories"] == ["subscriber", "identification", "traffic"]
    assert demand.legal_process is not None
    assert demand.legal_process.filename == "warrant.pdf"


def test_tasks_naming_different_targets_are_refused_not_merged() -> None:
    doc = request_message()
    _task(doc, 2)["task:RequestDetails"]["task:RequestValues"]["task:RequestValue"][0][
        "task:Value"
    ] = "other@example.com"
    assert any("its tasks name different targets" in p for p in _plan(doc).problems)


def test_tasks_with_different_periods_are_refused() -> None:
    doc = request_message()
    _task(doc, 2)["task:RequestDetails"]["task:EndTime"] = "2013-06-01T00:00:00Z"
    assert any("its tasks ask for different periods" in p for p in _plan(doc).problems)


def test_a_request_subtype_is_refused_since_it_would_widen_the_production() -> None:
    doc = request_message()
    _task(doc, 1)["task:RequestDetails"]["task:Subtype"] = {"task:RequestSubtype": []}
    assert any("cannot represent a subtype" in p for p in _plan(doc).problems)


def test_production_and_preservation_tasks_are_not_mixed_in_one_demand() -> None:
    doc = request_message()
    _task(doc, 2)["@xsi:type"] = "{http://uri.etsi.org/03120/common/2020/09/Task}LPTaskObject"
    del _task(doc, 2)["task:Reference"]
    assert any("mixes production (LDTaskObject)" in p for p in _plan(doc).problems)


def test_a_test_flag_is_refused() -> None:
    doc = request_message()
    _task(doc, 0)["auth:AuthorisationFlags"] = {
        "auth:AuthorisationFlag": [
            {"common:Owner": "ETSI", "common:Name": "AuthorisationFlag", "common:Value": "IsTest"}
        ]
    }
    assert any("flag IsTest" in p for p in _plan(doc).problems)


def test_a_message_that_creates_nothing_comity_files_is_refused() -> None:
    doc = request_message(document=None)
    _actions(doc)[:] = [
        {
            "ActionIdentifier": 0,
            "CREATE": {
                "HI1Object": {
                    "@xsi:type": "{http://uri.etsi.org/03120/common/2026/07/Destination}"
                    "LDDestinationObject",
                    "ObjectIdentifier": "d4d4d4d4-0000-4000-8000-000000000001",
                }
            },
        }
    ]
    result = _plan(doc)
    assert result.problems == [
        "the message creates no authorisation and asks nothing Comity answers (CREATE of an "
        "AuthorisationObject with its tasks, GET, GETCSPCONFIG)"
    ]
    assert any("LDDestinationObject" in w for w in result.warnings)


def test_an_action_request_with_two_actions_or_two_objects_is_refused() -> None:
    doc = request_message()
    _actions(doc)[1]["GET"] = {"Identifier": "x"}
    _actions(doc)[2]["CREATE"]["HI1Object"] = [_task(doc, 2), _task(doc, 2)]
    problems = _plan(doc).problems
    assert "ActionRequest 1: expected exactly one action (CREATE, GET, ...), got CREATE, GET" in (
        problems
    )
    assert "ActionRequest 2: CREATE carries more than one HI1Object" in problems
