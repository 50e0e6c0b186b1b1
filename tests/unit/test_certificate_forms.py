"""Issue 14: the certificate of authenticity follows the issuing authority's evidence law and names
the rule it follows; process from a country without a standard form gets a neutral declaration."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from comity.adapters.package.certificate import (
    CertifiedFile,
    Custodian,
    DemandInfo,
    certificate_form,
    certificate_text,
)
from comity.domain.demand import Period

CUSTODIAN = Custodian("Ada Lovelace", "Custodian of Records", "Example Mail Inc.")


def _text(country: str) -> str:
    return certificate_text(
        custodian=CUSTODIAN,
        demand=DemandInfo(
            "REF-1", "An authority", Period(date(2013, 1, 1), date(2013, 12, 31)), country
        ),
        authorization_id="prd-1",
        produced_at=datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
        record_count=3,
        payload_bytes=300,
        manifests=[CertifiedFile("manifest-sha256.txt", "ab" * 32, 10)],
        files=[CertifiedFile("data/index.csv", "cd" * 32, 20)],
    )


@pytest.mark.parametrize(
    ("country", "named", "declared", "absent"),
    [
        ("US", "Federal Rules of Evidence 902(11), 902(14)", "28 U.S.C. 1746", "section 117"),
        ("GB", "Criminal Justice Act 2003, section 117", "Criminal Justice Act 1967, s. 9", "1746"),
        ("IE", "Criminal Evidence Act 1992, sections 5 and 6", "s. 6(1)(e)", "1746"),
        ("AU", "Evidence Act 1995 (Cth), sections 69", "s. 147(2)", "1746"),
        ("CA", "Canada Evidence Act, section 30", "31.1 to 31.8", "1746"),
        ("FR", "no form specific to the issuing authority", "to the best of my knowledge", "902"),
        ("DE", "no form specific to the issuing authority", "to the best of my knowledge", "1746"),
    ],
)
def test_each_jurisdiction_gets_its_form_and_the_certificate_names_its_rule(
    country: str, named: str, declared: str, absent: str
) -> None:
    text = _text(country)
    flat = " ".join(text.split())
    assert named in flat
    assert declared in flat
    assert absent not in flat
    assert f"Form: {certificate_form(country).key} (" in text
    # Whatever the form, the hashes it certifies are listed.
    assert "ab" * 32 in text
    assert "cd" * 32 in text


def test_an_unknown_or_missing_country_gets_the_neutral_declaration() -> None:
    assert certificate_form("").key == "neutral"
    assert certificate_form("ie").key == "ie.cea-1992-s5-6"
