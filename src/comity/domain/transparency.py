"""Transparency report figures: what happened to the demands received in a period.

The shape follows the reports providers publish (``shared/law/practice.md``, "Transparency
report formats"): Microsoft's Law Enforcement Requests Report counts, per country, the requests,
the accounts they specified, and the requests where content was disclosed, where only subscriber
or transactional (non-content) data was disclosed, where no data was found, and those rejected,
each as a count and a percentage; it also counts US warrants that sought content stored outside
the US. Google counts per country and legal process, with the share where some data was produced.

Pure: it classifies demands and their cases, which the caller loads; nothing here reads a clock
or a database. A demand counts in the period in which the provider received it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from comity.domain.assessment import Pathway
from comity.domain.case.case import Case
from comity.domain.case.model import CaseState
from comity.domain.categories import Category
from comity.errors import InvalidInput


class Outcome(StrEnum):
    """One demand's outcome, as transparency reports count it (each demand has exactly one)."""

    CONTENT_DISCLOSED = "content_disclosed"
    NON_CONTENT_ONLY = "non_content_only"
    NO_DATA_FOUND = "no_data_found"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    PENDING = "pending"


#: Case states in which the legal team refused the demand as made.
_REFUSED_STATES = frozenset({CaseState.REJECTED, CaseState.REDIRECTED, CaseState.OBJECTED})


@dataclass(frozen=True)
class DemandFacts:
    """What the report needs of one demand: who asked, with what, and what became of it."""

    demand_id: str
    received_on: date
    country: str
    instrument: str
    accounts_specified: int
    emergency: bool
    withdrawn: bool
    refused_at_intake: bool
    case: Case | None


def outcome(facts: DemandFacts) -> Outcome:  # noqa: PLR0911 (one return per outcome, in order)
    """The one outcome a demand counts under.

    Anything delivered counts as disclosed, even if the case was later closed or withdrawn;
    a demand withdrawn or refused before anything was delivered counts as withdrawn or rejected.
    """
    case = facts.case
    produced = _produced_categories(case) if case is not None else set()
    if Category.CONTENT in produced:
        return Outcome.CONTENT_DISCLOSED
    if produced:
        return Outcome.NON_CONTENT_ONLY
    if facts.refused_at_intake:
        return Outcome.REJECTED
    if facts.withdrawn or (case is not None and case.state is CaseState.WITHDRAWN):
        return Outcome.WITHDRAWN
    if case is None:
        return Outcome.PENDING
    if case.findings and all(f.pathway is Pathway.NO_DATA for f in case.findings):
        return Outcome.NO_DATA_FOUND
    if case.state in _REFUSED_STATES or case.state is CaseState.CLOSED:
        # Closed with nothing delivered: the demand was answered without data.
        return Outcome.REJECTED
    return Outcome.PENDING


def _produced_categories(case: Case) -> set[Category]:
    keys = set(case.produced)
    return {f.category for f in case.findings if f.key in keys}


def sought_content_abroad(facts: DemandFacts) -> bool:
    """A US warrant that asked for content the provider stores outside the US."""
    case = facts.case
    return (
        facts.instrument == "us.warrant"
        and case is not None
        and any(
            f.category is Category.CONTENT and f.data_country not in (None, "US")
            for f in case.findings
        )
    )


@dataclass
class Row:
    """The figures for one country and legal process (or a total)."""

    country: str
    instrument: str
    requests: int = 0
    accounts_specified: int = 0
    emergency: int = 0
    us_warrants_for_content_abroad: int = 0
    outcomes: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))

    def add(self, facts: DemandFacts) -> None:
        self.requests += 1
        self.accounts_specified += facts.accounts_specified
        self.emergency += facts.emergency
        self.us_warrants_for_content_abroad += sought_content_abroad(facts)
        self.outcomes[outcome(facts)] += 1

    def share(self, what: Outcome) -> float:
        """Percentage of this row's requests with outcome ``what``, to one decimal place."""
        return round(100 * self.outcomes[what] / self.requests, 1) if self.requests else 0.0

    @property
    def some_data_produced(self) -> float:
        """Google's measure: the share of requests where some data was produced."""
        disclosed = (
            self.outcomes[Outcome.CONTENT_DISCLOSED] + self.outcomes[Outcome.NON_CONTENT_ONLY]
        )
        return round(100 * disclosed / self.requests, 1) if self.requests else 0.0

    def to_document(self) -> dict[str, object]:
        return {
            "country": self.country,
            "instrument": self.instrument,
            "requests": self.requests,
            "accounts_specified": self.accounts_specified,
            "emergency": self.emergency,
            "us_warrants_for_content_abroad": self.us_warrants_for_content_abroad,
            "outcomes": {o.value: self.outcomes[o] for o in Outcome},
            "percent": {o.value: self.share(o) for o in Outcome},
            "percent_some_data_produced": self.some_data_produced,
        }


