"""Fraud signs (practice.md, "Fraudulent emergency requests") and what blocks disclosure."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from comity.domain.fraud import (
    FraudSign,
    contact_signs,
    edit_distance,
    lookalike_signs,
    resembles,
    standing_signs,
)
from comity.domain.intake import (
    Callback,
    CallbackOutcome,
    DemandRecord,
    DemandStatus,
    Verification,
    sniff_media_type,
)
from comity.domain.registry import Authority, AuthorityStatus, RegistryContact, User, UserStatus
from comity.domain.signing import parse_signature_header, signed_message

DEA = Authority(
    "us-dea",
    "Drug Enforcement Administration",
    "US",
    "agency",
    AuthorityStatus.VERIFIED,
    ("dea.gov",),
    (RegistryContact("DEA watch desk", "+1 (202) 555-1000", "watch@dea.gov", "dea.gov"),),
)


@pytest.mark.parametrize(
    ("candidate", "why"),
    [
        ("dea.gov", None),
        ("mail.dea.gov", None),  # a subdomain of the registered domain is the agency itself
        ("dea.com", "has the top-level domain .com instead of .gov"),
        ("dea-gov.com", "embeds the registered domain in another one"),
        ("dea.gov.us", "embeds the registered domain in another one"),
        ("dcа.gov", None),  # Cyrillic а but c for e: two edits on a short name is not flagged
        ("deа.gov", "uses look-alike characters"),  # Cyrillic а
        ("d3a.gov", "uses look-alike characters"),
        ("example.org", None),
    ],
)
def test_lookalike_domains(candidate: str, why: str | None) -> None:
    assert resembles(candidate, "dea.gov") == why


def test_one_or_two_edits_on_a_longer_domain_are_flagged() -> None:
    assert resembles("interieur.gouv.fr", "interieur.gouv.fr") is None
    assert resembles("interieur.gov.fr", "interieur.gouv.fr") == (
        "differs from it by one or two characters"
    )
    assert resembles("polizei-berlln.de", "polizei-berlin.de") == "uses look-alike characters"
    assert resembles("polizei-brelin.de", "polizei-berlin.de") == (
        "differs from it by one or two characters"
    )


def test_edit_distance_counts_a_swap_as_one_edit() -> None:
    assert edit_distance("berlin", "brelin") == 1
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3


def test_a_lookalike_sign_names_the_field_and_the_registered_domain() -> None:
    [sign] = lookalike_signs("dea-gov.com", "requester e-mail", [DEA])
    assert sign.code == "lookalike_domain"
    assert sign.message.startswith("requester e-mail: the domain dea-gov.com resembles dea.gov")
    assert lookalike_signs("dea.gov", "x", [DEA]) == []
    assert lookalike_signs(None, "x", [DEA]) == []


def test_contacts_not_in_the_registry_are_flagged_and_known_ones_are_not() -> None:
    assert contact_signs("WATCH@dea.gov", "+12025551000", DEA) == []
    signs = contact_signs("agent@dea.gov", "+12025559999", DEA)
    assert [s.code for s in signs] == ["contact_not_in_registry"] * 2
    assert signs[0].message.startswith("requesting_agency.contact.email: agent@dea.gov")
    assert contact_signs("a@b.c", None, None) == []


def test_suspended_requesters_and_agencies_are_flagged() -> None:
    user = User("u", "U", "u@dea.gov", agency_id="us-dea", status=UserStatus.SUSPENDED)
    suspended = Authority("a", "A", "US", "police", AuthorityStatus.SUSPENDED)
    assert [s.code for s in standing_signs(user, suspended)] == [
        "requester_suspended",
        "agency_suspended",
    ]
    assert standing_signs(None, DEA) == []


def _record(**changes: object) -> DemandRecord:
    base = DemandRecord(
        id="dem-1",
        reference="R",
        document={},
        received_at=datetime(2026, 11, 23, tzinfo=UTC),
        submitted_by="u",
        agency_id="us-dea",
        status=DemandStatus.RECEIVED,
        verification=Verification.SIGNATURE,
        emergency=False,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_signed_ordinary_demand_is_not_blocked() -> None:
    assert _record().disclosure_blocked_reason is None


def test_every_blocking_reason_is_listed() -> None:
    record = _record(
        verification=Verification.UNVERIFIED,
        emergency=True,
        fraud_signs=(FraudSign("lookalike_domain", "x"),),
    )
    reasons = record.blocking_reasons()
    assert len(reasons) == 3
    assert reasons[0].startswith("unverified requester")
    assert reasons[1] == "fraud signs not cleared by staff: lookalike_domain"
    assert reasons[2].startswith("emergency request awaiting a call-back")


def test_only_a_confirmed_callback_opens_an_emergency_request() -> None:
    at = datetime(2026, 11, 23, tzinfo=UTC)
    unreachable = Callback("desk", CallbackOutcome.UNREACHABLE, "rev", at)
    confirmed = Callback("desk", CallbackOutcome.CONFIRMED, "rev", at)
    assert _record(emergency=True, callbacks=(unreachable,)).disclosure_blocked_reason
    assert _record(emergency=True, callbacks=(unreachable, confirmed)).blocking_reasons() == []


def test_staff_verification_clears_fraud_signs_but_not_the_emergency_gate() -> None:
    record = _record(emergency=True, fraud_signs=(FraudSign("x", "y"),), verified_by="appr")
    assert record.blocking_reasons() == [
        "emergency request awaiting a call-back to the agency's registry contact"
    ]


@pytest.mark.parametrize(
    ("head", "media_type"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"II*\x00", "image/tiff"),
        (b"MZ\x90\x00", None),
        (b"<html>", None),
        (b"", None),
    ],
)
def test_legal_process_files_are_recognised_by_their_bytes(
    head: bytes, media_type: str | None
) -> None:
    assert sniff_media_type(head) == media_type


def test_the_signature_header_is_parsed_or_explained() -> None:
    parsed, why = parse_signature_header('keyid="dea-2026", sig="AAAA"')
    assert why is None
    assert parsed is not None
    assert (parsed.key_id, parsed.signature_b64) == ("dea-2026", "AAAA")
    none, why = parse_signature_header("dea-2026 AAAA")
    assert none is None
    assert why is not None
    assert why.startswith('Comity-Signature header: expected keyid="<key id>"')


def test_the_signed_message_binds_the_file_digest() -> None:
    assert signed_message(b"{}", None) == b"comity-demand-v1\n{}"
    assert signed_message(b"{}", "ab") == b"comity-demand-v1\n{}\nab"
