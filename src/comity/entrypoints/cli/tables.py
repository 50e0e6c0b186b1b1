"""Tables that never cut a cell: every column folds onto more lines instead of ending in "…".

Why: Rich's default is to shorten a cell that does not fit with an ellipsis, so at 80 columns
``comity assess`` showed "redirect_ml…" and ``comity accounts list`` "email:ines.smith…": the one
word the reader needed was the one cut. A folded cell is longer but whole. ``--wide`` prints the
table at its natural width (one line per row, for copying or ``grep``), whatever the terminal's.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.segment import Segment
from rich.table import Column, Table

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the rows as JSON instead of a table.")
]
WideOption = Annotated[
    bool,
    typer.Option(
        "--wide", help="One line per row at the table's full width, whatever the terminal's."
    ),
]


class FoldingTable(Table):
    """A table that knows which columns to keep whole, most important first."""

    keep_order: list[Column]


def folding_table(*headers: str, whole: dict[str, list[str]] | None = None) -> FoldingTable:
    """A table whose cells wrap at spaces and fold long words, so nothing is ever cut.

    ``whole`` names columns whose words should not be split (a pathway such as
    ``redirect_mlat_required`` read as ``redirect_mla`` / ``t`` is misread), most important first,
    with the values they will hold: such a column is kept at least as wide as its longest word,
    and the other columns fold first. Where the terminal is too narrow for all of them,
    ``print_table`` gives up the least important first, so the table never overflows.
    """
    keep = whole or {}
    columns = []
    for header in headers:
        words = [w for value in keep.get(header, []) for w in value.split()]
        widest = max((len(w) for w in [header, *words]), default=0) if header in keep else None
        columns.append(Column(header, overflow="fold", min_width=widest))
    table = FoldingTable(*columns)
    by_name = {str(c.header): c for c in columns}
    table.keep_order = [by_name[h] for h in keep if h in by_name]
    return table


def print_table(table: Table, *, wide: bool = False, console: Console | None = None) -> None:
    """Print ``table`` folded to the terminal, or, with ``wide``, at its full natural width."""
    out = console or Console(highlight=False)
    if isinstance(table, FoldingTable) and not wide:
        _fit(table, out)
    if wide:
        natural = out.measure(table, options=out.options.update_width(1_000_000)).maximum
        out = Console(highlight=False, width=max(natural, out.width))
    out.print(table)


def _fit(table: FoldingTable, console: Console) -> None:
    """Drop kept-whole widths, least important (last named) first, until the table fits.

    Rich keeps a column at least as wide as its ``min_width`` and shrinks the others only down to
    their own minimum, so whether the kept widths fit is found by rendering, not by arithmetic.
    """
    for column in reversed(table.keep_order):
        if _rendered_width(table, console) <= console.width:
            return
        column.min_width = None


def _rendered_width(table: Table, console: Console) -> int:
    """The widest line of ``table`` as drawn for ``console``, before any cropping to its width."""
    lines = Segment.split_lines(console.render(table, console.options))
    return max((Segment.get_line_length(line) for line in lines), default=0)
