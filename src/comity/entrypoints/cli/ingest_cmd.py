"""``comity ingest mbox|eml|maildir|subscriber|identification PATH --account ID``.

``comity ingest eml`` also takes a directory of ``.eml`` files, ingested in one run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn

from comity.adapters.mail.sources import (
    eml_records,
    identification_records,
    maildir_files,
    maildir_records,
    mbox_records,
    subscriber_records,
)
from comity.bootstrap import Comity
from comity.domain.records import Record
from comity.entrypoints.cli.context import open_comity
from comity.errors import InvalidInput
from comity.services.custody.ingest import ingest

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


def _run(
    comity: Comity,
    account: str,
    kind: str,
    path: Path,
    *,
    records: Callable[[Callable[[int], None] | None], Iterable[Record]],
    total: int,
    in_bytes: bool = True,
    bar_from: int | None = None,
) -> None:
    with _progress(total, in_bytes=in_bytes, bar_from=bar_from) as progress:
        report = ingest(
            comity.uow,
            comity.region_store,
            account,
            lambda: records(progress),
            kind=kind,
            source=path.name,
            actor="cli",
            clock=comity.clock,
        )
    for line in report.lines():
        Console().print(line, markup=False)


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


@app.command("mbox")
def mbox(ctx: typer.Context, path: Path, account: Account) -> None:
    """An mbox mailbox: content records (exact bytes) plus traffic records from headers."""
    comity = open_comity(ctx)
    now = comity.clock.now()
    _run(
        comity,
        account,
        "mbox",
        path,
        records=lambda p: mbox_records(path, account, now, p),
        total=_size(path),
    )


@app.command("eml")
def eml(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="One .eml file, or a directory: every .eml file directly in it.")
    ],
    account: Account,
) -> None:
    """One RFC 5322 message file, or a directory of them in one run (exit 1 if any is refused)."""
    # A directory is one ingest (one transaction, one start and end on the audit log), so 48
    # files cost one start-up, not 48. A file that is not a message is refused with its reason
    # and the others are still ingested; the summary names every refused file.
    if not path.is_dir():
        _run(
            open_comity(ctx),
            account,
            "eml",
            path,
            records=lambda p: eml_records(path, account, p),
            total=0,
        )
        return
    files = eml_files(path)
    comity = open_comity(ctx)
    refused: list[str] = []
    _run(
        comity,
        account,
        "eml",
        path,
        records=lambda p: _accepted_records(files, account, refused, p),
        total=len(files),
        in_bytes=False,
        bar_from=2,
    )
    if refused:
        err = Console(stderr=True, highlight=False, soft_wrap=True)
        err.print(f"refused {len(refused)} of {len(files)} file(s):", markup=False)
        for problem in refused:
            err.print(f"  {problem}", markup=False)
        raise typer.Exit(1)


def eml_files(directory: Path) -> list[Path]:
    """The ``.eml`` files directly in ``directory``, in name order; none is one clear error."""
    files = sorted(
        f
        for f in directory.iterdir()
        if f.is_file() and f.suffix.lower() == ".eml" and not f.name.startswith(".")
    )
    if not files:
        raise InvalidInput(f"{directory} holds no .eml files; give a directory of .eml files")
    return files


def _accepted_records(
    files: list[Path],
    account: str,
    refused: list[str],
    progress: Callable[[int], None] | None,
) -> Iterator[Record]:
    """The records of every file that is a message; each refused file noted with its reason."""
    for file in files:
        records = eml_records(file, account)
        try:
            # eml_records checks the file when first asked for a record, before yielding any.
            first = next(records, None)
        except InvalidInput as exc:
            refused.append(exc.message)
        else:
            if first is not None:
                yield first
                yield from records
        if progress:
            progress(1)
    if len(refused) == len(files):
        raise InvalidInput(
            f"every one of the {len(files)} .eml file(s) was refused; nothing was ingested",
            problems=[*refused, "nothing was ingested"],
        )


@app.command("maildir")
def maildir(ctx: typer.Context, path: Path, account: Account) -> None:
    """A Maildir folder (its cur/ and new/ messages)."""
    count = len(maildir_files(path))
    _run(
        open_comity(ctx),
        account,
        "maildir",
        path,
        records=lambda p: maildir_records(path, account, p),
        total=count,
        in_bytes=False,
    )


@app.command("subscriber")
def subscriber(ctx: typer.Context, path: Path, account: Account) -> None:
    """Subscriber records: a JSON object (or list of them), each with created_at."""
    _run(
        open_comity(ctx),
        account,
        "subscriber",
        path,
        records=lambda p: subscriber_records(path, account, p),
        total=0,
    )


@app.command("identification")
def identification(ctx: typer.Context, path: Path, account: Account) -> None:
    """Login IPs with times: CSV with columns ip,time and optional port,event."""
    _run(
        open_comity(ctx),
        account,
        "identification",
        path,
        records=lambda p: identification_records(path, account, p),
        total=0,
    )
