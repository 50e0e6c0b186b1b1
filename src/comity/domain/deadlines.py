"""Legal deadlines, computed from the moment a demand was received (or a hold placed).

Two ways of counting, both as the law counts them:

- **Hours** run from the exact instant (e-Evidence 8 hours, 96 hours): ``hours_after``.
- **Days** are calendar days in the local time of the place that counts them (the addressee's
  for e-Evidence, the issuing court's for US process): the day of the event does not count, and
  the period ends when the last day ends, at local midnight (Reg. (EEC, Euratom) 1182/71
  Art. 3(1), 3(2)(b); Fed. R. Crim. P. 45(a)(1)). So a deadline is the same local wall-clock time
  whether or not daylight saving time changed in between, and its UTC instant moves with it.
  The rule that a period ending on a weekend or holiday runs to the next working day is **not**
  applied: Comity warns on the earlier date, which is never late.

Every deadline carries its citation and the legal-rules row it comes from.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from comity.domain.demand import EU_ADDRESSED_INSTRUMENTS, Demand, served_entity
from comity.domain.deployment import Deployment
from comity.domain.values import Frozen, Instant
from comity.errors import InvalidInput


class Deadline(Frozen):
    """One thing due by ``due_at`` (UTC), and why."""

    kind: str
    subject: str
    due_at: Instant
    citation: str
    rule: str
    description: str


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``, or a clear error naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"zone: {name!r} is not an IANA time zone such as Europe/Dublin or America/New_York"
        ) from None


def _aware(at: datetime, what: str) -> datetime:
    if at.tzinfo is None:
        raise InvalidInput(f"{what}: a time zone is required (got {at.isoformat()})")
    return at


def hours_after(at: datetime, hours: int) -> datetime:
    """``hours`` after the instant ``at``, in UTC (elapsed time, unaffected by DST)."""
    return _aware(at, "event time").astimezone(UTC) + timedelta(hours=hours)


def days_after(at: datetime, days: int, zone_name: str) -> datetime:
    """End of the ``days``-th calendar day after the local day of ``at``, as a UTC instant."""
    tz = zone(zone_name)
    local_day = _aware(at, "event time").astimezone(tz).date()
    last_day_ends = datetime.combine(local_day + timedelta(days=days + 1), time(0), tzinfo=tz)
    return last_day_ends.astimezone(UTC)


# --- where days are counted -----------------------------------------------------------------

#: The zone of each US state's federal courts (the seat's zone where a state spans two).
_STATE_ZONES = {
    **dict.fromkeys(
        [
            "ct",
            "de",
            "dc",
            "fl",
            "ga",
            "me",
            "md",
            "ma",
            "nh",
            "nj",
            "ny",
            "nc",
            "oh",
            "pa",
            "ri",
            "sc",
            "vt",
            "va",
            "wv",
        ],
        "America/New_York",
    ),
    **dict.fromkeys(
        [
            "al",
            "ar",
            "il",
            "ia",
            "ks",
            "la",
            "mn",
            "ms",
            "mo",
            "ne",
            "nd",
            "ok",
            "sd",
            "tx",
            "wi",
            "tn",
        ],
        "America/Chicago",
    ),
    **dict.fromkeys(["co", "mt", "nm", "ut", "wy"], "America/Denver"),
    **dict.fromkeys(["ca", "nv", "or", "wa"], "America/Los_Angeles"),
    "mi": "America/Detroit",
    "in": "America/Indiana/Indianapolis",
    "ky": "America/Kentucky/Louisville",
    "id": "America/Boise",
    "az": "America/Phoenix",
    "ak": "America/Anchorage",
    "hi": "Pacific/Honolulu",
    "pr": "America/Puerto_Rico",
    "vi": "America/St_Thomas",
    "gu": "Pacific/Guam",
    "mp": "Pacific/Saipan",
}
#: Districts whose seat is in another zone than the rest of their state.
_DISTRICT_ZONES = {"tned": "America/New_York", "flnd": "America/Chicago"}
#: The zone of a country's authorities (its capital's).
COUNTRY_ZONES = {
    "US": "America/New_York",
    "IE": "Europe/Dublin",
    "GB": "Europe/London",
    "DE": "Europe/Berlin",
    "FR": "Europe/Paris",
    "BE": "Europe/Brussels",
    "NL": "Europe/Amsterdam",
    "LU": "Europe/Luxembourg",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "IT": "Europe/Rome",
    "AT": "Europe/Vienna",
    "PL": "Europe/Warsaw",
    "CZ": "Europe/Prague",
    "SE": "Europe/Stockholm",
    "DK": "Europe/Copenhagen",
    "FI": "Europe/Helsinki",
    "GR": "Europe/Athens",
    "AU": "Australia/Sydney",
    "CA": "America/Toronto",
    "BR": "America/Sao_Paulo",
    "IN": "Asia/Kolkata",
    "JP": "Asia/Tokyo",
}


def counting_zone(demand: Demand, deployment: Deployment) -> str:
    """Where a demand's days are counted (UTC when Comity knows no zone for the place).

    e-Evidence periods run at the addressee (Reg. (EU) 2023/1543 Art. 10): the entity the order
    was served on, the designated establishment by default; US process at the issuing court
    (Fed. R. Crim. P. 45(a)), whose zone follows from the state in its PACER id (``us.nysd`` is
    New York); anything else in the issuing country's capital.
    """
    if demand.instrument in EU_ADDRESSED_INSTRUMENTS:
        try:
            country = served_entity(demand, deployment.provider).country
        except ValueError:
            country = deployment.provider.established_in
        return COUNTRY_ZONES.get(country, "UTC")
    forum = demand.issuing_authority.forum or ""
    if demand.issuing_authority.country == "US" and forum.startswith("us."):
        district = forum.removeprefix("us.")
        if district in _DISTRICT_ZONES:
            return _DISTRICT_ZONES[district]
        if district[:2] in _STATE_ZONES:
            return _STATE_ZONES[district[:2]]
    return COUNTRY_ZONES.get(demand.issuing_authority.country, "UTC")


# --- e-Evidence, Regulation (EU) 2023/1543 -------------------------------------------------

EPOC_DAYS = 10
EPOC_EMERGENCY_HOURS = 8
ENFORCING_DAYS = 10
ENFORCING_EMERGENCY_HOURS = 96
EPOC_PR_DAYS = 60
EPOC_PR_EXTENSION_DAYS = 30
ART17_OBJECTION_DAYS = 10


def epoc_production(
    received_at: datetime, *, emergency: bool, zone_name: str, subject: str
) -> Deadline:
    """Transmit the data: 10 days from receipt, 8 hours in an emergency (EU-07)."""
    if emergency:
        return Deadline(
            kind="epoc_production",
            subject=subject,
            due_at=hours_after(received_at, EPOC_EMERGENCY_HOURS),
            citation="Reg. (EU) 2023/1543 Art. 10(4)",
            rule="EU-07",
            description="emergency EPOC: transmit within 8 hours of receipt",
        )
    return Deadline(
        kind="epoc_production",
        subject=subject,
        due_at=days_after(received_at, EPOC_DAYS, zone_name),
        citation="Reg. (EU) 2023/1543 Art. 10(2)-(3)",
        rule="EU-07",
        description="EPOC: transmit within 10 days of receipt",
    )


def enforcing_authority_window(
    notified_at: datetime, *, emergency: bool, zone_name: str, subject: str
) -> Deadline:
    """The enforcing state's window to raise refusal grounds on a notified EPOC (EU-08, EU-09).

    Until it ends the addressee must not transmit (suspensive effect, Art. 8), except in
    emergencies; at its end, with no refusal, the data goes out.
    """
    if emergency:
        due = hours_after(notified_at, ENFORCING_EMERGENCY_HOURS)
        text = "enforcing authority may refuse within 96 hours of notification"
    else:
        due = days_after(notified_at, ENFORCING_DAYS, zone_name)
        text = "enforcing authority may refuse within 10 days of notification"
    return Deadline(
        kind="enforcing_authority_window",
        subject=subject,
        due_at=due,
        citation="Reg. (EU) 2023/1543 Arts 8, 10(2), 12(1)",
        rule="EU-09",
        description=text,
    )


def art17_objection(received_at: datetime, *, zone_name: str, subject: str) -> Deadline:
    """A reasoned objection for conflicting third-country law: within 10 days (EU-10)."""
    return Deadline(
        kind="art17_objection",
        subject=subject,
        due_at=days_after(received_at, ART17_OBJECTION_DAYS, zone_name),
        citation="Reg. (EU) 2023/1543 Art. 17(1)",
        rule="EU-10",
        description="reasoned objection (Annex III) within 10 days of receipt of the EPOC",
    )


def epoc_pr_expiry(
    placed_at: datetime, *, extended: bool, zone_name: str, subject: str
) -> Deadline:
    """An EPOC-PR's preservation ends after 60 days, or 90 once extended (EU-06).

    Unless the issuer confirms a follow-up production request, after which the data is kept as
    long as needed (that case has no deadline; see ``PreservationHold.confirm_follow_up``).
    """
    days = EPOC_PR_DAYS + (EPOC_PR_EXTENSION_DAYS if extended else 0)
    return Deadline(
        kind="preservation_expiry",
        subject=subject,
        due_at=days_after(placed_at, days, zone_name),
        citation="Reg. (EU) 2023/1543 Art. 11(1)",
        rule="EU-06",
        description=f"EPOC-PR preservation ends after {days} days unless a follow-up "
        "production request is confirmed" + ("" if extended else "; one 30-day extension allowed"),
    )


# --- United States, 18 U.S.C. 2703, 2705 ----------------------------------------------------

US_PRESERVATION_DAYS = 90
US_PRESERVATION_EXTENSION_DAYS = 90
MOTION_2703H_DAYS = 14
DELAYED_NOTICE_DAYS = 90


def us_preservation_expiry(
    placed_at: datetime, *, extended: bool, zone_name: str, subject: str
) -> Deadline:
    """A 2703(f) preservation lasts 90 days, and 90 more on a renewed request (US-06)."""
    days = US_PRESERVATION_DAYS + (US_PRESERVATION_EXTENSION_DAYS if extended else 0)
    return Deadline(
        kind="preservation_expiry",
        subject=subject,
        due_at=days_after(placed_at, days, zone_name),
        citation="18 U.S.C. 2703(f)(2)",
        rule="US-06",
        description=f"preservation under 2703(f) ends after {days} days"
        + ("" if extended else "; one 90-day extension on a renewed request"),
    )


def motion_2703h(served_at: datetime, *, zone_name: str, subject: str) -> Deadline:
    """A provider's comity motion to quash or modify: within 14 days of service (US-18)."""
    return Deadline(
        kind="motion_2703h",
        subject=subject,
        due_at=days_after(served_at, MOTION_2703H_DAYS, zone_name),
        citation="18 U.S.C. 2703(h)(2)(A)",
        rule="US-18",
        description="motion to modify or quash (qualifying foreign government conflict) "
        "within 14 days of service, unless the government agrees or the court extends",
    )


