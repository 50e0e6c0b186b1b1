"""Intake validation: one precise sentence per problem, for documents, files and registries."""

from __future__ import annotations

import base64

import pytest
from tests.intake_support import body, demand_doc

from comity.domain.registry import parse_authority
from comity.errors import InvalidInput, TooLarge
from comity.law.countries import known_countries
from comity.services.intake.demands import LegalProcessFile, check_file, decode_demand

COUNTRIES = known_countries()


def test_a_valid_document_decodes() -> None:
    doc, demand = decode_demand(body(demand_doc("R-1")), known_countries=COUNTRIES)
    assert doc["reference"] == demand.reference == "R-1"
    assert demand.instrument == "us.warrant"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"reference": ', "the demand is not valid JSON: Expecting value at line 1, column 15"),
        (b"\xff\xfe{}", "the demand is not UTF-8 text (byte 0)"),
        (b'{"a": Infinity}', "the demand is not plain JSON: Infinity is not a JSON number"),
        (b'{"a": 1e999}', "the demand is not plain JSON: the number 1e999 is too large"),
        (b"[" * 100_000 + b"]" * 100_000, "the demand is not plain JSON: it is nested too deeply"),
        (b"[]", "the demand must be a JSON object, got list"),
    ],
)
def test_unreadable_documents_get_one_clear_sentence(raw: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_demand(raw, known_countries=COUNTRIES)
    assert caught.value.problems == [message]


def test_every_problem_of_a_document_is_reported_at_once() -> None:
    doc = demand_doc(
        "R-2",
        instrument="warrant",
        issuing_authority={"country": "UK", "kind": "court", "name": "Crown Court"},
        extra=1,
    )
    with pytest.raises(InvalidInput) as caught:
        decode_demand(body(doc), known_countries=COUNTRIES)
    assert caught.value.problems == [
        "extra: unknown field (expected: categories, dated, emergency, instrument, "
        "issuing_authority, non_disclosure, offence, period, received_at, reference, "
        "requesting_agency, served_on, targets, via)",
        "issuing_authority.country: expected an ISO 3166-1 alpha-2 country code (the United "
        "Kingdom is GB), got 'UK'",
        "instrument: expected an instrument id such as us.warrant or eu.epoc, got 'warrant'",
    ]


def test_files_are_checked_by_size_and_bytes() -> None:
    assert check_file(LegalProcessFile("w.pdf", b"%PDF-1.4 ...")) == "application/pdf"
    with pytest.raises(TooLarge, match="the limit is 10"):
        check_file(LegalProcessFile("w.pdf", b"%PDF-1.4 ..."), max_bytes=10)
    with pytest.raises(InvalidInput, match="file: the legal-process file is empty"):
        check_file(LegalProcessFile("w.pdf", b""))
    with pytest.raises(InvalidInput, match="expected a PDF, PNG, JPEG or TIFF"):
        check_file(LegalProcessFile("w.pdf", b"PK\x03\x04 a zip"))


def test_a_registry_entry_is_validated_field_by_field() -> None:
    authority, problems = parse_authority(
        {
            "id": "US DEA",
            "name": "",
            "country": "XX",
            "kind": "army",
            "domains": ["not a domain"],
            "contacts": [{"name": "Desk", "phone": "+1"}, {"name": "Desk 2"}],
            "keys": [{"key_id": "k", "ed25519": base64.b64encode(b"short").decode()}],
        },
        known_countries=COUNTRIES,
    )
    assert authority is None
    assert problems == [
        "id: expected 2-63 lower-case letters, digits, '.', '_' or '-', got 'US DEA'",
        "name: expected a non-empty string, got ''",
        "country: expected an ISO 3166-1 alpha-2 country code, got 'XX'",
        "kind: expected one of court, prosecutor, agency, police, central_authority, got 'army'",
        "domains[0]: expected a DNS domain such as police.example.gov, got 'not a domain'",
        "contacts[0].source: say where staff found this contact (never a request)",
        "contacts[1]: a contact needs a phone or an e-mail to call back",
        "keys[0].ed25519: expected a 32-byte Ed25519 public key, got 5 bytes",
    ]


def test_a_registry_entry_with_a_nul_or_a_bidi_control_is_refused() -> None:
    """With a published schema Schemathesis can reach the parser with any text: a NUL byte
    cannot be stored in PostgreSQL and a bidi control hides what a name says."""
    authority, problems = parse_authority(
        {"id": "us-x", "name": "Agency\x00", "country": "US", "kind": "agency",
         "contacts": [{"name": "Desk\u202e", "phone": "+1", "source": "site"}]},
        known_countries=COUNTRIES,
    )  # fmt: skip
    assert authority is None
    assert problems == [
        "name: contains a NUL byte at position 6",
        "contacts[0].name: contains the Unicode bidirectional control U+202E at position 4",
    ]
