"""Signs that a demand may be forged, and what keeps a demand from reaching disclosure.

In 2021-2022 attackers sent forged emergency requests from compromised or look-alike police
e-mail accounts; the FBI (PIN of 4 November 2024) reports a market in police e-mail access and
forged subpoenas. Recommended defences (practice.md, "Fraudulent emergency requests"): verify out
of band through independently found contacts, call the supervisor back, block compromised
accounts, keep a verified-requester registry, accept signed requests. Each sign below is one of
those defences turned into a check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from comity.domain.demand import RequestingAgency
from comity.domain.registry import Authority, AuthorityStatus, User, UserStatus, email_domain

#: Characters attackers swap for look-alikes in domains (Unicode TR 39 confusables, ASCII subset
#: plus common Cyrillic/Greek letters), folded to one skeleton letter.
_HOMOGLYPHS = {
    "0": "o", "1": "l", "i": "l", "|": "l", "5": "s", "$": "s", "3": "e", "4": "a", "@": "a",
    "7": "t", "8": "b", "9": "g", "_": "-",
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "l", "ј": "j",
    "ο": "o", "α": "a", "ε": "e", "ι": "l", "κ": "k", "ν": "v", "ρ": "p", "τ": "t",
}  # fmt: skip


@dataclass(frozen=True)
class FraudSign:
    code: str
    message: str

    def to_document(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def skeleton(domain: str) -> str:
    """The domain with look-alike characters folded together (``rn`` reads as ``m``)."""
    text = domain.lower().replace("rn", "m").replace("vv", "w")
    return "".join(_HOMOGLYPHS.get(ch, ch) for ch in text)


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance: swaps count as one edit."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _split(domain: str) -> tuple[str, str]:
    """(registrable label part, top-level domain)."""
    head, _, tld = domain.rpartition(".")
    return head, tld


def resembles(candidate: str, registered: str) -> str | None:
    """Why ``candidate`` looks like ``registered`` without being it (or a subdomain), or None."""
    candidate, registered = candidate.lower(), registered.lower()
    if candidate == registered or candidate.endswith("." + registered):
        return None
    if skeleton(candidate) == skeleton(registered):
        return "uses look-alike characters"
    c_head, c_tld = _split(candidate)
    r_head, r_tld = _split(registered)
    if c_head == r_head and c_tld != r_tld:
        return f"has the top-level domain .{c_tld} instead of .{r_tld}"
    dotted = "." + candidate.replace("-", ".") + "."
    if "." + registered + "." in dotted:
        return "embeds the registered domain in another one"
    limit = 1 if len(registered) < 8 else 2
    if edit_distance(candidate, registered) <= limit:
        return "differs from it by one or two characters"
    return None


def lookalike_signs(
    domain: str | None, field: str, registry: Iterable[Authority]
) -> list[FraudSign]:
    if not domain:
        return []
    signs = []
    for authority in registry:
        if domain in authority.domains or any(domain.endswith("." + d) for d in authority.domains):
            return []  # it is a registered domain: no look-alike
        for registered in authority.domains:
            why = resembles(domain, registered)
            if why:
                signs.append(
                    FraudSign(
                        "lookalike_domain",
                        f"{field}: the domain {domain} resembles {registered}, registered for "
                        f"{authority.name} ({authority.id}): it {why}",
                    )
                )
    return signs


def contact_signs(
    email: str | None, phone: str | None, agency: Authority | None
) -> list[FraudSign]:
    """The request's contact must be one staff already know: an unknown one is never called."""
    if agency is None or (not email and not phone):
        return []
    known_emails = {c.email.lower() for c in agency.contacts if c.email}
    known_phones = {_digits(c.phone) for c in agency.contacts if c.phone}
    signs = []
    if email and email.lower() not in known_emails:
        signs.append(
            FraudSign(
                "contact_not_in_registry",
                f"requesting_agency.contact.email: {email} is not a contact of {agency.id} in the "
                "registry; verify through the registry's contacts, never the request's",
            )
        )
    if phone and _digits(phone) not in known_phones:
        signs.append(
            FraudSign(
                "contact_not_in_registry",
                f"requesting_agency.contact.phone: {phone} is not a contact of {agency.id} in the "
                "registry; call back the registry's number, never the request's",
            )
        )
    return signs


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def standing_signs(requester: User | None, agency: Authority | None) -> list[FraudSign]:
    """A suspended requester or agency is flagged (blocklisted ones are refused before this)."""
    signs = []
    if requester is not None and requester.status is UserStatus.SUSPENDED:
        signs.append(FraudSign("requester_suspended", f"the requester {requester.id} is suspended"))
    if agency is not None and agency.status is AuthorityStatus.SUSPENDED:
        signs.append(FraudSign("agency_suspended", f"the agency {agency.id} is suspended"))
    if agency is not None and agency.status is AuthorityStatus.PENDING:
        signs.append(
            FraudSign("agency_pending", f"the agency {agency.id} is not yet verified by staff")
        )
    return signs


def _folded(name: str) -> str:
    return " ".join(name.casefold().split())


def agency_signs(named: RequestingAgency | None, agency: Authority | None) -> list[FraudSign]:
    """The agency the document names must be the one the demand comes from.

    A requester's account belongs to one registered agency; a document that names another one is
    what a compromised police account forging another force's request looks like (FBI PIN of
    4 November 2024). It is flagged, and the demand stays blocked from disclosure until staff
    verify it out of band; it is not refused, because a task force may file for a partner.
    """
    if named is None or agency is None:
        return []
    if named.country == agency.country and _folded(named.name) == _folded(agency.name):
        return []
    return [
        FraudSign(
            "agency_mismatch",
            f"requesting_agency: the document names {named.name} ({named.country}), but the "
            f"demand comes from {agency.name} ({agency.id}, {agency.country})",
        )
    ]


def domain_of(email: str | None) -> str | None:
    return email_domain(email)
