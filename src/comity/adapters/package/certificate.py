"""The certificate of authenticity, in the form the issuing authority's evidence law expects.

The form is chosen by the issuing authority's country (``certificate_form``), and the certificate
names the rule it follows:

- US: Federal Rules of Evidence 902(11), 902(14) and 803(6), declared under 28 U.S.C. 1746.
- GB: Criminal Justice Act 2003 s. 117 (business and other documents), as a written statement
  with the declaration of Criminal Justice Act 1967 s. 9 (as the Criminal Procedure Rules, Part 16,
  set it out). Written for England and Wales.
- IE: Criminal Evidence Act 1992 ss. 5 and 6 (information compiled in the ordinary course of a
  business; the certificate s. 6(1) describes, signed by a person in a position to give it).
- AU: Evidence Act 1995 (Cth) ss. 69 (business records) and 147 (documents produced by processes
  in the course of business), the uniform Evidence Acts' provisions.
- CA: Canada Evidence Act s. 30 (business records) and ss. 31.1-31.8 (electronic documents).
- anywhere else: a jurisdiction-neutral declaration of how the records were kept, extracted and
  identified, for the forum to assess under its own law.

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

from comity.domain.authorization import PackageOptions
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
    """The demand answered, as the package's bag-info.txt and certificate name it.

    ``country`` is the issuing authority's (ISO 3166 alpha-2): it chooses the certificate's form.
    """

    reference: str
    authority: str
    period: Period | None
    country: str = ""


@dataclass(frozen=True)
class CertificateForm:
    """What differs between evidence laws: the title, the rule named, the business-records
    paragraph, the hash paragraph's citation, who signs and the closing declaration."""

    key: str
    title: str
    rule: str
    records: str  # formatted with {provider}
    hashes_rule: str
    signer: str  # formatted with {provider}
    declaration: str


_DIGITAL = (
    "an automated process of the mail service; they were kept in the course of the regularly "
    "conducted activity of {provider}"
)

FORMS: dict[str, CertificateForm] = {
    "US": CertificateForm(
        "us.fre-902",
        "CERTIFICATE OF AUTHENTICITY OF DOMESTIC RECORDS OF A REGULARLY CONDUCTED ACTIVITY "
        "AND OF DATA COPIED FROM AN ELECTRONIC DEVICE, STORAGE MEDIUM OR FILE",
        "Federal Rules of Evidence 902(11), 902(14) and 803(6)",
        "2. The records were made at or near the time of the acts, events and communications they "
        "record, by, or from information transmitted by, a person with knowledge of those matters "
        "or by " + _DIGITAL + ", and making them was a regular practice of that activity "
        "(FRE 803(6)(A)-(C)).",
        " (FRE 902(14))",
        "I am a custodian of records of {provider} or another person qualified to make this "
        "certification",
        "I declare under penalty of perjury under the laws of the United States of America "
        "that the foregoing is true and correct (28 U.S.C. 1746).",
    ),
    "GB": CertificateForm(
        "gb.cja-2003-s117",
        "CERTIFICATE AND WITNESS STATEMENT AS TO BUSINESS RECORDS",
        "Criminal Justice Act 2003, section 117 (business and other documents); a written "
        "statement under Criminal Justice Act 1967, section 9",
        "2. The records were created or received by {provider} in the course of its business of "
        "providing mail and storage services. The information in them was supplied by persons who "
        "had, or may reasonably be supposed to have had, personal knowledge of the matters dealt "
        "with, or was recorded by an automated process of that business, and each person (if any) "
        "through whom it was supplied received it in the course of that business (CJA 2003 "
        "s. 117(2)). The records were not prepared for criminal proceedings or a criminal "
        "investigation; only this certificate and the package were (s. 117(4)).",
        "",
        "I am employed by {provider} and have access to and knowledge of how its records are kept",
        "This statement is true to the best of my knowledge and belief and I make it knowing "
        "that, if it is tendered in evidence, I shall be liable to prosecution if I have wilfully "
        "stated in it anything which I know to be false or do not believe to be true (Criminal "
        "Justice Act 1967, s. 9(2)(b)).",
    ),
    "IE": CertificateForm(
        "ie.cea-1992-s5-6",
        "CERTIFICATE AS TO INFORMATION COMPILED IN THE ORDINARY COURSE OF A BUSINESS",
        "Criminal Evidence Act 1992, sections 5 and 6",
        "2. The information in the records was compiled in the ordinary course of the business of "
        "{provider}, the provision of mail and storage services (s. 6(1)(a)). It was supplied, "
        "directly or through persons who received it in the ordinary course of that business, by "
        "persons who had, or may reasonably be supposed to have had, personal knowledge of the "
        "matters dealt with, or was recorded by an automated system of that business (s. 5(1)(b), "
        "5(2), s. 6(1)(d)). It is not information of a kind mentioned in s. 5(3)(a) or (b), and "
        "was not compiled for the purposes or in contemplation of any investigation, inquiry or "
        "proceedings referred to in s. 5(3)(c) (s. 6(1)(b), (c)). The information was held in "
        "non-legible (electronic) form and has been reproduced in permanent legible form in the "
        "course of the normal operation of the system described below (s. 5(1)(c), s. 6(1)(e)). "
        "The date each record was compiled is shown in data/index.csv (s. 6(1)(g)).",
        "",
        "I occupy a position in relation to the management of the business of {provider} in the "
        "course of which the information was compiled, or am otherwise in a position to give "
        "this certificate (s. 6(1))",
        "I certify that the foregoing is true.",
    ),
    "AU": CertificateForm(
        "au.ea-1995-s69-147",
        "CERTIFICATE AS TO BUSINESS RECORDS AND DOCUMENTS PRODUCED BY PROCESSES OF A BUSINESS",
        "Evidence Act 1995 (Cth), sections 69 (business records) and 147 (documents produced by "
        "processes, machines and other devices in the course of business)",
        "2. The records form part of the records kept by {provider} in the course of its "
        "business of providing mail and storage services. The representations in them were made "
        "by persons who had, or might reasonably be supposed to have had, personal knowledge of "
        "the asserted facts, or on the basis of information supplied by such persons (s. 69(2)), "
        "and were not prepared for a proceeding or an investigation (s. 69(3)). The package was "
        "produced by processes used for the purposes of that business (s. 147(2)).",
        "",
        "I am employed by {provider} and have knowledge of how its records are kept and produced",
        "I certify that the foregoing is true and correct.",
    ),
    "CA": CertificateForm(
        "ca.cea-s30-s31",
        "CERTIFICATE AS TO RECORDS MADE IN THE USUAL AND ORDINARY COURSE OF BUSINESS AND AS TO "
        "ELECTRONIC DOCUMENTS",
        "Canada Evidence Act, section 30 (business records) and sections 31.1 to 31.8 "
        "(electronic documents)",
        "2. The records were made in the usual and ordinary course of the business of "
        "{provider}, the provision of mail and storage services (s. 30(1)). They are electronic "
        "documents; the system in which they were recorded and stored, and how they were "
        "extracted, is described below so that their integrity can be assessed (ss. 31.1, 31.2).",
        "",
        "I am employed by {provider} and have knowledge of how its records are kept",
        "I certify that the foregoing is true.",
    ),
}

