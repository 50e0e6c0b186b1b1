"""The authorization: what the control plane allows a region to release for one demand.

Approval of a demand produces an ``Authorization`` naming, per region, the accounts, data categories
and period that may be disclosed, with an expiry. The control plane signs its canonical JSON
(adapters.signing); the regional agent and anyone holding a package check that signature, the expiry
and the region before trusting it. Everything here is pure: time is an input (``now``), never read.

Legal basis for the scope check: a production must not exceed the order (18 U.S.C. 2703 compels
only what the warrant or order describes; Regulation (EU) 2023/1543 Art. 10 limits the addressee to
the data requested in the EPOC), so each record released is checked against the approved region,
account, category and period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any

from comity.domain import signed_envelope
from comity.domain.audit import canonical_json
from comity.domain.categories import Category
from comity.domain.demand import Period
from comity.errors import IntegrityError, InvalidInput, collect

FORMAT = "comity.authorization/1"


@dataclass(frozen=True)
class RegionGrant:
    """What one region may release: these accounts, these categories, this period (inclusive).

    ``period`` None means the approval set no time limit (a demand for subscriber records often
    has none).
    """

    region: str
    accounts: tuple[str, ...]
    categories: tuple[Category, ...]
    period: Period | None = None

    def __post_init__(self) -> None:
        # One order for equal grants, so equality and the canonical form agree.
        object.__setattr__(self, "accounts", tuple(sorted(set(self.accounts))))
        object.__setattr__(self, "categories", tuple(sorted(set(self.categories))))

    def to_document(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "accounts": sorted(self.accounts),
            "categories": sorted(c.value for c in self.categories),
            "period": None
            if self.period is None
            else {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
        }

    def refusal(self, account: str, category: Category, occurred_at: datetime) -> str | None:
        """Why a record of ``account``/``category`` at ``occurred_at`` may not be released here."""
        if account not in self.accounts:
            return f"account {account} is not authorized in region {self.region}"
        if category not in self.categories:
            return f"category {category.value} is not authorized for region {self.region}"
        if self.period is not None:
            day = occurred_at.date() if occurred_at.tzinfo is None else _utc_day(occurred_at)
            if not self.period.start <= day <= self.period.end:
                return (
                    f"{day.isoformat()} is outside the authorized period "
                    f"{self.period.start.isoformat()} to {self.period.end.isoformat()}"
                )
        return None


def _utc_day(moment: datetime) -> date:
    offset = moment.utcoffset()
    assert offset is not None
    return (moment - offset).date()


@dataclass(frozen=True)
class PackageOptions:
    """What the package holds beyond each record once, chosen when the production is authorized
    and signed into the authorization, so the agent, the writer and ``comity verify`` agree.

    ``mbox``: also each account's messages as one mbox (RFC 4155, mboxrd), a second copy of every
    message that mail clients open directly. ``sha512``: a SHA-512 manifest beside the SHA-256
    one (RFC 8493 2.1.3 asks for one algorithm; SHA-512 serves a court or requester that
    expects it). Both cost a full pass over the payload, so both are off unless chosen. An
    authorization without options (issued before they existed) means both on and the first
    package format.
    """

    mbox: bool = False
    sha512: bool = False

    def to_document(self) -> dict[str, bool]:
        return {"mbox": self.mbox, "sha512": self.sha512}


@dataclass(frozen=True, order=True)
class Basis:
    """The law engine's pathway for one granted (region, account, category) at approval."""

    region: str
    account: str
    category: Category
    pathway: str

    def to_document(self) -> dict[str, str]:
        return {
            "region": self.region,
            "account": self.account,
            "category": self.category.value,
            "pathway": self.pathway,
        }


