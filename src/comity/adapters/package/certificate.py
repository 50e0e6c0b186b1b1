"""The certificate of authenticity, in the form of US Federal Rules of Evidence 902(11) and 902(14).

FRE 902(11) makes domestic records of a regularly conducted activity self-authenticating when a
custodian certifies that they meet FRE 803(6)(A)-(C): made at or near the time by someone with
knowledge, kept in the course of a regularly conducted activity, and made as a regular practice.
FRE 902(14) does the same for data copied from an electronic device, storage medium or file,
authenticated by a process of digital identification (here SHA-256 and SHA-512 hash values).
The certificate names the custodian, says how the records were kept and extracted, and lists the
hashes it certifies: those of the payload manifests, which in turn list every file's hash, and of
each account's files. The PDF has a fixed creation date and a content-derived /ID, so it is
deterministic like the rest of the package.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime

from fpdf import FPDF

from comity.domain.demand import Period


@dataclass(frozen=True)
class Custodian:
    """Who certifies: a qualified person at the provider (FRE 902(11)'s "custodian or another
    qualified person")."""

    name: str
    title: str
    provider: str
    address: str = ""


@dataclass(frozen=True)
class DemandInfo:
    """The demand answered, as the package's bag-info.txt and certificate name it."""

    reference: str
    authority: str
    period: Period | None


@dataclass(frozen=True)
class CertifiedFile:
    path: str
    sha256: str
    size: int


def period_text(period: Period | None) -> str:
    if period is None:
        return "no time limit"
    return f"{period.start.isoformat()} to {period.end.isoformat()}"


def certificate_text(
    *,
    custodian: Custodian,
    demand: DemandInfo,
    authorization_id: str,
    produced_at: datetime,
    record_count: int,
    payload_bytes: int,
    manifests: list[CertifiedFile],
    files: list[CertifiedFile],
) -> str:
    when = produced_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    paragraphs = [
        "CERTIFICATE OF AUTHENTICITY OF DOMESTIC RECORDS OF A REGULARLY CONDUCTED ACTIVITY "
        "AND OF DATA COPIED FROM AN ELECTRONIC DEVICE, STORAGE MEDIUM OR FILE",
        "(Federal Rules of Evidence 902(11), 902(14) and 803(6))",
        f"I, {custodian.name}, {custodian.title} of {custodian.provider}"
        + (f", {custodian.address}" if custodian.address else "")
        + ", certify that I am a custodian of records of "
        f"{custodian.provider} or another person qualified to make this certification, and that:",
        f"1. This package answers demand {demand.reference} of {demand.authority} for the period "
        f"{period_text(demand.period)}, under authorization {authorization_id}. It holds "
        f"{record_count} records ({payload_bytes} bytes of payload).",
        "2. The records were made at or near the time of the acts, events and communications they "
        "record, by, or from information transmitted by, a person with knowledge of those matters "
        "or by an automated process of the mail service; they were kept in the course of the "
        f"regularly conducted activity of {custodian.provider}, and making them was a regular "
        "practice of that activity (FRE 803(6)(A)-(C)).",
        "3. How the records were kept: each record was stored, encrypted, in the regional store of "
        "the region named in its path, exactly as received (messages as their original RFC 5322 "
        "bytes) or as structured fields recorded by the service.",
        "4. How the records were extracted: on "
        f"{when} the regional agent holding that region's key verified the signed authorization, "
        "read and decrypted only the records it covers, and copied them into this package without "
        "alteration. Each message is included byte for byte as an .eml file and, for reading, in "
        "an mbox file per account; the other records as JSON and CSV.",
        "5. Each file of the package was identified by its SHA-256 and SHA-512 hash values, "
        "computed as it was written and listed in manifest-sha256.txt and manifest-sha512.txt "
        "(FRE 902(14)). A copy whose hash values match these is an exact copy of the records "
        "produced. I certify these hash values:",
    ]
    lines: list[str] = []
    for paragraph in paragraphs:
        lines.extend(textwrap.wrap(paragraph, 96) or [""])
        lines.append("")
    for item in manifests + files:
        lines.append(f"  {item.path} ({item.size} bytes)")
        lines.append(f"    SHA-256 {item.sha256}")
    lines.append("")
    lines.extend(
        textwrap.wrap(
            "I declare under penalty of perjury under the laws of the United States of America "
            "that the foregoing is true and correct (28 U.S.C. 1746).",
            96,
        )
    )
    lines += [
        "",
        f"Executed on {produced_at.astimezone(UTC).date().isoformat()}.",
        "",
        f"{custodian.name}, {custodian.title}, {custodian.provider}",
        "",
    ]
    return "\n".join(lines)


def certificate_pdf(text: str, *, produced_at: datetime, title: str) -> bytes:
    """The certificate's text as a PDF that is the same bytes for the same inputs."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(produced_at.astimezone(UTC))
    pdf.set_title(title)
    pdf.set_producer("Comity")
    pdf.set_creator("Comity")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Courier", size=8)
    for line in text.split("\n"):
        # Core fonts are Latin-1; anything else is replaced rather than dropped silently.
        safe = line.encode("latin-1", "replace").decode("latin-1")
        pdf.cell(0, 3.6, safe, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