def delayed_notice_end(start: datetime, *, periods: int, zone_name: str, subject: str) -> Deadline:
    """End of a delay of customer notice: 90 days, extensible by 90 days at a time (US-14)."""
    if periods < 1:
        raise InvalidInput("periods: a delayed notice lasts at least one 90-day period")
    return Deadline(
        kind="delayed_notice_end",
        subject=subject,
        due_at=days_after(start, DELAYED_NOTICE_DAYS * periods, zone_name),
        citation="18 U.S.C. 2705(a)(1)(A), (a)(4)",
        rule="US-14",
        description=f"delayed customer notice ends ({periods} period(s) of 90 days); "
        "notice is then due unless the court extends again",
    )


# --- United Kingdom, Crime (Overseas Production Orders) Act 2019 ------------------------------

UK_OPO_DAYS = 7


def uk_opo_compliance(served_at: datetime, *, zone_name: str, subject: str) -> Deadline:
    """Produce under an overseas production order within 7 days of service unless the judge set
    another period (COPOA 2019 s.5(5); recalled, legal-rules.md UK-01 [U])."""
    return Deadline(
        kind="uk_opo_compliance",
        subject=subject,
        due_at=days_after(served_at, UK_OPO_DAYS, zone_name),
        citation="Crime (Overseas Production Orders) Act 2019 s.5 [U]",
        rule="UK-01",
        description="overseas production order: produce within 7 days of service unless the "
        "order sets another period",
    )


