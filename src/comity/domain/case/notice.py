"""User notice and what forbids it: non-disclosure ("gag") orders and delayed notice.

Policy (practice.md: Google, Microsoft): the user is told about a demand unless the law forbids
it, and told once the prohibition ends. A non-disclosure order under 18 U.S.C. 2705(b) (US-15)
forbids it for the period the court sets; a delay under 2705(a) (US-14) runs 90 days at a time.
For an enterprise account the demand goes to the customer first (pathway ``redirect_entity``),
and it is the customer who is told.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from comity.domain import deadlines
from comity.domain.deadlines import Deadline
from comity.domain.inputs import parse_input
from comity.domain.values import Frozen, Instant
from comity.errors import InvalidInput


class NoticePlan(Frozen):
    """Who is told, what forbids telling them, and whether they have been told."""

    notify: bool = True
    customer: str | None = None
    non_disclosure_until: date | None = None
    non_disclosure_indefinite: bool = False
    delayed_from: Instant | None = None
    delay_periods: int = 0
    given_at: Instant | None = None
    given_to: str | None = None

    def changed(self, **update: object) -> NoticePlan:
        """This plan with ``update`` applied and validated again.

        ``model_copy`` would store a naive time as given, and a case holding one could never be
        compared with the clock again (every list reading it failed); validating refuses it, and
        refuses an order that both ends on a day and is indefinite (18 U.S.C. 2705(b) orders
        are one or the other).
        """
        if update.get("non_disclosure_until") is not None and update.get(
            "non_disclosure_indefinite"
        ):
            raise InvalidInput(
                "until: an order cannot both end on a day and be indefinite; give one of them"
            )
        return parse_input(NoticePlan, {**self.model_dump(), **update})

    def recipient(self) -> str:
        return f"customer {self.customer}" if self.customer else "the user"

    def forbidden_until(self, zone_name: str) -> datetime | None:
        """The instant notice stops being forbidden (``None``: not forbidden by a dated order)."""
        ends: list[datetime] = []
        if self.non_disclosure_until is not None:
            tz = deadlines.zone(zone_name)
            day_after = self.non_disclosure_until + timedelta(days=1)
            ends.append(datetime.combine(day_after, time(0), tzinfo=tz).astimezone(UTC))
        if self.delayed_from is not None and self.delay_periods > 0:
            ends.append(self.delay_deadline(zone_name, "-").due_at)
        return max(ends) if ends else None

    def forbidden_at(self, now: datetime, zone_name: str) -> bool:
        if self.non_disclosure_indefinite:
            return True
        until = self.forbidden_until(zone_name)
        return until is not None and now < until

    def delay_deadline(self, zone_name: str, subject: str) -> Deadline:
        assert self.delayed_from is not None
        return deadlines.delayed_notice_end(
            self.delayed_from, periods=self.delay_periods, zone_name=zone_name, subject=subject
        )

    def due(self, *, owed_by: datetime | None, zone_name: str, subject: str) -> Deadline | None:
        """Notice as a due item: owed by ``owed_by``, or when a dated prohibition ends if later.

        ``owed_by`` is the case's answer to "by when must the user hear of this?" (see
        ``Case.notice_owed_by``): before disclosure (Google: "user notice before disclosure
        unless prohibited"), or when an enterprise customer's demand is redirected to them
        (Microsoft). ``None`` means nothing is (yet) owed, so nothing is due; a dated 18 U.S.C.
        2705(b) order or 2705(a) delay moves the day to when it ends, never earlier.
        """
        if (
            owed_by is None
            or not self.notify
            or self.given_at is not None
            or self.non_disclosure_indefinite
        ):
            return None
        until = self.forbidden_until(zone_name)
        due_at = owed_by if until is None else max(owed_by, until)
        gag = until is not None and until >= owed_by
        return Deadline(
            kind="user_notice",
            subject=subject,
            due_at=due_at,
            citation="18 U.S.C. 2705(b)" if gag else "provider policy (notice before disclosure)",
            rule="US-15" if gag else "-",
            description=f"tell {self.recipient()} about the demand"
            + (" (the non-disclosure period has ended)" if gag else ""),
        )
