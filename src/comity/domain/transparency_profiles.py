"""Transparency report profiles: the column sets providers publish, and 50 U.S.C. 1874 bands.

``shared/law/practice.md``, "Transparency report formats":

- **microsoft**: Microsoft's Law Enforcement Requests Report, per country: total requests,
  accounts/users specified, requests where content was disclosed, where only subscriber or
  transactional (non-content) data was disclosed, where no data was found, requests rejected,
  each as a count and a percentage; and US warrants that sought content stored outside the US.
- **google**: per country and legal process: user data requests, users/accounts specified, and
  the percentage of requests where some data was produced.
- **comity**: every figure Comity keeps, per country and legal process.

US national-security process (50 U.S.C. 1874(a)) may only be published in bands; the band size
(1000, 500, 250 or 100, by the subsection counsel relies on) and the delay before FISA figures
may be published (180 days after the period ends in 1874(a)(1)) are parameters counsel chooses,
never defaults the code decides silently. National-security demands are left out of every other
row and total, so no exact figure leaks through a difference.

A published table can be checked: ``differences`` compares two tables cell by cell and names
every figure that differs by its row and column. Pure: no I/O, no clock (the publication date is
an input).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from comity.domain.transparency import Outcome, Report, Row
from comity.errors import InvalidInput

Cell = str | int | float

#: Legal processes 50 U.S.C. 1874 covers (national security letters, FISA orders), by id prefix.
NATIONAL_SECURITY = ("us.nsl", "us.fisa")
#: The band sizes 50 U.S.C. 1874(a)(1)-(4) allow.
BAND_SIZES = (1000, 500, 250, 100)


class Profile(StrEnum):
    COMITY = "comity"
    MICROSOFT = "microsoft"
    GOOGLE = "google"


def profile(text: str) -> Profile:
    try:
        return Profile(text)
    except ValueError:
        raise InvalidInput(
            f"--profile: expected one of {', '.join(p.value for p in Profile)}, got {text!r}"
        ) from None


def is_national_security(instrument: str) -> bool:
    return instrument.startswith(NATIONAL_SECURITY)


@dataclass(frozen=True)
class Bands:
    """Counsel's 50 U.S.C. 1874 parameters."""

    size: int = 1000
    delay_days: int = 180
    published_on: date | None = None

    def __post_init__(self) -> None:
        if self.size not in BAND_SIZES:
            raise InvalidInput(
                f"band size {self.size} is not one 50 U.S.C. 1874(a) allows "
                f"({', '.join(map(str, BAND_SIZES))})"
            )
        if self.delay_days < 0:
            raise InvalidInput("the publication delay is a number of days, 0 or more")

    def band(self, count: int) -> str:
        low = count // self.size * self.size
        return f"{low}-{low + self.size - 1}"

    def fisa_publishable(self, end: date) -> bool:
        """1874: FISA figures only for a period ending ``delay_days`` or more before publication."""
        return self.published_on is not None and end + timedelta(self.delay_days) <= (
            self.published_on
        )

    def to_document(self) -> dict[str, object]:
        return {
            "band_size": self.size,
            "delay_days": self.delay_days,
            "published_on": self.published_on.isoformat() if self.published_on else None,
        }


@dataclass(frozen=True)
class Table:
    """A profile's figures: the columns, how many of them name the row, the rows (total last)."""

    profile: Profile
    columns: tuple[str, ...]
    keys: int
    rows: tuple[tuple[Cell, ...], ...]

    def to_document(self) -> dict[str, object]:
        return {
            "profile": self.profile.value,
            "columns": list(self.columns),
            "table": [list(r) for r in self.rows],
        }


_COMITY_OUTCOMES = tuple(Outcome)
_MICROSOFT = (
    Outcome.CONTENT_DISCLOSED,
    Outcome.NON_CONTENT_ONLY,
    Outcome.NO_DATA_FOUND,
    Outcome.REJECTED,
)


def _by_country(report: Report) -> list[Row]:
    merged: dict[str, Row] = {}
    for row in report.rows:
        into = merged.setdefault(row.country, Row(row.country, "all"))
        into.requests += row.requests
        into.accounts_specified += row.accounts_specified
        into.emergency += row.emergency
        into.us_warrants_for_content_abroad += row.us_warrants_for_content_abroad
        for o in Outcome:
            into.outcomes[o] += row.outcomes[o]
    return [merged[c] for c in sorted(merged)]


