"""``comity sources check``: is each source of a region reachable, read-only as far as can be
told, and does account lookup work, before a demand depends on it.

Every source is tried even when an earlier one fails, so the operator sees all that is wrong in
one run; the check changes nothing at any source (the same read-only paths a production uses).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from comity.domain.accounts import Selector, selector_problem
from comity.errors import ComityError, InvalidInput
from comity.services.custody.source_ports import RecordSource, SourceUnavailable


def parse_selector(text: str) -> Selector:
    """``email:alice@example.com`` as a selector, or ``InvalidInput`` saying what is wrong."""
    type_, sep, value = text.partition(":")
    if not sep:
        raise InvalidInput(f"--selector {text!r} must be TYPE:VALUE, e.g. email:alice@example.com")
    if (why := selector_problem(type_, value)) is not None:
        raise InvalidInput(f"--selector: {why}")
    return Selector.normalise(type_, value)


def check_sources(
    region_ids: Sequence[str],
    sources: Callable[[str], Sequence[RecordSource]],
    selector: Selector | None,
) -> tuple[list[str], list[str]]:
    """(what each source showed, one line each; what is wrong, one sentence each)."""
    lines: list[str] = []
    problems: list[str] = []
    for region in region_ids:
        try:
            built = list(sources(region))
        except ComityError as exc:
            problems += [f"region {region}: {p}" for p in exc.problems]
            continue
        if not built:
            lines.append(f"region {region}: no sources; Comity's own store is its only source")
            continue
        for source in built:
            try:
                lines += [f"region {region}: {line}" for line in source.check(selector)]
            except ComityError as exc:
                problems += [f"region {region}: {p}" for p in exc.problems]
    return lines, problems


def raise_problems(problems: list[str]) -> None:
    """The check's verdict: ``SourceUnavailable`` carrying every problem, if there is any."""
    if problems:
        raise SourceUnavailable(problems[0], problems=problems)
