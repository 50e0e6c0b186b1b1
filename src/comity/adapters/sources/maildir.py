"""Maildir trees on disk, one folder per account (``root = "/srv/mail/{account}"``).

Read-only by construction: files are opened for reading and never renamed, so a message in
``new/`` stays new and flags in ``cur/`` names stay as they are. A record id is the source name,
the account, the Maildir++ folder and the message's unique name (the part before ``:2,``), which a
Maildir keeps when flags change, so a snapshot and a later production agree on it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from comity.adapters.mail.sources import maildir_files, message_records
from comity.domain.accounts import Selector
from comity.domain.categories import Category
from comity.domain.records import Record
from comity.errors import ConfigurationError, InvalidInput
from comity.services.custody.source_ports import AccountRef, SourceAccount, SourceUnavailable

PLACEHOLDERS = ("{account}", "{email}", "{local}")


def _mtime(path: Path) -> tuple[datetime, str]:
    """A message without a usable Date: header is dated by its file, as ingest does."""
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC), "the file's modification time"


class MaildirSource:
    """One ``kind = "maildir"`` source of one region."""

    categories = frozenset({Category.CONTENT})

    def __init__(self, name: str, *, root: str) -> None:
        if not root.startswith("/") or not any(p in root for p in PLACEHOLDERS):
            raise ConfigurationError(
                f"source {name}: root {root!r} must be an absolute path naming the account with "
                "one of " + ", ".join(PLACEHOLDERS)
            )
        self._name = name
        self._root = root

    @property
    def name(self) -> str:
        return self._name

    @property
    def sequenced(self) -> bool:
        return False

    def _paths(self, account: AccountRef) -> list[Path]:
        """Where the account's Maildir would be, by each of its names the template uses."""
        emails = [s.value for s in account.selectors if s.type == "email"]
        out: list[Path] = []
        if "{account}" in self._root:
            out.append(Path(self._root.replace("{account}", account.account_id)))
        for email in emails:
            path = self._root.replace("{email}", email).replace("{local}", email.split("@")[0])
            if "{account}" not in path:
                out.append(Path(path))
        return list(dict.fromkeys(p for p in out if ".." not in p.parts))

    def lookup(self, selector: Selector) -> SourceAccount | None:
        if "{account}" in self._root and selector.type == "account_id":
            ref = AccountRef(selector.value)
        else:
            ref = AccountRef("?", (selector,))
        for path in self._paths(ref):
            if path.is_dir():
                folders = self._folders(path)
                count = sum(len(maildir_files(f)) for f in folders)
                return SourceAccount(
                    self._name, str(selector), {"path": str(path), "messages": str(count)}
                )
        return None

    def _folders(self, top: Path) -> list[Path]:
        """The Maildir at ``top`` and its Maildir++ sub-folders (``.Sent``, ``.Archive.2013``)."""
        try:
            subs = sorted(p for p in top.iterdir() if p.name.startswith(".") and p.is_dir())
        except OSError as exc:
            raise SourceUnavailable(f"source {self._name}: cannot read {top}: {exc}") from None
        return [top, *(p for p in subs if (p / "cur").is_dir())]

    def iter_records(
        self,
        account: AccountRef,
        categories: Sequence[Category],
        start: datetime | None,
        end: datetime | None,
    ) -> Iterator[Record]:
        if Category.CONTENT not in categories:
            return
        for top in self._paths(account):
            if not top.is_dir():
                continue
            for folder in self._folders(top):
                try:
                    files = maildir_files(folder)
                except InvalidInput as exc:
                    raise SourceUnavailable(f"source {self._name}: {exc}") from None
                for file in files:
                    try:
                        data = file.read_bytes()
                    except OSError as exc:
                        raise SourceUnavailable(
                            f"source {self._name}: cannot read {file}: {exc}"
                        ) from None
                    content, _ = message_records(account.account_id, data, partial(_mtime, file))
                    if (start is not None and content.occurred_at < start) or (
                        end is not None and content.occurred_at >= end
                    ):
                        continue
                    label = folder.name if folder != top else "INBOX"
                    unique = file.name.split(":2,", 1)[0]
                    yield Record(
                        f"{self._name}:{account.account_id}:{label}:{unique}",
                        account.account_id,
                        Category.CONTENT,
                        content.occurred_at,
                        data,
                        content.media_type,
                        content.warning,
                    )

    def check(self, selector: Selector | None) -> list[str]:
        base = Path(self._root.split("{", 1)[0])
        if not base.is_dir():
            raise SourceUnavailable(f"source {self._name}: {base} is not a directory")
        lines = [f"{self._name}: {base} readable; files are only read, never renamed"]
        if selector is not None:
            found = self.lookup(selector)
            lines.append(
                f"{self._name}: {selector} has no Maildir here"
                if found is None
                else f"{self._name}: {selector} found ({found.attributes['path']}, "
                f"{found.attributes['messages']} messages)"
            )
        return lines
