"""``comity ingest mbox|eml|maildir|subscriber|identification PATH --account ID``.

``comity ingest eml`` also takes a directory of ``.eml`` files, ingested in one run. The readers
and the ingest itself are ``bootstrap.file_ingest``'s; this module parses options, draws the
progress bar and prints the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn

from comity.bootstrap.file_ingest import file_ingest
from comity.entrypoints.cli.context import open_comity

app = typer.Typer(help="Ingest mail and records into an account's regions.", no_args_is_help=True)
Account = Annotated[str, typer.Option("--account", help="The account the records belong to.")]
#: Inputs smaller than this finish before a progress bar would be worth drawing.
PROGRESS_BYTES = 16 << 20
PROGRESS_FILES = 2000


@contextmanager
def _progress(
    total: int, *, in_bytes: bool, bar_from: int | None = None
) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on a terminal for inputs big enough to want one (``bar_from`` or more)."""
    console = Console(stderr=True)
    big = total >= (bar_from or (PROGRESS_BYTES if in_bytes else PROGRESS_FILES))
    if not big or not console.is_terminal:
        yield None
        return
    column = DownloadColumn() if in_bytes else MofNCompleteColumn()
    with Progress(TextColumn("ingesting"), BarColumn(), column, console=console) as bar:
        task = bar.add_task("ingest", total=total)
        yield lambda n: bar.advance(task, n)


def _ingest(ctx: typer.Context, kind: str, path: Path, account: str) -> None:
    """Ingest ``path`` as ``kind``; exit 1 naming every refused file of an .eml directory."""
    comity = open_comity(ctx)
    job = file_ingest(kind, path, account, comity.clock.now())
    with _progress(job.total, in_bytes=job.in_bytes, bar_from=job.bar_from) as progress:
        report = job.run(comity, progress)
    for line in report.lines():
        Console().print(line, markup=False)
    if job.refused:
        err = Console(stderr=True, highlight=False, soft_wrap=True)
        err.print(f"refused {len(job.refused)} of {job.files} file(s):", markup=False)
        for problem in job.refused:
            err.print(f"  {problem}", markup=False)
        raise typer.Exit(1)


@app.command("mbox")
def mbox(ctx: typer.Context, path: Path, account: Account) -> None:
    """An mbox mailbox: content records (exact bytes) plus traffic records from headers."""
    _ingest(ctx, "mbox", path, account)


@app.command("eml")
def eml(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="One .eml file, or a directory: every .eml file directly in it.")
    ],
    account: Account,
) -> None:
    """One RFC 5322 message file, or a directory of them in one run (exit 1 if any is refused)."""
    _ingest(ctx, "eml", path, account)


@app.command("maildir")
def maildir(ctx: typer.Context, path: Path, account: Account) -> None:
    """A Maildir folder (its cur/ and new/ messages)."""
    _ingest(ctx, "maildir", path, account)


@app.command("subscriber")
def subscriber(ctx: typer.Context, path: Path, account: Account) -> None:
    """Subscriber records: a JSON object (or list of them), each with created_at."""
    _ingest(ctx, "subscriber", path, account)


@app.command("identification")
def identification(ctx: typer.Context, path: Path, account: Account) -> None:
    """Login IPs with times: CSV with columns ip,time and optional port,event."""
    _ingest(ctx, "identification", path, account)
