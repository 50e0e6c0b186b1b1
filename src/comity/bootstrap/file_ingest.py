"""``comity ingest KIND PATH``: the file readers of each kind (``adapters.mail.sources``) joined to
the ingest service, so the command only draws its progress bar and prints the report.

A directory of ``.eml`` files is one ingest (one transaction, one start and end on the audit log),
so 48 files cost one start-up, not 48. A file in it that is not a message is refused with its
reason and the others are still ingested; ``FileIngest.refused`` names every refused file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from comity.adapters.mail.sources import (
    eml_records,
    identification_records,
    maildir_files,
    maildir_records,
    mbox_records,
    subscriber_records,
)
from comity.domain.records import Record
from comity.errors import InvalidInput
from comity.services.custody.ingest import IngestReport, ingest

if TYPE_CHECKING:
    from comity.bootstrap import Comity

Progress = Callable[[int], None]
Reader = Callable[[Progress | None], Iterable[Record]]


@dataclass
class FileIngest:
    """One ingest of files: its reader, its size for a progress bar, and what it refused."""

    kind: str
    path: Path
    account: str
    reader: Reader
    #: Bytes (``in_bytes``) or files to go through; 0 when unknown in advance.
    total: int = 0
    in_bytes: bool = True
    #: The smallest ``total`` worth a progress bar (None: the command's default).
    bar_from: int | None = None
    files: int = 1
    refused: list[str] = field(default_factory=list)

    def run(self, comity: Comity, progress: Progress | None = None) -> IngestReport:
        """Seal and store every record read into the account's regions, on the audit log."""
        return ingest(
            comity.uow,
            comity.region_store,
            self.account,
            lambda: self.reader(progress),
            kind=self.kind,
            source=self.path.name,
            actor="cli",
            clock=comity.clock,
        )


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
    files: list[Path], account: str, refused: list[str], progress: Progress | None
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


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def file_ingest(kind: str, path: Path, account: str, now: datetime) -> FileIngest:
    """The ingest of ``path`` as ``kind`` (mbox, eml, maildir, subscriber, identification)."""
    if kind == "mbox":
        return FileIngest(
            kind, path, account, lambda p: mbox_records(path, account, now, p), _size(path)
        )
    if kind == "eml" and path.is_dir():
        files = eml_files(path)
        job = FileIngest(kind, path, account, lambda p: (), len(files), False, 2, len(files))
        job.reader = lambda p: _accepted_records(files, account, job.refused, p)
        return job
    if kind == "eml":
        return FileIngest(kind, path, account, lambda p: eml_records(path, account, p))
    if kind == "maildir":
        count = len(maildir_files(path))
        return FileIngest(
            kind, path, account, lambda p: maildir_records(path, account, p), count, False
        )
    if kind == "subscriber":
        return FileIngest(kind, path, account, lambda p: subscriber_records(path, account, p))
    if kind == "identification":
        return FileIngest(kind, path, account, lambda p: identification_records(path, account, p))
    raise InvalidInput(
        f"kind: expected mbox, eml, maildir, subscriber or identification, got {kind!r}"
    )