# --- the deadlines rule packs name ----------------------------------------------------------

#: The deadlines a rule pack's ``@deadline`` may name: name -> (days, emergency hours or None).
#: This module is the one authority that computes them; the pack's ``deadlines.yaml`` states
#: the same periods for readers and is refused at load if it disagrees (``rule_deadline``).
RULE_PERIODS: dict[str, tuple[int, int | None]] = {
    "us_2703f_preservation": (US_PRESERVATION_DAYS, None),
    "us_2703h_motion": (MOTION_2703H_DAYS, None),
    "eu_epoc": (EPOC_DAYS, EPOC_EMERGENCY_HOURS),
    "eu_epoc_objection": (ART17_OBJECTION_DAYS, None),
    "eu_epoc_pr": (EPOC_PR_DAYS, None),
    "uk_opo": (UK_OPO_DAYS, None),
}


def rule_deadline(
    name: str, received_at: datetime, *, emergency: bool, zone_name: str, subject: str
) -> Deadline:
    """The deadline a rule names, counted from receipt by the same functions the case uses."""
    if name == "eu_epoc":
        return epoc_production(
            received_at, emergency=emergency, zone_name=zone_name, subject=subject
        )
    if name == "eu_epoc_objection":
        return art17_objection(received_at, zone_name=zone_name, subject=subject)
    if name == "eu_epoc_pr":
        return epoc_pr_expiry(received_at, extended=False, zone_name=zone_name, subject=subject)
    if name == "us_2703f_preservation":
        return us_preservation_expiry(
            received_at, extended=False, zone_name=zone_name, subject=subject
        )
    if name == "us_2703h_motion":
        return motion_2703h(received_at, zone_name=zone_name, subject=subject)
    if name == "uk_opo":
        return uk_opo_compliance(received_at, zone_name=zone_name, subject=subject)
    raise InvalidInput(f"deadline: {name!r} is not one of {', '.join(RULE_PERIODS)}")


# --- what is due ------------------------------------------------------------------------------


class DueReport(Frozen):
    """Deadlines passed (``overdue``) and those falling within the window (``due_soon``)."""

    now: Instant
    window_hours: float
    overdue: tuple[Deadline, ...]
    due_soon: tuple[Deadline, ...]


def due(deadlines: Iterable[Deadline], *, now: datetime, window: timedelta) -> DueReport:
    """Sort open deadlines into overdue (``due_at <= now``) and due soon (within ``window``).

    A deadline is the instant its period has run out, so at exactly ``due_at`` it is overdue.
    """
    now = _aware(now, "now").astimezone(UTC)
    items = sorted(deadlines, key=lambda d: (d.due_at, d.subject, d.kind))
    return DueReport(
        now=now,
        window_hours=window.total_seconds() / 3600,
        overdue=tuple(d for d in items if d.due_at <= now),
        due_soon=tuple(d for d in items if now < d.due_at <= now + window),
    )
