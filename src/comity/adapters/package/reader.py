"""Reading the records back out of a verified package, as the requester (or a test) would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from comity.adapters.package import formats, layout
from comity.adapters.package.verify import read_index
from comity.domain.audit import canonical_json
from comity.domain.categories import Category
from comity.domain.records import MEDIA_TYPE_MESSAGE, Record


def read_records(bag: Path) -> Iterator[tuple[str, Record]]:
    """(region, record) for every record of the bag's index, in production order."""
    loaded: dict[str, dict[str, dict[str, Any]]] = {}
    for row in read_index(bag):
        occurred_at = formats.parse_timestamp(row.occurred_at)
        warning = row.warning or None
        if row.category is Category.CONTENT:
            body = (bag / row.path).read_bytes()
            record = Record(
                row.record_id,
                row.account,
                row.category,
                occurred_at,
                body,
                MEDIA_TYPE_MESSAGE,
                warning,
                row.envelope.encode() if row.envelope else None,
            )
        else:
            if row.path not in loaded:
                entries = json.loads((bag / row.path).read_bytes())
                loaded[row.path] = {e["id"]: e for e in entries}
            fields = loaded[row.path][row.record_id]["fields"]
            record = Record.of_fields(row.record_id, row.account, row.category, occurred_at, fields)
            if warning:
                record = Record(
                    record.id,
                    record.account_id,
                    record.category,
                    record.occurred_at,
                    record.body,
                    record.media_type,
                    warning,
                )
        yield row.region, record


def mbox_path(bag: Path, region: str, account: str) -> Path:
    return bag / layout.mbox_path(region, account)


def canonical_fields(fields: dict[str, Any]) -> bytes:
    return canonical_json(fields)
