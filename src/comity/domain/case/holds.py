"""Preservation holds as domain values: what is frozen, where, since when and until when.

A hold names an account, the categories to freeze and the region that holds them. How long it
lasts depends on its legal basis; the region store enforces it (custody's part), this module
says whether it is active at a given instant and how far it may be extended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from comity.domain import deadlines
from comity.domain.categories import Category
from comity.domain.deadlines import Deadline
from comity.domain.values import Frozen, Instant, require_aware
from comity.errors import Conflict, InvalidInput


class HoldBasis(StrEnum):
    US_2703F = "us.2703f"
    EU_EPOC_PR = "eu.epoc_pr"
    US_2703H_PENDING = "us.2703h_pending"
    LITIGATION = "litigation"


@dataclass(frozen=True)
class HoldLaw:
    """How long a hold of one basis lasts and how it may be extended."""

    days: int | None
    extension_days: int | None
    max_extensions: int
    citation: str
    rule: str


HOLD_LAW: dict[HoldBasis, HoldLaw] = {
    # 90 days, "extended for an additional 90-day period upon a renewed request".
    HoldBasis.US_2703F: HoldLaw(90, 90, 1, "18 U.S.C. 2703(f)(2)", "US-06"),
    # Ends after 60 days unless a follow-up production request is confirmed; extendable once
    # by 30 days (Annex VI); once confirmed, kept as long as needed.
    HoldBasis.EU_EPOC_PR: HoldLaw(60, 30, 1, "Reg. (EU) 2023/1543 Art. 11(1)", "EU-06"),
    # "Shall preserve but need not produce" while a 2703(h) motion is pending: no fixed term.
    HoldBasis.US_2703H_PENDING: HoldLaw(None, None, 0, "18 U.S.C. 2703(h)(4)", "US-21"),
    # Kept while litigation about the demand lasts (duty to preserve evidence): no fixed term.
    HoldBasis.LITIGATION: HoldLaw(None, None, 0, "duty to preserve pending litigation", "-"),
}


class PreservationHold(Frozen):
    """One hold; ``expires_at`` is ``None`` while it lasts as long as needed."""

    hold_id: str
    case_id: str
    account: str
    categories: tuple[Category, ...]
    region: str
    basis: HoldBasis
    zone: str
    placed_at: Instant
    expires_at: Instant | None
    extensions: int = 0
    follow_up_confirmed: bool = False
    released_at: Instant | None = None
    release_reason: str | None = None

    @staticmethod
    def place(
        *,
        hold_id: str,
        case_id: str,
        account: str,
        categories: tuple[Category, ...],
        region: str,
        basis: HoldBasis,
        zone: str,
        now: datetime,
    ) -> PreservationHold:
        if not categories:
            raise InvalidInput("categories: a hold must name at least one data category")
        deadlines.zone(zone)
        require_aware(now)
        law = HOLD_LAW[basis]
        expires = None if law.days is None else deadlines.days_after(now, law.days, zone)
        return PreservationHold(
            hold_id=hold_id,
            case_id=case_id,
            account=account,
            categories=categories,
            region=region,
            basis=basis,
            zone=zone,
            placed_at=now,
            expires_at=expires,
        )

    def is_active(self, now: datetime) -> bool:
        """Placed, not released, and not expired at ``now`` (an expiry instant is already out)."""
        if now < self.placed_at:
            return False
        if self.released_at is not None and now >= self.released_at:
            return False
        return self.expires_at is None or now < self.expires_at

    def covers(self, account: str, category: Category, region: str, now: datetime) -> bool:
        """Whether this hold forbids deleting ``account``'s ``category`` records in ``region``."""
        return (
            self.is_active(now)
            and self.account == account
            and category in self.categories
            and self.region == region
        )

    def extend(self, now: datetime) -> PreservationHold:
        """Extend once where the law allows, from the current expiry (not from ``now``)."""
        law = HOLD_LAW[self.basis]
        if not self.is_active(now):
            raise Conflict(
                f"hold {self.hold_id} is not active at {now.isoformat()}; place a new one"
            )
        if law.extension_days is None or self.expires_at is None:
            raise Conflict(f"hold {self.hold_id} ({self.basis}) has no fixed term to extend")
        if self.extensions >= law.max_extensions:
            raise Conflict(
                f"hold {self.hold_id} ({self.basis}) was already extended "
                f"{self.extensions} time(s); {law.citation} allows {law.max_extensions}"
            )
        new_expiry = deadlines.days_after(
            self.expires_at - timedelta(microseconds=1), law.extension_days, self.zone
        )
        return self.model_copy(update={"expires_at": new_expiry, "extensions": self.extensions + 1})

    def confirm_follow_up(self, now: datetime) -> PreservationHold:
        """EPOC-PR: the issuer confirmed a follow-up production request; keep as long as needed."""
        if self.basis is not HoldBasis.EU_EPOC_PR:
            raise Conflict(f"hold {self.hold_id}: only an EPOC-PR hold is confirmed (Art. 11(1))")
        if not self.is_active(now):
            raise Conflict(f"hold {self.hold_id} has already ended; it cannot be confirmed")
        return self.model_copy(update={"expires_at": None, "follow_up_confirmed": True})

    def release(self, now: datetime, reason: str) -> PreservationHold:
        if not reason.strip():
            raise InvalidInput("reason: say why the hold is released")
        if self.released_at is not None:
            raise Conflict(f"hold {self.hold_id} was already released")
        return self.model_copy(update={"released_at": now, "release_reason": reason.strip()})

    def deadline(self) -> Deadline | None:
        """The expiry as a deadline to watch (renew or let lapse), if it has one."""
        if self.expires_at is None or self.released_at is not None:
            return None
        law = HOLD_LAW[self.basis]
        more = self.extensions < law.max_extensions
        return Deadline(
            kind="hold_expiry",
            subject=self.hold_id,
            due_at=self.expires_at,
            citation=law.citation,
            rule=law.rule,
            description=f"preservation of {self.account} in {self.region} ends"
            + ("; one extension is still allowed" if more else "; no extension left"),
        )