NEUTRAL = CertificateForm(
    "neutral",
    "DECLARATION OF AUTHENTICITY OF RECORDS PRODUCED",
    "no form specific to the issuing authority's jurisdiction: a declaration of how the records "
    "were kept, extracted and identified, for the forum to assess under its own law",
    "2. The records were made at or near the time of the acts, events and communications they "
    "record, by, or from information transmitted by, a person with knowledge of those matters "
    "or by " + _DIGITAL + ", as a regular practice of that activity.",
    "",
    "I am a custodian of records of {provider} or another person qualified to make this "
    "declaration",
    "I declare that the foregoing is true and correct to the best of my knowledge and belief.",
)


def certificate_form(country: str) -> CertificateForm:
    """The form for process issued in ``country`` (ISO 3166 alpha-2), else the neutral one."""
    return FORMS.get(country.upper(), NEUTRAL)


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
    options: PackageOptions | None = None,
) -> str:
    """The certificate's text. ``options`` None: a package of the first format (an mbox per
    account and both manifests, whose wording stays as it was so a re-run gives its bytes)."""
    copies = "as an .eml file and, for reading, in an mbox file per account"
    hashes = "SHA-256 and SHA-512 hash values"
    listed = "manifest-sha256.txt and manifest-sha512.txt"
    if options is not None and not options.mbox:
        copies = "as an .eml file"
    if options is not None and not options.sha512:
        hashes, listed = "SHA-256 hash value", "manifest-sha256.txt"
    when = produced_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    form = certificate_form(demand.country)
    paragraphs = [
        form.title,
        f"({form.rule})",
        f"I, {custodian.name}, {custodian.title} of {custodian.provider}"
        + (f", {custodian.address}" if custodian.address else "")
        + ", certify that "
        + form.signer.format(provider=custodian.provider)
        + ", and that:",
        f"1. This package answers demand {demand.reference} of {demand.authority} for the period "
        f"{period_text(demand.period)}, under authorization {authorization_id}. It holds "
        f"{record_count} records ({payload_bytes} bytes of payload).",
        form.records.format(provider=custodian.provider),
        "3. How the records were kept: each record was stored, encrypted, in the regional store of "
        "the region named in its path, exactly as received (messages as their original RFC 5322 "
        "bytes) or as structured fields recorded by the service.",
        "4. How the records were extracted: on "
        f"{when} the regional agent holding that region's key verified the signed authorization, "
        "read and decrypted only the records it covers, and copied them into this package without "
        f"alteration. Each message is included byte for byte {copies}; the other records as JSON "
        "and CSV.",
        f"5. Each file of the package was identified by its {hashes}, computed as it was "
        f"written and listed in {listed}{form.hashes_rule}. A copy whose hash values match these "
        "is an exact copy of the records produced. I certify these hash values:",
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
            form.declaration,
            96,
        )
    )
    lines += [
        "",
        f"Form: {form.key} ({form.rule}).",
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
