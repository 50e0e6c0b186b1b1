"""The two forms of an HI-1 message give one tree: the XML and JSON twins of an example plan to the
same demand, and what Comity writes reads back the same from XML and from JSON."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.etsi_support import example

from comity.adapters.etsi import codec
from comity.domain.registry import Authority
from comity.errors import InvalidInput
from comity.services.etsi import answers
from comity.services.etsi.mapping import plan
from comity.services.etsi.message import Element

SENDER = Authority("xx-actor01", "Example Police Service", "GB", "police")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _plan(name: str) -> tuple[list[dict[str, object]], list[str]]:
    result = plan(codec.parse(example(name)).root, SENDER, now=NOW, instrument="xx.domestic_order")
    assert result.problems == []
    return [d.document for d in result.demands], result.warnings


def test_xml_and_json_twins_of_an_example_plan_to_the_same_demand() -> None:
    xml_docs, xml_warnings = _plan("xml/request10_LDDestinationObject.xml")
    json_docs, json_warnings = _plan("json/request10_LDDestinationObject.json")
    assert xml_docs == json_docs
    assert xml_warnings == json_warnings
    (doc,) = xml_docs
    assert doc["received_at"] == "2026-11-23T12:00:00Z"


def _strip(node: Element) -> Element:
    """Names without prefixes, as a parsed message has them."""
    return Element(
        node.local, None if node.children else node.text, node.type and node.type.split(":")[-1],
        tuple(_strip(c) for c in node.children),
    )  # fmt: skip


def test_what_comity_writes_reads_back_the_same_from_xml_and_json() -> None:
    head = answers.header("US/EXAMPLEMAIL", "XX/ACTOR01", "t-1", NOW)
    message = answers.response(
        head,
        [
            answers.csp_config("0", [("us-west", "US"), ("eu-ie", "IE")], NOW),
            answers.error("1", answers.NOT_FOUND, "no object x"),
        ],
    )
    from_xml = codec.parse(codec.to_xml(message)).root
    from_json = codec.parse(codec.to_json(message)).root
    assert from_xml == from_json == _strip(message)


def test_deep_nesting_is_refused_in_both_forms() -> None:
    deep_json = b'{"Header":' + b'{"a":' * 900 + b"1" + b"}" * 900 + b"}"
    with pytest.raises(InvalidInput, match="nested more than 128 levels deep"):
        codec.parse(deep_json)
    deep_xml = b"<HI1Message>" + b"<a>" * 300 + b"</a>" * 300 + b"</HI1Message>"
    with pytest.raises(InvalidInput, match="not well-formed XML: Excessive depth"):
        codec.parse(deep_xml)
