"""Customer records as a region stores them, before encryption and after decryption.

Every category is carried as bytes so one envelope-encryption path serves all of them: ``content``
is the exact RFC 5322 message as received (never re-serialised, so hashes match the original);
``subscriber``, ``identification`` and ``traffic`` are the canonical JSON of their fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from comity.domain.audit import canonical_json
from comity.domain.categories import Category

MEDIA_TYPE_MESSAGE = "message/rfc822"
MEDIA_TYPE_JSON = "application/json"


@dataclass(frozen=True)
class Record:
    """One record of one account in one category.

    ``id`` is unique within the deployment and stable (derived by the ingester), so re-ingesting
    the same input does not duplicate it. ``occurred_at`` is when the underlying event happened
    (message date, login time), which is what a demand's period selects on. ``warning`` notes a
    message kept byte for byte although it could not be parsed cleanly. ``envelope`` is the
    mbox ``From `` line a message was ingested with (without its line end), kept so a package's
    mbox can give it back byte for byte; None for messages that came without one.
    """

    id: str
    account_id: str
    category: Category
    occurred_at: datetime
    body: bytes
    media_type: str
    warning: str | None = None
    envelope: bytes | None = None

    @staticmethod
    def of_fields(
        id: str, account_id: str, category: Category, occurred_at: datetime, fields: dict[str, Any]
    ) -> Record:
        return Record(
            id, account_id, category, occurred_at, canonical_json(fields), MEDIA_TYPE_JSON
        )

    def fields(self) -> dict[str, Any]:
        """The structured fields of a non-content record."""
        if self.media_type != MEDIA_TYPE_JSON:
            raise ValueError(f"record {self.id} is a {self.media_type}, not structured fields")
        value = json.loads(self.body)
        assert isinstance(value, dict)
        return value