def table(report: Report, which: Profile) -> Table:
    """The report's figures in the columns ``which`` provider publishes."""
    if which is Profile.MICROSOFT:
        columns = ["country", "requests", "accounts_specified"]
        for o in _MICROSOFT:
            columns += [o.value, f"{o.value}_percent"]
        columns.append("us_warrants_for_content_abroad")
        rows = [
            (
                r.country,
                r.requests,
                r.accounts_specified,
                *[v for o in _MICROSOFT for v in (r.outcomes[o], r.share(o))],
                r.us_warrants_for_content_abroad,
            )
            for r in [*_by_country(report), report.total]
        ]
        return Table(which, tuple(columns), 1, tuple(rows))
    if which is Profile.GOOGLE:
        columns = [
            "country",
            "legal_process",
            "user_data_requests",
            "users_accounts_specified",
            "percent_some_data_produced",
        ]
        rows = [
            (r.country, r.instrument, r.requests, r.accounts_specified, r.some_data_produced)
            for r in [*report.rows, report.total]
        ]
        return Table(which, tuple(columns), 2, tuple(rows))
    columns = ["country", "instrument", "requests", "accounts_specified", "emergency"]
    columns += [o.value for o in _COMITY_OUTCOMES] + [f"{o.value}_percent" for o in Outcome]
    columns += ["percent_some_data_produced", "us_warrants_for_content_abroad"]
    rows = [
        (
            r.country,
            r.instrument,
            r.requests,
            r.accounts_specified,
            r.emergency,
            *[r.outcomes[o] for o in Outcome],
            *[r.share(o) for o in Outcome],
            r.some_data_produced,
            r.us_warrants_for_content_abroad,
        )
        for r in [*report.rows, report.total]
    ]
    return Table(which, tuple(columns), 2, tuple(rows))


def national_security(counts: dict[str, int], end: date, bands: Bands) -> dict[str, object]:
    """Banded counts per national-security process; FISA withheld until its delay has passed."""
    rows: list[dict[str, str]] = []
    withheld: list[str] = []
    for process in sorted({*NATIONAL_SECURITY, *counts}):
        if process.startswith("us.fisa") and not bands.fisa_publishable(end):
            withheld.append(process)
            continue
        rows.append({"process": process, "requests": bands.band(counts.get(process, 0))})
    doc: dict[str, object] = {"basis": "50 U.S.C. 1874(a)", **bands.to_document(), "rows": rows}
    if withheld:
        doc["withheld"] = (
            f"{', '.join(withheld)}: published only for a period ending at least "
            f"{bands.delay_days} days before publication"
        )
    return doc


def differences(published: dict[str, object], recomputed: dict[str, object]) -> list[str]:
    """Every figure of ``published`` that ``recomputed`` does not give, named by row and column."""
    out: list[str] = []
    columns = published.get("columns")
    if columns != recomputed.get("columns"):
        want = recomputed["columns"]
        return [f"the columns differ: the report has {columns}, the profile {want}"]
    assert isinstance(columns, list)
    keys = 1 if published.get("profile") == Profile.MICROSOFT.value else 2
    mine = {tuple(r[:keys]): r for r in _rows(published)}
    theirs = {tuple(r[:keys]): r for r in _rows(recomputed)}
    for key in sorted(set(mine) | set(theirs), key=str):
        name = "/".join(str(k) for k in key)
        if key not in theirs:
            out.append(f"row {name}: in the report, but the log has no such demands")
            continue
        if key not in mine:
            out.append(f"row {name}: missing from the report")
            continue
        cells = zip(columns[keys:], mine[key][keys:], theirs[key][keys:], strict=False)
        for column, a, b in cells:
            if a != b:
                out.append(f"row {name}, {column}: the report says {a}, the log gives {b}")
    if published.get("national_security") != recomputed.get("national_security"):
        out.append("national_security: the banded figures differ from the log's")
    return out


def _rows(doc: dict[str, object]) -> list[list[Cell]]:
    rows = doc.get("table")
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise InvalidInput("the report's table is not a list of rows")
    return rows