@dataclass
class Report:
    start: date
    end: date
    rows: list[Row]
    total: Row

    def to_document(self) -> dict[str, object]:
        return {
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "counted_by": "date the provider received the demand",
            "rows": [r.to_document() for r in self.rows],
            "total": self.total.to_document(),
        }

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        head = ["country", "instrument", "requests", "accounts_specified", "emergency"]
        head += [o.value for o in Outcome] + [f"{o.value}_percent" for o in Outcome]
        head += ["percent_some_data_produced", "us_warrants_for_content_abroad"]
        writer.writerow(head)
        for row in [*self.rows, self.total]:
            writer.writerow(
                [row.country, row.instrument, row.requests, row.accounts_specified, row.emergency]
                + [row.outcomes[o] for o in Outcome]
                + [row.share(o) for o in Outcome]
                + [row.some_data_produced, row.us_warrants_for_content_abroad]
            )
        return out.getvalue()

    def to_markdown(self) -> str:
        lines = [
            f"# Law enforcement requests, {self.start.isoformat()} to {self.end.isoformat()}",
            "",
            "Counted by the date the provider received the demand. Percentages are of the row's "
            "requests.",
            "",
            "| country | legal process | requests | accounts | content disclosed | "
            "non-content only | no data found | rejected | withdrawn | pending |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in [*self.rows, self.total]:
            cells = [
                f"{row.outcomes[o]} ({row.share(o)}%)"
                for o in (
                    Outcome.CONTENT_DISCLOSED,
                    Outcome.NON_CONTENT_ONLY,
                    Outcome.NO_DATA_FOUND,
                    Outcome.REJECTED,
                    Outcome.WITHDRAWN,
                    Outcome.PENDING,
                )
            ]
            lines.append(
                f"| {row.country} | {row.instrument} | {row.requests} | "
                f"{row.accounts_specified} | " + " | ".join(cells) + " |"
            )
        lines += [
            "",
            f"US warrants that sought content stored outside the US: "
            f"{self.total.us_warrants_for_content_abroad}.",
        ]
        return "\n".join(lines) + "\n"


def check_period(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput(
            f"period: the start {start.isoformat()} is after the end {end.isoformat()}"
        )


def half_year(text: str) -> tuple[date, date]:
    """``2026-H1`` -> (2026-01-01, 2026-06-30); the periods reports are usually published for."""
    year, _, half = text.partition("-")
    if not (year.isdigit() and len(year) == 4 and half in ("H1", "H2")):
        raise InvalidInput(f"half: expected a half-year such as 2026-H1 or 2026-H2, got {text!r}")
    y = int(year)
    return (date(y, 1, 1), date(y, 6, 30)) if half == "H1" else (date(y, 7, 1), date(y, 12, 31))


def tabulate(demands: Iterable[DemandFacts], start: date, end: date) -> Report:
    """The report for the demands received from ``start`` to ``end`` (both inclusive)."""
    check_period(start, end)
    rows: dict[tuple[str, str], Row] = {}
    total = Row("all", "all")
    for facts in demands:
        if not start <= facts.received_on <= end:
            continue
        key = (facts.country, facts.instrument)
        rows.setdefault(key, Row(*key)).add(facts)
        total.add(facts)
    ordered: Sequence[Row] = [rows[k] for k in sorted(rows)]
    return Report(start, end, list(ordered), total)