@dataclass(frozen=True)
class Authorization:
    """One approval of one demand, before signing."""

    id: str
    demand_id: str
    demand_reference: str
    assessment_digest: str
    grants: tuple[RegionGrant, ...]
    issued_at: datetime
    expires_at: datetime
    issuer: str

    #: The pathway the law engine gave each granted (region, account, category) when the case
    #: was approved; the regional agent asks again and refuses if the answer changed. Empty in
    #: authorizations made before agents re-checked (their document has no ``basis`` key).
    basis: tuple[Basis, ...] = ()

    #: The package's options; None in authorizations issued before options existed, whose
    #: packages keep the first format (mbox and SHA-512 always, docs/adr/0004).
    package: PackageOptions | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.issued_at.tzinfo is None or self.expires_at.tzinfo is None:
            problems.append("issued_at and expires_at must be timezone-aware")
        elif self.expires_at <= self.issued_at:
            problems.append("expires_at must be after issued_at")
        # A region may have several grants (one per account and period when a reviewer narrowed
        # some findings): a product of accounts x categories per region would release more than
        # was approved. The order is canonical so equal authorizations sign the same bytes.
        object.__setattr__(
            self,
            "grants",
            tuple(sorted(self.grants, key=lambda g: (g.region, canonical_json(g.to_document())))),
        )
        object.__setattr__(self, "basis", tuple(sorted(set(self.basis))))
        docs = [canonical_json(g.to_document()) for g in self.grants]
        if len(set(docs)) != len(docs):
            problems.append("the same grant is listed twice")
        if not self.grants:
            problems.append("an authorization must grant at least one region")
        collect(problems)

    def grant(self, region: str) -> RegionGrant | None:
        """The first grant for ``region`` (see ``grants_for`` when a region has several)."""
        return next((g for g in self.grants if g.region == region), None)

    def grants_for(self, region: str) -> tuple[RegionGrant, ...]:
        return self._by_region.get(region, ())

    @cached_property
    def _by_region(self) -> dict[str, tuple[RegionGrant, ...]]:
        """Grants per region, worked out once: ``refusal`` runs for every record released."""
        regions: dict[str, list[RegionGrant]] = {}
        for grant in self.grants:
            regions.setdefault(grant.region, []).append(grant)
        return {region: tuple(grants) for region, grants in regions.items()}

    def expected_pathway(self, region: str, account: str, category: Category) -> str | None:
        for b in self.basis:
            if (b.region, b.account, b.category) == (region, account, category):
                return b.pathway
        return None

    @property
    def regions(self) -> tuple[str, ...]:
        """Each region once, in order: a region with several grants (two accounts, or one account
        with a period per category) is still one group of records, released by one agent call."""
        return tuple(sorted({g.region for g in self.grants}))

    def accounts_in(self, region: str) -> tuple[str, ...]:
        """Every account any grant of ``region`` names, each once, in order."""
        return tuple(sorted({a for g in self.grants_for(region) for a in g.accounts}))

    def refusal(
        self, region: str, account: str, category: Category, occurred_at: datetime
    ) -> str | None:
        """Why this record may not be released under this authorization, or None if it may."""
        grants = self.grants_for(region)
        if not grants:
            return f"region {region} is not authorized"
        first: str | None = None
        for grant in grants:  # runs for every record released: stop at the first grant that covers
            refused = grant.refusal(account, category, occurred_at)
            if refused is None:
                return None
            first = first or refused
        if len(grants) == 1:
            return first
        return f"none of the {len(grants)} grants for region {region} covers it: {first}"

    def to_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "format": FORMAT,
            "id": self.id,
            "demand": {"id": self.demand_id, "reference": self.demand_reference},
            "assessment_digest": self.assessment_digest,
            "grants": [g.to_document() for g in self.grants],
            "issued_at": self.issued_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "issuer": self.issuer,
        }
        if self.basis:
            doc["basis"] = [b.to_document() for b in self.basis]
        if self.package is not None:
            doc["package"] = self.package.to_document()
        return doc

    def canonical(self) -> bytes:
        """The exact bytes the control plane signs."""
        return canonical_json(self.to_document())

    @staticmethod
    def from_document(doc: Any) -> Authorization:
        """Parse the document form, raising ``InvalidInput`` naming each bad field."""
        problems: list[str] = []
        if not isinstance(doc, dict):
            raise InvalidInput("the authorization must be a JSON object")
        if doc.get("format") != FORMAT:
            problems.append(f"authorization.format: expected {FORMAT!r}, got {doc.get('format')!r}")
        demand = doc.get("demand")
        if not isinstance(demand, dict):
            demand = {}
            problems.append("authorization.demand: expected an object with id and reference")

        def text(field: str, value: object) -> str:
            if not isinstance(value, str) or not value:
                problems.append(f"authorization.{field}: expected a non-empty string")
                return ""
            return value

        def moment(field: str, value: object) -> datetime | None:
            try:
                parsed = datetime.fromisoformat(str(value))
            except ValueError:
                parsed = None
            if parsed is None or parsed.tzinfo is None:
                problems.append(f"authorization.{field}: expected a date and time with a zone")
                return None
            return parsed

        grants: list[RegionGrant] = []
        raw_grants = doc.get("grants")
        if not isinstance(raw_grants, list):
            problems.append("authorization.grants: expected a list")
            raw_grants = []
        for i, raw in enumerate(raw_grants):
            try:
                grants.append(_parse_grant(raw))
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(f"authorization.grants[{i}]: {exc}")
        basis: list[Basis] = []
        raw_basis = doc.get("basis", [])
        if not isinstance(raw_basis, list):
            problems.append("authorization.basis: expected a list")
            raw_basis = []
        for i, raw in enumerate(raw_basis):
            try:
                basis.append(_parse_basis(raw))
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(f"authorization.basis[{i}]: {exc}")
        package = None
        if "package" in doc:
            raw_package = doc["package"]
            if (
                not isinstance(raw_package, dict)
                or set(raw_package) != {"mbox", "sha512"}
                or not all(isinstance(v, bool) for v in raw_package.values())
            ):
                problems.append(
                    "authorization.package: expected an object with true or false for mbox "
                    "and sha512"
                )
            else:
                package = PackageOptions(raw_package["mbox"], raw_package["sha512"])
        auth_id = text("id", doc.get("id"))
        demand_id = text("demand.id", demand.get("id"))
        reference = text("demand.reference", demand.get("reference"))
        assessment = text("assessment_digest", doc.get("assessment_digest"))
        issuer = text("issuer", doc.get("issuer"))
        issued = moment("issued_at", doc.get("issued_at"))
        expires = moment("expires_at", doc.get("expires_at"))
        collect(problems)
        assert issued is not None
        assert expires is not None
        return Authorization(
            auth_id,
            demand_id,
            reference,
            assessment,
            tuple(grants),
            issued,
            expires,
            issuer,
            tuple(basis),
            package,
        )


