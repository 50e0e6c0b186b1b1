"""Legal deadlines: calendar days in local time (across DST), hours as elapsed time, and the
exact boundary instants at which each becomes overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from comity.domain import deadlines as dl
from comity.domain.case.holds import HoldBasis, PreservationHold
from comity.domain.categories import Category
from comity.errors import Conflict, InvalidInput

US = "America/New_York"
IE = "Europe/Dublin"
ONE = timedelta(microseconds=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_epoc_ten_days_across_the_autumn_dst_change() -> None:
    # Received 14:00 Irish Summer Time on 20 Oct 2026; DST ends 25 Oct; the 10th day after is
    # 30 Oct, which ends at local midnight = 00:00 GMT.
    d = dl.epoc_production(utc(2026, 10, 20, 13), emergency=False, zone_name=IE, subject="c")
    assert d.due_at == utc(2026, 10, 31, 0)
    assert d.citation.startswith("Reg. (EU) 2023/1543 Art. 10")
    assert d.rule == "EU-07"


def test_epoc_ten_days_across_the_spring_dst_change() -> None:
    # Received in GMT on 20 Mar 2027; DST starts 28 Mar; 30 Mar ends at 00:00 IST = 23:00 UTC.
    d = dl.epoc_production(utc(2027, 3, 20, 12), emergency=False, zone_name=IE, subject="c")
    assert d.due_at == utc(2027, 3, 30, 23)


def test_the_local_day_counts_not_the_utc_day() -> None:
    at = utc(2026, 6, 30, 23, 30)  # 00:30 on 1 July in Dublin, 19:30 on 30 June in New York
    assert dl.days_after(at, 10, IE) == utc(2026, 7, 11, 23)
    assert dl.days_after(at, 10, US) == utc(2026, 7, 11, 4)


def test_emergency_epoc_is_eight_elapsed_hours_even_over_the_dst_jump() -> None:
    at = utc(2027, 3, 28, 0, 30)  # clocks go forward in Dublin at 01:00 UTC
    d = dl.epoc_production(at, emergency=True, zone_name=IE, subject="c")
    assert d.due_at == utc(2027, 3, 28, 8, 30)
    assert d.citation == "Reg. (EU) 2023/1543 Art. 10(4)"


def test_enforcing_authority_window_ten_days_or_96_hours() -> None:
    at = utc(2026, 9, 1, 10)
    normal = dl.enforcing_authority_window(at, emergency=False, zone_name=IE, subject="c")
    urgent = dl.enforcing_authority_window(at, emergency=True, zone_name=IE, subject="c")
    assert normal.due_at == utc(2026, 9, 11, 23)  # end of 11 Sep, Irish Summer Time
    assert urgent.due_at == utc(2026, 9, 5, 10)
    assert "12(1)" in normal.citation
    assert normal.rule == "EU-09"


def test_2703h_motion_within_14_days_of_service() -> None:
    d = dl.motion_2703h(utc(2018, 3, 30, 16), zone_name=US, subject="c")
    assert d.due_at == utc(2018, 4, 14, 4)  # end of 13 April, EDT
    assert d.citation == "18 U.S.C. 2703(h)(2)(A)"
    assert d.rule == "US-18"


def test_delayed_notice_90_days_renewable() -> None:
    start = utc(2026, 1, 15, 15)  # 10:00 EST
    one = dl.delayed_notice_end(start, periods=1, zone_name=US, subject="c")
    two = dl.delayed_notice_end(start, periods=2, zone_name=US, subject="c")
    assert one.due_at == utc(2026, 4, 16, 4)  # end of 15 April, EDT
    assert two.due_at == utc(2026, 7, 15, 4)
    assert "2705(a)" in one.citation
    with pytest.raises(InvalidInput):
        dl.delayed_notice_end(start, periods=0, zone_name=US, subject="c")


def _hold(basis: HoldBasis, at: datetime, zone: str = US) -> PreservationHold:
    return PreservationHold.place(
        hold_id="h1",
        case_id="c",
        account="acct-1",
        categories=(Category.CONTENT,),
        region="us-east",
        basis=basis,
        zone=zone,
        now=at,
    )


def test_us_preservation_90_days_plus_one_90_day_extension() -> None:
    placed = utc(2026, 1, 15, 15)
    hold = _hold(HoldBasis.US_2703F, placed)
    assert hold.expires_at == utc(2026, 4, 16, 4)
    assert hold.is_active(utc(2026, 4, 16, 4) - ONE)
    assert not hold.is_active(utc(2026, 4, 16, 4))
    extended = hold.extend(utc(2026, 4, 1))
    assert extended.expires_at == utc(2026, 7, 15, 4)
    with pytest.raises(Conflict, match=r"2703\(f\)"):
        extended.extend(utc(2026, 5, 1))
    with pytest.raises(Conflict, match="not active"):
        hold.extend(utc(2026, 4, 16, 4))


def test_epoc_pr_60_days_plus_30_or_until_confirmed() -> None:
    placed = utc(2026, 9, 1, 10)
    hold = _hold(HoldBasis.EU_EPOC_PR, placed, IE)
    assert hold.expires_at == utc(2026, 11, 1, 0)  # day 60 is 31 Oct; it ends at 00:00 GMT
    extended = hold.extend(utc(2026, 10, 20))
    assert extended.expires_at == utc(2026, 12, 1, 0)  # 30 more days: to the end of 30 Nov
    with pytest.raises(Conflict, match=r"Art\. 11"):
        extended.extend(utc(2026, 11, 1))
    confirmed = hold.confirm_follow_up(utc(2026, 10, 1))
    assert confirmed.expires_at is None
    assert confirmed.is_active(utc(2030, 1, 1))


def test_holds_without_a_term_cannot_be_extended_and_release_ends_them() -> None:
    hold = _hold(HoldBasis.US_2703H_PENDING, utc(2026, 1, 1))
    assert hold.deadline() is None
    with pytest.raises(Conflict, match="no fixed term"):
        hold.extend(utc(2026, 2, 1))
    released = hold.release(utc(2026, 3, 1), "motion decided")
    assert released.is_active(utc(2026, 3, 1) - ONE)
    assert not released.is_active(utc(2026, 3, 1))
    assert not hold.is_active(utc(2025, 12, 31))
    assert hold.covers("acct-1", Category.CONTENT, "us-east", utc(2026, 2, 1))
    assert not hold.covers("acct-1", Category.TRAFFIC, "us-east", utc(2026, 2, 1))
    assert not hold.covers("acct-1", Category.CONTENT, "eu-ie", utc(2026, 2, 1))
    with pytest.raises(Conflict):
        released.release(utc(2026, 3, 2), "again")


def test_due_sorts_overdue_and_due_soon_at_the_exact_boundaries() -> None:
    d = dl.epoc_production(utc(2026, 10, 20, 13), emergency=False, zone_name=IE, subject="c")
    due_at = d.due_at
    day = timedelta(days=1)
    just_before = dl.due([d], now=due_at - ONE, window=day)
    assert just_before.overdue == ()
    assert just_before.due_soon == (d,)
    at = dl.due([d], now=due_at, window=day)
    assert at.overdue == (d,)
    assert at.due_soon == ()
    window_edge = dl.due([d], now=due_at - day, window=day)
    assert window_edge.due_soon == (d,)
    outside = dl.due([d], now=due_at - day - ONE, window=day)
    assert outside.due_soon == ()
    assert outside.overdue == ()


def test_naive_times_and_unknown_zones_are_refused() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        dl.days_after(datetime(2026, 1, 1), 10, US)
    with pytest.raises(InvalidInput, match="Mars/Olympus"):
        dl.days_after(utc(2026, 1, 1), 10, "Mars/Olympus")
    with pytest.raises(InvalidInput, match="time zone"):
        dl.due([], now=datetime(2026, 1, 1), window=timedelta(days=1))


def test_preservation_expiry_functions_match_the_holds() -> None:
    placed = utc(2026, 1, 15, 15)
    us = dl.us_preservation_expiry(placed, extended=False, zone_name=US, subject="h")
    us2 = dl.us_preservation_expiry(placed, extended=True, zone_name=US, subject="h")
    hold = _hold(HoldBasis.US_2703F, placed)
    assert us.due_at == hold.expires_at
    assert us2.due_at == hold.extend(placed).expires_at
    assert us.citation == "18 U.S.C. 2703(f)(2)"
    placed_ie = utc(2026, 9, 1, 10)
    eu = dl.epoc_pr_expiry(placed_ie, extended=False, zone_name=IE, subject="h")
    eu2 = dl.epoc_pr_expiry(placed_ie, extended=True, zone_name=IE, subject="h")
    hold_ie = _hold(HoldBasis.EU_EPOC_PR, placed_ie, IE)
    assert eu.due_at == hold_ie.expires_at == utc(2026, 11, 1, 0)
    assert eu2.due_at == hold_ie.extend(placed_ie).expires_at == utc(2026, 12, 1, 0)
    assert eu.citation == "Reg. (EU) 2023/1543 Art. 11(1)"