def _parse_basis(raw: Any) -> Basis:
    if not isinstance(raw, dict):
        raise TypeError("expected an object")
    values = [raw["region"], raw["account"], raw["pathway"]]
    if not all(isinstance(v, str) and v for v in values):
        raise TypeError("region, account and pathway must be non-empty strings")
    return Basis(raw["region"], raw["account"], Category.parse(raw["category"]), raw["pathway"])


def _parse_grant(raw: Any) -> RegionGrant:
    if not isinstance(raw, dict):
        raise TypeError("expected an object")
    region, accounts, categories = raw["region"], raw["accounts"], raw["categories"]
    if not isinstance(region, str) or not isinstance(accounts, list):
        raise TypeError("region must be a string and accounts a list")
    if not all(isinstance(a, str) for a in accounts) or not isinstance(categories, list):
        raise TypeError("accounts must be strings and categories a list")
    period = raw.get("period")
    parsed_period = None
    if period is not None:
        parsed_period = Period(
            date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
        )
    return RegionGrant(
        region, tuple(accounts), tuple(Category.parse(c) for c in categories), parsed_period
    )


@dataclass(frozen=True)
class SignedAuthorization:
    """An authorization with the control plane's Ed25519 signature over its canonical bytes."""

    authorization: Authorization
    key_id: str
    signature: bytes

    def to_document(self) -> dict[str, Any]:
        return signed_envelope.seal(
            "authorization", self.authorization.to_document(), self.key_id, self.signature
        )

    def to_bytes(self) -> bytes:
        """The file form: canonical JSON and a final newline."""
        return signed_envelope.to_bytes(self.to_document())

    @staticmethod
    def from_bytes(data: bytes) -> SignedAuthorization:
        body, key_id, value = signed_envelope.open_envelope(data, "authorization", "authorization")
        try:
            authorization = Authorization.from_document(body)
        except InvalidInput as exc:
            raise IntegrityError(
                f"the signed authorization is malformed: {exc.message}", problems=exc.problems
            ) from None
        return SignedAuthorization(authorization, key_id, value)


def check_current(authorization: Authorization, *, now: datetime, region: str | None) -> None:
    """Raise ``IntegrityError`` if the authorization has expired, is not yet valid at ``now``, or
    does not cover ``region`` (None: any region, as for a package holding several)."""
    if now < authorization.issued_at:
        raise IntegrityError(
            f"authorization {authorization.id} is not valid before "
            f"{authorization.issued_at.isoformat()} (now is {now.isoformat()})"
        )
    if now >= authorization.expires_at:
        raise IntegrityError(
            f"authorization {authorization.id} expired at "
            f"{authorization.expires_at.isoformat()} (now is {now.isoformat()})"
        )
    if region is not None and not authorization.grants_for(region):
        raise IntegrityError(
            f"authorization {authorization.id} does not cover region {region} "
            f"(it covers: {', '.join(authorization.regions)})"
        )
